package org.instruct4j.engine.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.instruct4j.engine.testing.GradCheck.size;

import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.testing.GradCheck;
import org.junit.jupiter.api.Test;

/** GPT-2's tanh GELU. */
class GeluTest {

    static double gelu(double x) {
        return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
    }

    private static double[] reference(double[] x) {
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) out[i] = gelu(x[i]);
        return out;
    }

    @Test void matchesTheTanhFormula() {
        GradCheck.withSeed("gelu", rng -> {
            int[] s = {size(rng, 1, 7), size(rng, 1, 33)};
            GradCheck.of("gelu", rng).input("x", 2f, s).check(t -> Gelu.gelu(t[0]), x -> reference(x[0]));
        });
    }

    @Test void largeMagnitudesStayFinite() {
        float[] x = {-1e4f, -50f, -10f, 10f, 50f, 1e4f};
        Tensor t = Tensor.of(x, x.length).requiresGrad(true);
        Tensor y = Gelu.gelu(t);
        y.sum().backward();
        float[] out = y.toFloatArray(), g = t.grad().toFloatArray();
        for (int i = 0; i < x.length; i++) {
            assertThat(out[i]).isCloseTo(x[i] > 0 ? x[i] : 0f, org.assertj.core.api.Assertions.within(1e-3f * Math.abs(x[i])));
            assertThat(g[i]).isCloseTo(x[i] > 0 ? 1f : 0f, org.assertj.core.api.Assertions.within(1e-5f));
        }
    }
}
