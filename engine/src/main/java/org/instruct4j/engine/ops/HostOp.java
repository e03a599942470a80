package org.instruct4j.engine.ops;

import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.autograd.Node;

/**
 * An op computed on the host from small tensors, with its derivative written next to it: the RLHF losses
 * (pairwise ranking, clipped PPO, clipped value loss) are a few thousand numbers, where clarity beats a kernel.
 */
public final class HostOp {
    private HostOp() {}

    /** Forward and backward on plain arrays: inputs[i] is input i's values in row-major order. */
    public interface Fn {
        float[] forward(float[][] inputs);

        /** Gradients of the inputs (null for one that needs none) given the output's gradient. */
        float[][] backward(float[][] inputs, float[] output, float[] gradOutput);
    }

    public static Tensor apply(String name, Fn fn, int[] outShape, Tensor... inputs) {
        Ops.sameDevice(name, inputs);
        float[][] values = new float[inputs.length][];
        for (int i = 0; i < inputs.length; i++) values[i] = inputs[i].toFloatArray();
        float[] result = fn.forward(values);
        if (result.length != Tensor.numel(outShape))
            throw new IllegalStateException(name + " gave " + result.length + " values for shape " + Tensor.shapeString(outShape));
        Tensor out = Tensor.of(result, inputs[0].device(), outShape);
        return out.recordOp(new Node(name, inputs.clone(), g -> {
            float[][] grads = fn.backward(values, result, g.toFloatArray());
            Tensor[] ts = new Tensor[inputs.length];
            for (int i = 0; i < inputs.length; i++)
                if (grads[i] != null && inputs[i].requiresGrad()) ts[i] = Tensor.of(grads[i], g.device(), inputs[i].shape());
            return ts;
        }));
    }
}
