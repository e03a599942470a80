package org.instruct4j.engine.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.instruct4j.engine.testing.GradCheck.size;

import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.testing.GradCheck;
import org.junit.jupiter.api.Test;

/** Softmax over the last dim. */
class SoftmaxTest {

    static double[] reference(double[] x, int cols) {
        double[] out = new double[x.length];
        for (int r = 0; r < x.length / cols; r++) {
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int c = 0; c < cols; c++) max = Math.max(max, x[r * cols + c]);
            for (int c = 0; c < cols; c++) sum += Math.exp(x[r * cols + c] - max);
            for (int c = 0; c < cols; c++) out[r * cols + c] = Math.exp(x[r * cols + c] - max) / sum;
        }
        return out;
    }

    @Test void forwardAndBackward() {
        GradCheck.withSeed("softmax", rng -> {
            int a = size(rng, 1, 3), b = size(rng, 1, 5), c = size(rng, 1, 29);
            GradCheck.of("softmax", rng).input("x", 2f, a, b, c).check(t -> Softmax.apply(t[0]), x -> reference(x[0], c));
        });
    }

    @Test void hugeLogitsDoNotOverflow() {
        float[] x = {1000f, 999f, -1000f, 88f, 89f, 90f};
        float[] y = Softmax.apply(Tensor.of(x, 2, 3)).toFloatArray();
        double[] want = reference(GradCheck.widen(x), 3);
        GradCheck.assertClose("softmax of huge logits", y, want, 1e-6);
        assertThat(y[0] + y[1] + y[2]).isCloseTo(1f, org.assertj.core.api.Assertions.within(1e-6f));
    }

    @Test void minusInfinityGetsExactlyZeroProbability() {
        float ninf = Float.NEGATIVE_INFINITY;
        float[] x = {0.5f, ninf, 1.5f, ninf, -2f, 0f, 0f, 0f, 0f, 3f, ninf, 1f};
        float[] y = Softmax.apply(Tensor.of(x, 1, 12)).toFloatArray();
        for (int i = 0; i < x.length; i++) if (x[i] == ninf) assertThat(y[i]).as("p[%d]", i).isZero();
        double[] finite = new double[x.length];
        for (int i = 0; i < x.length; i++) finite[i] = x[i] == ninf ? -1e300 : x[i];
        GradCheck.assertClose("softmax with -inf", y, reference(finite, 12), 1e-6);
    }

    @Test void aScalarHasNoDimToRunOver() {
        assertThatThrownBy(() -> Softmax.apply(Tensor.zeros())).hasMessageContaining("softmax").hasMessageContaining("F32[]");
    }
}
