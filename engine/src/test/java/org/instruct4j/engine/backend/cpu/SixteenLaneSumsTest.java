package org.instruct4j.engine.backend.cpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import jdk.incubator.vector.FloatVector;
import org.instruct4j.engine.Rng;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;

/**
 * VectorMath's row sums have the bits of one fixed order whether the machine's vectors hold 4 floats (NEON), 8 (AVX2)
 * or 16 (AVX-512): 16 running lanes, lane v taking the elements v, v + 16, ... in order, then added in the tree (v, v +
 * 8), (v, v + 4), (v, v + 2), (v, v + 1). Each check here writes that order out in scalar code and compares bits, at
 * every length from 1 to 70 (whole steps, ragged ends) and at odd offsets. Run on any of these machines (or with
 * -XX:UseAVX=2 or -XX:MaxVectorSize=16 on an x86 one), the same reference holds; that is what makes the engine's
 * results the same on all of them.
 */
@EnabledIf(value = VectorApi.PRESENT, disabledReason = VectorApi.ABSENT)
class SixteenLaneSumsTest {
    private static final int LANES = 16;
    private static final int MAX_N = 70;

    @BeforeAll static void vectorWidthIsFourEightOrSixteen() {
        int l = FloatVector.SPECIES_PREFERRED.length();
        assumeTrue(l == 4 || l == 8 || l == 16,
                "the 16-lane order is kept on 4-, 8- and 16-float vectors; this machine has " + l);
    }

    /** The fixed tree over 16 running lanes. */
    private static float tree(float[] lanes) {
        float[] t = lanes.clone();
        for (int w = LANES / 2; w >= 1; w /= 2) {
            float[] next = new float[LANES];
            for (int v = 0; v < LANES; v++) next[v] = t[v] + t[v ^ w];
            t = next;
        }
        return t[0];
    }

    private static float[] gaussian(Rng rng, int n, double scale) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (rng.nextGaussian() * scale * Math.exp(rng.nextGaussian()));
        return x;
    }

    /** e^x as VectorMath computes one lane of it (the same for every lane and width). */
    private static float vectorExp(float x) {
        return VectorMath.exp(FloatVector.broadcast(FloatVector.SPECIES_PREFERRED, x)).lane(0);
    }

    private static void assertSameBits(float got, float want, String what, int n) {
        assertThat(Float.floatToRawIntBits(got)).as("%s, n = %d: %s against %s", what, n, got, want)
                .isEqualTo(Float.floatToRawIntBits(want));
    }

    @Test void sumAndDotKeepSixteenRunningLanes() {
        Rng rng = new Rng(21);
        for (int n = 1; n <= MAX_N; n++) {
            int o = 3, p = 5;
            float[] a = gaussian(rng, o + n, 10), b = gaussian(rng, p + n, 10);
            float[] sums = new float[LANES], dots = new float[LANES];
            for (int i = 0; i < n; i++) {
                sums[i % LANES] += a[o + i];
                dots[i % LANES] = Math.fma(a[o + i], b[p + i], dots[i % LANES]);
            }
            assertSameBits(VectorMath.sum(a, o, n), tree(sums), "sum", n);
            assertSameBits(VectorMath.dot(a, o, b, p, n), tree(dots), "dot", n);
        }
    }

    @Test void expSumKeepsSixteenRunningLanesAndWritesEveryExponential() {
        Rng rng = new Rng(22);
        for (int n = 1; n <= MAX_N; n++) {
            int o = 7;
            float[] x = gaussian(rng, o + n, 3), out = new float[o + n], scaled = new float[o + n];
            float shift = VectorMath.max(x, o, n);
            float[] lanes = new float[LANES];
            for (int i = 0; i < n; i++) lanes[i % LANES] += vectorExp(x[o + i] - shift);
            assertSameBits(VectorMath.expSum(x, o, shift, out, o, n), tree(lanes), "expSum", n);
            VectorMath.scaledExp(x, o, shift, 0.25f, scaled, o, n);
            for (int i = 0; i < n; i++) {
                float e = vectorExp(x[o + i] - shift);
                assertSameBits(out[o + i], e, "expSum's exponential " + i, n);
                assertSameBits(scaled[o + i], e * 0.25f, "scaledExp " + i, n);
            }
        }
    }

    @Test void layerNormRowsKeepSixteenRunningLanes() {
        Rng rng = new Rng(23);
        float eps = 1e-5f;
        for (int n = 1; n <= MAX_N; n++) {
            int o = 2 * n;
            float[] x = gaussian(rng, 3 * n, 2), w = gaussian(rng, n, 1), b = gaussian(rng, n, 1), dout = gaussian(rng, 3 * n, 1);
            float[] out = new float[3 * n], mean = new float[3], rstd = new float[3], dx = new float[3 * n];
            VectorMath.layerNormRow(x, w, b, out, o, n, eps, mean, rstd, 2);
            float[] sums = new float[LANES];
            for (int i = 0; i < n; i++) sums[i % LANES] += x[o + i];
            float mu = tree(sums) / n;
            float[] squares = new float[LANES];
            for (int i = 0; i < n; i++) {
                float d = x[o + i] - mu;
                squares[i % LANES] = Math.fma(d, d, squares[i % LANES]);
            }
            float rs = (float) (1.0 / Math.sqrt(tree(squares) / n + eps));
            assertSameBits(mean[2], mu, "layer norm mean", n);
            assertSameBits(rstd[2], rs, "layer norm rstd", n);
            for (int i = 0; i < n; i++) assertSameBits(out[o + i], Math.fma((x[o + i] - mu) * rs, w[i], b[i]), "layer norm out " + i, n);

            VectorMath.layerNormBackwardRow(dout, x, w, mu, rs, dx, o, n);
            float[] g = new float[LANES], gx = new float[LANES];
            for (int i = 0; i < n; i++) {
                float gi = dout[o + i] * w[i], xhat = (x[o + i] - mu) * rs;
                g[i % LANES] += gi;
                gx[i % LANES] = Math.fma(gi, xhat, gx[i % LANES]);
            }
            float mg = tree(g) / n, mgx = tree(gx) / n;
            for (int i = 0; i < n; i++) {
                float xhat = (x[o + i] - mu) * rs;
                assertSameBits(dx[o + i], (dout[o + i] * w[i] - mg - xhat * mgx) * rs, "layer norm dx " + i, n);
            }
        }
    }
}
