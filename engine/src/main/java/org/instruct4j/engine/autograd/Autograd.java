package org.instruct4j.engine.autograd;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.instruct4j.engine.Tensor;

/**
 * Reverse-mode differentiation over the define-by-run graph: order the nodes reachable from the output
 * topologically, then walk them backwards, handing each op the gradient of its output. Leaves that require
 * grad accumulate into {@link Tensor#grad()}; intermediate gradients are dropped once used.
 */
public final class Autograd {
    private Autograd() {}

    public static void backward(Tensor output, Tensor seed) {
        List<Tensor> order = topologicalOrder(output);
        Map<Tensor, Tensor> grads = new IdentityHashMap<>();
        grads.put(output, seed);
        try (GradMode g = GradMode.off()) {
            for (int i = order.size() - 1; i >= 0; i--) {
                Tensor t = order.get(i);
                Tensor grad = grads.remove(t);
                if (grad == null) continue;
                Node node = t.gradFn();
                if (node == null) {
                    t.accumulateGrad(grad);
                    continue;
                }
                Tensor[] inputGrads = node.backward().apply(grad);
                if (inputGrads.length != node.inputs().length)
                    throw new IllegalStateException(node.op() + " backward gave " + inputGrads.length
                            + " gradients for " + node.inputs().length + " inputs");
                for (int j = 0; j < inputGrads.length; j++) {
                    Tensor in = node.inputs()[j], gin = inputGrads[j];
                    if (gin == null || !in.requiresGrad()) continue;
                    if (!java.util.Arrays.equals(gin.shape(), in.shape()))
                        throw new IllegalStateException(node.op() + " backward gave a gradient of shape "
                                + Tensor.shapeString(gin.shape()) + " for input " + j + " of shape "
                                + Tensor.shapeString(in.shape()));
                    Tensor prev = grads.get(in);
                    grads.put(in, prev == null ? gin : prev.plus(gin));
                }
            }
        }
    }

    /** Iterative DFS (graphs of deep models would overflow a recursive one). */
    static List<Tensor> topologicalOrder(Tensor root) {
        List<Tensor> order = new ArrayList<>();
        Set<Tensor> visited = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        List<Object[]> stack = new ArrayList<>();
        stack.add(new Object[] {root, 0});
        visited.add(root);
        while (!stack.isEmpty()) {
            Object[] top = stack.get(stack.size() - 1);
            Tensor t = (Tensor) top[0];
            int next = (Integer) top[1];
            Node node = t.gradFn();
            Tensor[] inputs = node == null ? new Tensor[0] : node.inputs();
            if (next < inputs.length) {
                top[1] = next + 1;
                Tensor in = inputs[next];
                if (in.requiresGrad() && visited.add(in)) stack.add(new Object[] {in, 0});
            } else {
                stack.remove(stack.size() - 1);
                order.add(t);
            }
        }
        return order;
    }

}
