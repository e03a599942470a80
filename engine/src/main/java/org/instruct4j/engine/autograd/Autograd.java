package org.instruct4j.engine.autograd;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.instruct4j.engine.Tensor;

/**
 * Reverse-mode differentiation over the define-by-run graph: order the nodes reachable from the output
 * topologically, then walk them backwards, handing each op the gradient of its output. Leaves that require
 * grad accumulate into {@link Tensor#grad()} (a copy); an intermediate gradient's memory is given back as soon as
 * the op that needed it has made its inputs' gradients, so a backward holds a layer's gradients at a time rather
 * than the whole graph's until the step's scope closes (the demo's reward-model stage: 0.7 GiB of heap, not 0.95).
 */
public final class Autograd {
    private Autograd() {}

    public static void backward(Tensor output, Tensor seed) {
        List<Tensor> order = topologicalOrder(output);
        Map<Tensor, Tensor> grads = new IdentityHashMap<>();
        PendingGradients pending = new PendingGradients();
        grads.put(output, seed);
        pending.hold(seed);
        try (GradMode g = GradMode.off()) {
            for (int i = order.size() - 1; i >= 0; i--) {
                Tensor t = order.get(i);
                Tensor grad = grads.remove(t);
                if (grad == null) continue;
                pending.letGo(grad);
                Node node = t.gradFn();
                if (node == null) {
                    t.accumulateGrad(grad);
                    pending.freeUnheld();
                    continue;
                }
                Tensor[] inputGrads = node.backward().apply(grad);
                if (inputGrads.length != node.inputs().length)
                    throw new IllegalStateException(node.op() + " backward gave " + inputGrads.length
                            + " gradients for " + node.inputs().length + " inputs");
                for (int j = 0; j < inputGrads.length; j++) {
                    Tensor in = node.inputs()[j], gin = inputGrads[j];
                    if (gin == null) continue;
                    if (!in.requiresGrad()) {
                        // Made for an input that needs none (an op returns all its gradients): nothing reads it.
                        pending.consider(gin);
                        continue;
                    }
                    if (!java.util.Arrays.equals(gin.shape(), in.shape()))
                        throw new IllegalStateException(node.op() + " backward gave a gradient of shape "
                                + Tensor.shapeString(gin.shape()) + " for input " + j + " of shape "
                                + Tensor.shapeString(in.shape()));
                    // A gradient in another dtype than its input would make every op behind it convert its operands.
                    if (gin.dtype() != in.dtype())
                        throw new IllegalStateException(node.op() + " backward gave a " + gin.dtype() + " gradient for input " + j
                                + ", a " + in.dtype() + " tensor");
                    Tensor prev = grads.get(in), sum = prev == null ? gin : prev.plus(gin);
                    grads.put(in, sum);
                    pending.hold(sum);
                    if (prev != null) {
                        pending.letGo(prev);
                        pending.consider(gin);
                    }
                }
                pending.freeUnheld();
            }
        }
    }

    /**
     * The gradients waiting in the walk, counted by the tensor that owns their memory (an op may hand its output's
     * gradient on as it is, or as a reshape view, to one input or several). One that nothing waits for any more is
     * freed if this walk made it: the caller's seed, the forward graph's tensors and any other tensor made before
     * (a constant an op hands on as a gradient) are left alone.
     */
    private static final class PendingGradients {
        private final long walkStart = Tensor.madeSoFar();
        private final Map<Tensor, Integer> held = new IdentityHashMap<>();
        private final List<Tensor> released = new ArrayList<>();

        void hold(Tensor gradient) { held.merge(gradient.storageOwner(), 1, Integer::sum); }

        /** One use fewer: the gradient left the walk's map, or was added into another. */
        void letGo(Tensor gradient) {
            Tensor owner = gradient.storageOwner();
            held.computeIfPresent(owner, (o, n) -> n == 1 ? null : n - 1);
            released.add(owner);
        }

        /**
         * A gradient that was never waiting (one added into another as it arrived, or one made for an input that
         * needs none): free it too if nothing holds it.
         */
        void consider(Tensor gradient) { released.add(gradient.storageOwner()); }

        void freeUnheld() {
            for (Tensor owner : released)
                if (!held.containsKey(owner) && owner.madeAfter(walkStart)) owner.free();
            released.clear();
        }
    }

    /** A tensor on the walk's stack, and which input of the node that made it the walk visits next. */
    private static final class Frame {
        private static final Tensor[] LEAF = new Tensor[0];
        final Tensor tensor;
        final Tensor[] inputs;
        int nextInput;

        Frame(Tensor tensor) {
            this.tensor = tensor;
            this.inputs = tensor.gradFn() == null ? LEAF : tensor.gradFn().inputs();
        }
    }

    /** Iterative DFS (graphs of deep models would overflow a recursive one). */
    static List<Tensor> topologicalOrder(Tensor root) {
        List<Tensor> order = new ArrayList<>();
        Set<Tensor> visited = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        Deque<Frame> stack = new ArrayDeque<>();
        stack.push(new Frame(root));
        visited.add(root);
        while (!stack.isEmpty()) {
            Frame top = stack.peek();
            if (top.nextInput < top.inputs.length) {
                Tensor in = top.inputs[top.nextInput++];
                if (in.requiresGrad() && visited.add(in)) stack.push(new Frame(in));
            } else {
                stack.pop();
                order.add(top.tensor);
            }
        }
        return order;
    }

}
