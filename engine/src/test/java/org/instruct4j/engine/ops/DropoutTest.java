package org.instruct4j.engine.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.instruct4j.engine.Rng;
import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.testing.GradCheck;
import org.junit.jupiter.api.Test;

/** Seeded inverted dropout: mask from (seed, index), keep rate 1 - p, scale 1/(1-p), the same mask backward. */
class DropoutTest {

    /** Values well away from 0, so a kept element is never mistaken for a dropped one. */
    private static float[] awayFromZero(Rng rng, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (1 + rng.nextDouble()) * (rng.nextInt(2) == 0 ? -1 : 1);
        return v;
    }

    @Test void sameSeedSameMaskOtherSeedOtherMask() {
        GradCheck.withSeed("dropout determinism", rng -> {
            float[] x = awayFromZero(rng, 1000 + rng.nextInt(100));
            long seed = rng.nextLong();
            Tensor t = Tensor.of(x, x.length);
            float[] a = Dropout.apply(t, 0.3f, seed).toFloatArray();
            float[] b = Dropout.apply(t, 0.3f, seed).toFloatArray();
            float[] c = Dropout.apply(t, 0.3f, seed + 1).toFloatArray();
            assertThat(a).containsExactly(b);
            assertThat(a).isNotEqualTo(c);
        });
    }

    @Test void keepRateAndScale() {
        GradCheck.withSeed("dropout keep rate", rng -> {
            float p = 0.1f + 0.6f * rng.nextFloat();
            int n = 200_000;
            float[] x = awayFromZero(rng, n);
            float[] y = Dropout.apply(Tensor.of(x, n), p, rng.nextLong()).toFloatArray();
            int kept = 0;
            for (int i = 0; i < n; i++) {
                if (y[i] == 0f) continue;
                kept++;
                assertThat(y[i]).isCloseTo(x[i] / (1f - p), org.assertj.core.api.Assertions.within(1e-6f * Math.abs(y[i])));
            }
            // Binomial(n, 1 - p): five standard deviations.
            double expected = n * (1.0 - p), sigma = Math.sqrt(n * p * (1.0 - p));
            assertThat((double) kept).isBetween(expected - 5 * sigma, expected + 5 * sigma);
        });
    }

    @Test void backwardUsesTheSameMask() {
        GradCheck.withSeed("dropout backward", rng -> {
            int n = 3001;
            float p = 0.25f;
            float[] x = awayFromZero(rng, n);
            long seed = rng.nextLong();
            Tensor t = Tensor.of(x, n).requiresGrad(true);
            Tensor y = Dropout.apply(t, p, seed);
            float[] r = awayFromZero(rng, n);
            y.backward(Tensor.of(r, n));
            float[] out = y.toFloatArray(), g = t.grad().toFloatArray();
            for (int i = 0; i < n; i++) {
                float expected = out[i] == 0f ? 0f : r[i] / (1f - p);
                assertThat(g[i]).as("gradient at %d", i).isCloseTo(expected, org.assertj.core.api.Assertions.within(1e-6f * Math.abs(expected)));
            }
        });
    }

    @Test void asAGradCheckWithTheMaskFixed() {
        GradCheck.withSeed("dropout gradcheck", rng -> {
            int n = 57;
            float p = 0.4f;
            long seed = rng.nextLong();
            // The mask, read off the op itself on ones, becomes a constant of the float64 reference.
            float[] ones = new float[n];
            java.util.Arrays.fill(ones, 1f);
            float[] mask = Dropout.apply(Tensor.of(ones, n), p, seed).toFloatArray();
            GradCheck.of("dropout", rng).input("x", n).check(t -> Dropout.apply(t[0], p, seed), x -> {
                double[] out = new double[n];
                for (int i = 0; i < n; i++) out[i] = x[0][i] * mask[i];
                return out;
            });
        });
    }

    @Test void zeroProbabilityIsIdentityAndBadProbabilityIsRejected() {
        Tensor x = Tensor.of(new float[] {1, 2, 3}, 3);
        assertThat(Dropout.apply(x, 0f, 7).toFloatArray()).containsExactly(1, 2, 3);
        assertThatThrownBy(() -> Dropout.apply(x, 1f, 7)).hasMessageContaining("[0, 1)");
        assertThatThrownBy(() -> Dropout.apply(x, -0.1f, 7)).hasMessageContaining("[0, 1)");
    }
}
