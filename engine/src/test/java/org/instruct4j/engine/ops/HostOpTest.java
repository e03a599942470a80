package org.instruct4j.engine.ops;

import static org.instruct4j.engine.testing.GradCheck.size;

import org.instruct4j.engine.testing.GradCheck;
import org.junit.jupiter.api.Test;

/** An op on host arrays with its derivative written by hand: out = a * b + sin(a), b broadcast per row. */
class HostOpTest {

    private static final HostOp.Fn MUL_PLUS_SIN = new HostOp.Fn() {
        @Override public float[] forward(float[][] in) {
            float[] a = in[0], b = in[1], out = new float[a.length];
            for (int i = 0; i < a.length; i++) out[i] = a[i] * b[i % b.length] + (float) Math.sin(a[i]);
            return out;
        }

        @Override public float[][] backward(float[][] in, float[] out, float[] g) {
            float[] a = in[0], b = in[1], da = new float[a.length], db = new float[b.length];
            for (int i = 0; i < a.length; i++) {
                da[i] = g[i] * (b[i % b.length] + (float) Math.cos(a[i]));
                db[i % b.length] += g[i] * a[i];
            }
            return new float[][] {da, db};
        }
    };

    @Test void forwardAndBackwardThroughTheHost() {
        GradCheck.withSeed("host op", rng -> {
            int rows = size(rng, 1, 5), cols = size(rng, 1, 7);
            GradCheck.of("host op", rng).input("a", rows, cols).input("b", cols).expectShape(rows, cols)
                    .check(t -> HostOp.apply("mulPlusSin", MUL_PLUS_SIN, new int[] {rows, cols}, t[0], t[1]), x -> {
                        double[] out = new double[rows * cols];
                        for (int i = 0; i < out.length; i++) out[i] = x[0][i] * x[1][i % cols] + Math.sin(x[0][i]);
                        return out;
                    });
        });
    }

    @Test void constantInputGetsNoGradient() {
        GradCheck.withSeed("host op constant", rng -> {
            int cols = size(rng, 1, 7);
            GradCheck.of("host op constant b", rng).input("a", 2, cols).constant("b", cols)
                    .check(t -> HostOp.apply("mulPlusSin", MUL_PLUS_SIN, new int[] {2, cols}, t[0], t[1]), x -> {
                        double[] out = new double[2 * cols];
                        for (int i = 0; i < out.length; i++) out[i] = x[0][i] * x[1][i % cols] + Math.sin(x[0][i]);
                        return out;
                    });
        });
    }

    /** The log-sigmoid a DPO loss takes, written as README's embedder would write it. */
    @Test void elementwiseLogSigmoid() {
        GradCheck.withSeed("log-sigmoid", rng -> {
            int n = size(rng, 1, 9);
            GradCheck.of("log-sigmoid", rng).input("x", n).expectShape(n)
                    .check(t -> HostOp.elementwise("logSigmoid", x -> -Math.log1p(Math.exp(-x)), x -> 1 / (1 + Math.exp(x)), t[0]), x -> {
                        double[] out = new double[n];
                        for (int i = 0; i < n; i++) out[i] = -Math.log(1 + Math.exp(-x[0][i]));
                        return out;
                    });
        });
    }

    @Test void wrongGradientSizeIsNamed() {
        HostOp.Fn shortGradient = new HostOp.Fn() {
            @Override public float[] forward(float[][] in) { return in[0].clone(); }

            @Override public float[][] backward(float[][] in, float[] out, float[] g) { return new float[][] {new float[1]}; }
        };
        org.instruct4j.engine.Tensor x = org.instruct4j.engine.Tensor.zeros(2).requiresGrad(true);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> HostOp.apply("short", shortGradient, new int[] {2}, x).sum().backward())
                .hasMessageContaining("short backward gave 1 values for input 0 of shape [2]");
    }

    @Test void wrongOutputSizeIsNamed() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> HostOp.apply("bad", MUL_PLUS_SIN, new int[] {5},
                        org.instruct4j.engine.Tensor.zeros(2), org.instruct4j.engine.Tensor.zeros(2)))
                .hasMessageContaining("bad").hasMessageContaining("[5]");
    }
}
