package org.instruct4j.engine.ops;

import java.util.function.DoubleUnaryOperator;
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
            for (int i = 0; i < inputs.length; i++) {
                if (grads[i] == null || !inputs[i].requiresGrad()) continue;
                if (grads[i].length != inputs[i].numel())
                    throw new IllegalStateException(name + " backward gave " + grads[i].length + " values for input " + i
                            + " of shape " + Tensor.shapeString(inputs[i].shape()));
                ts[i] = Tensor.of(grads[i], inputs[i].dtype(), g.device(), inputs[i].shape());   // a BF16 input's gradient is BF16
            }
            return ts;
        }));
    }

    /**
     * y = f(x) element by element, with dy/dx = derivative(x) (a log-sigmoid for a DPO loss: f(x) = -log(1 + e^-x),
     * f'(x) = 1 / (1 + e^x)); computed in double, stored as float.
     */
    public static Tensor elementwise(String name, DoubleUnaryOperator f, DoubleUnaryOperator derivative, Tensor x) {
        return apply(name, new Fn() {
            @Override public float[] forward(float[][] in) {
                float[] y = new float[in[0].length];
                for (int i = 0; i < y.length; i++) y[i] = (float) f.applyAsDouble(in[0][i]);
                return y;
            }

            @Override public float[][] backward(float[][] in, float[] out, float[] gradOut) {
                float[] dx = new float[in[0].length];
                for (int i = 0; i < dx.length; i++) dx[i] = (float) (gradOut[i] * derivative.applyAsDouble(in[0][i]));
                return new float[][] {dx};
            }
        }, x.shape(), x);
    }
}
