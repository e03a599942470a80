package org.instruct4j.engine.testing;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.instruct4j.engine.Rng;
import org.instruct4j.engine.ops.HostOp;
import org.junit.jupiter.api.Test;

/** The checker itself: it passes a right op, and fails a wrong forward, a wrong backward and NaN. */
class GradCheckTest {

    /** out = x^2 with a chosen forward error, backward factor and NaN injection. */
    private static HostOp.Fn square(float forwardError, float backwardFactor, boolean nan) {
        return new HostOp.Fn() {
            @Override public float[] forward(float[][] in) {
                float[] out = new float[in[0].length];
                for (int i = 0; i < out.length; i++) out[i] = in[0][i] * in[0][i] * (1 + forwardError);
                if (nan) out[0] = Float.NaN;
                return out;
            }

            @Override public float[][] backward(float[][] in, float[] out, float[] g) {
                float[] d = new float[g.length];
                for (int i = 0; i < d.length; i++) d[i] = backwardFactor * in[0][i] * g[i];
                return new float[][] {d};
            }
        };
    }

    private static void check(HostOp.Fn fn) {
        GradCheck.of("square", new Rng(11)).input("x", 5, 3)
                .check(t -> HostOp.apply("square", fn, new int[] {5, 3}, t[0]), x -> {
                    double[] out = new double[x[0].length];
                    for (int i = 0; i < out.length; i++) out[i] = x[0][i] * x[0][i];
                    return out;
                });
    }

    @Test void aCorrectOpPasses() { assertThatCode(() -> check(square(0f, 2f, false))).doesNotThrowAnyException(); }

    @Test void aForwardOffBy1e4Fails() {
        assertThatThrownBy(() -> check(square(1e-4f, 2f, false))).isInstanceOf(AssertionError.class).hasMessageContaining("forward");
    }

    @Test void aBackwardOffBy1e3Fails() {
        assertThatThrownBy(() -> check(square(0f, 2.002f, false))).isInstanceOf(AssertionError.class).hasMessageContaining("backward d/dx");
    }

    @Test void nanNeverPasses() {
        assertThatThrownBy(() -> check(square(0f, 2f, true))).isInstanceOf(AssertionError.class).hasMessageContaining("forward");
    }

    @Test void aFailureNamesItsSeed() {
        assertThatThrownBy(() -> GradCheck.withSeed("demo", rng -> { throw new AssertionError("boom"); }))
                .hasMessageContaining("demo failed with seed").hasMessageContaining(GradCheck.SEED_PROPERTY).hasMessageContaining("boom");
    }
}
