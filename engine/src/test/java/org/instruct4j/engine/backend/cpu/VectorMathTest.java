package org.instruct4j.engine.backend.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import jdk.incubator.vector.FloatVector;
import org.instruct4j.engine.Rng;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;

/** The Vector API row primitives: the exp and tanh polynomials, and ordered lane sums. */
@EnabledIf(value = VectorApi.PRESENT, disabledReason = VectorApi.ABSENT)
class VectorMathTest {
    private static final int L = FloatVector.SPECIES_PREFERRED.length();

    private static float[] apply(java.util.function.UnaryOperator<FloatVector> f, float[] x) {
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i += L)
            f.apply(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, x, i)).intoArray(out, i);
        return out;
    }

    @Test void expIsWithinAFewUlpAndHandlesTheEnds() {
        float[] x = new float[L * 4096];
        for (int i = 0; i < x.length; i++) x[i] = -87f + 175f * i / x.length;
        float[] e = apply(VectorMath::exp, x);
        for (int i = 0; i < x.length; i++) {
            double want = Math.exp(x[i]);
            assertThat(Math.abs(e[i] - want) / want).as("exp(%s)", x[i]).isLessThan(3e-7);
        }
        float[] ends = new float[L];
        java.util.Arrays.fill(ends, Float.NaN);
        ends[0] = Float.NEGATIVE_INFINITY;
        ends[1] = -1000f;
        ends[2] = 1000f;
        ends[3] = Float.POSITIVE_INFINITY;   // every width has at least 4 lanes; from 8 on the rest are NaN
        float[] got = apply(VectorMath::exp, ends);
        assertThat(got[0]).isZero();
        assertThat(got[1]).isZero();
        assertThat(got[2]).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(got[3]).isEqualTo(Float.POSITIVE_INFINITY);
        if (L > 4) assertThat(got[4]).isNaN();
    }

    /**
     * The vector exp is these scalar steps, float op by float op: the demo's bits depend on every one of them (a
     * faster way to the same n must give the same n). Every 61st float of [-100, 100], both signs.
     */
    @Test void expIsTheCephesStepsBitForBit() {
        int lo = Float.floatToIntBits(0f), hi = Float.floatToIntBits(100f), step = 61;
        float[] x = new float[2 * ((hi - lo) / step / L + 1) * L];
        for (int i = 0, b = lo; i < x.length; i += 2, b = Math.min(b + step, hi)) {
            x[i] = Float.intBitsToFloat(b);
            x[i + 1] = -x[i];
        }
        float[] got = apply(VectorMath::exp, x);
        int differing = 0, first = -1;
        for (int i = 0; i < x.length; i++)
            if (Float.floatToRawIntBits(got[i]) != Float.floatToRawIntBits(cephesExp(x[i])) && differing++ == 0) first = i;
        assertThat(differing).as("floats whose exp differs, the first %s", first < 0 ? "-" : x[first] + " -> " + got[first]
                + " instead of " + cephesExp(x[first])).isZero();
    }

    private static float cephesExp(float input) {
        if (input < -87.3f) return 0f;
        if (input > 88.7f) return Float.POSITIVE_INFINITY;
        float fx = input * 1.44269504088896341f + 0.5f;
        float n = (float) Math.floor(fx);
        float r = Math.fma(n, -0.693359375f, input);
        r = Math.fma(n, 2.12194440e-4f, r);
        float p = 1.9875691500e-4f;
        p = Math.fma(p, r, 1.3981999507e-3f);
        p = Math.fma(p, r, 8.3334519073e-3f);
        p = Math.fma(p, r, 4.1665795894e-2f);
        p = Math.fma(p, r, 1.6666665459e-1f);
        p = Math.fma(p, r, 5.0000001201e-1f);
        float y = Math.fma(p * r, r, r) + 1f;
        return y * Float.intBitsToFloat(((int) n + 127) << 23);
    }

    @Test void maxIsTheLargestAtEveryLengthAndOffset() {
        Rng rng = new Rng(7);
        float[] x = new float[16 * L + 7];
        for (int i = 0; i < x.length; i++) x[i] = (float) rng.nextGaussian() - 100f;
        for (int o = 0; o < 3; o++)
            for (int n = 1; o + n <= x.length; n++) {
                float want = Float.NEGATIVE_INFINITY;
                for (int i = 0; i < n; i++) want = Math.max(want, x[o + i]);
                assertThat(VectorMath.max(x, o, n)).as("o=%d n=%d", o, n).isEqualTo(want);
            }
        // The largest value in each position of the four-chain loop, the vector tail and the scalar tail.
        for (int at : new int[] {0, L + 1, 2 * L + 2, 3 * L + 3, 4 * L, 4 * L + 1, x.length - 1}) {
            float[] y = x.clone();
            y[at] = 5f;
            assertThat(VectorMath.max(y, 0, y.length)).as("largest at %d", at).isEqualTo(5f);
        }
        float[] zeros = new float[4 * L + 1];
        java.util.Arrays.fill(zeros, -0f);
        zeros[3 * L] = 0f;
        assertThat(Float.floatToRawIntBits(VectorMath.max(zeros, 0, zeros.length))).as("+0 beats -0").isZero();
    }

    @Test void dropoutKeepsExactlyWhatTheScalarHashKeeps() {
        Rng rng = new Rng(8);
        float[] x = new float[4099];
        for (int i = 0; i < x.length; i++) x[i] = (float) rng.nextGaussian();
        for (float p : new float[] {0.1f, 0.5f, 0.9f})
            for (long seed : new long[] {0L, -7L, 123456789012345L}) {
                float keepScale = 1f / (1f - p);
                for (int[] range : new int[][] {{0, x.length}, {3, 4000}, {5, 6}, {17, 17}}) {
                    float[] got = new float[x.length];
                    java.util.Arrays.fill(got, Float.NaN);
                    VectorMath.dropout(x, got, range[0], range[1], p, keepScale, seed);
                    for (int i = range[0]; i < range[1]; i++) {
                        float want = CpuElementwise.keep(seed, i, p) ? x[i] * keepScale : 0f;
                        assertThat(Float.floatToRawIntBits(got[i])).as("p=%s seed=%d i=%d", p, seed, i)
                                .isEqualTo(Float.floatToRawIntBits(want));
                    }
                }
            }
    }

    @Test void tanhMatchesAndSaturates() {
        Rng rng = new Rng(3);
        float[] x = new float[L * 512];
        for (int i = 0; i < x.length; i++) x[i] = (float) (rng.nextGaussian() * 20);
        float[] t = apply(VectorMath::tanh, x);
        for (int i = 0; i < x.length; i++) assertThat((double) t[i]).as("tanh(%s)", x[i]).isCloseTo(Math.tanh(x[i]), org.assertj.core.api.Assertions.within(5e-7));
    }

    @Test void laneSumsFollowTheFixedPairTree() {
        Rng rng = new Rng(9);
        for (int trial = 0; trial < 100; trial++) {
            float[] v = new float[L];
            for (int i = 0; i < L; i++) v[i] = (float) (rng.nextGaussian() * Math.pow(10, rng.nextInt(9)));
            // The same tree in scalar code: lane i plus lane i ^ w, for w = L/2 down to 1.
            float[] t = v.clone();
            for (int w = L / 2; w >= 1; w /= 2) {
                float[] next = new float[L];
                for (int i = 0; i < L; i++) next[i] = t[i] + t[i ^ w];
                t = next;
            }
            assertThat(VectorMath.sumLanes(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, v, 0))).isEqualTo(t[0]);
        }
    }
}
