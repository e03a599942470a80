package org.instruct4j.engine.backend.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import jdk.incubator.vector.FloatVector;
import org.instruct4j.engine.Rng;
import org.instruct4j.engine.testing.GradCheck;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;

/**
 * PlainMath, the kernels of a JVM without the Vector API, gives VectorMath's bits: every row primitive at every
 * length from 0 to 70 (whole 16-lane steps and ragged ends) at odd offsets, on values from 1e-3 to 1e4 in size with
 * a few infinities, NaNs and signed zeros among them (drawn from a seed per test; -Dinstruct4j.testFuzz=N draws fresh
 * ones), and exp and tanh on every 257th float. Run at any width (16 lanes here, 8 with -XX:UseAVX=2, 4 with
 * -XX:MaxVectorSize=16), it says that width's bits are the plain loops' too.
 */
@EnabledIf(value = VectorApi.PRESENT, disabledReason = VectorApi.ABSENT)
class PlainMathTest {
    private static final int MAX_N = 70, OFFSET = 3;

    private static float[] values(Rng rng, int n, boolean specials) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (rng.nextGaussian() * 3 * Math.exp(2 * rng.nextGaussian()));
        if (specials && n > OFFSET + 8) {
            float[] odd = {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, 0f, -0f, 95f, -95f, 1e-40f};
            for (float v : odd) x[OFFSET + rng.nextInt(n - OFFSET)] = v;
        }
        return x;
    }

    /** The same bits (float[] equality is Arrays.equals, which compares Float.floatToIntBits: NaN equals NaN, -0 not 0). */
    private static void assertSameBits(float[] plain, float[] vector, String what, int n) {
        assertThat(plain).as("%s, n = %d, plain against vector", what, n).isEqualTo(vector);
    }

    private static void assertSameBits(float plain, float vector, String what, int n) {
        assertSameBits(new float[] {plain}, new float[] {vector}, what, n);
    }

    @Test void expAndTanhOfEvery257thFloat() {
        int lanes = FloatVector.SPECIES_PREFERRED.length();
        float[] x = new float[lanes], e = new float[lanes], t = new float[lanes];
        int differing = 0;
        String first = null;
        for (long bits = Integer.MIN_VALUE; bits <= Integer.MAX_VALUE; bits += 257L * lanes) {
            for (int i = 0; i < lanes; i++) x[i] = Float.intBitsToFloat((int) (bits + 257L * i));
            FloatVector v = FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, x, 0);
            VectorMath.exp(v).intoArray(e, 0);
            VectorMath.tanh(v).intoArray(t, 0);
            for (int i = 0; i < lanes; i++)
                if (Float.floatToIntBits(PlainMath.exp(x[i])) != Float.floatToIntBits(e[i])
                        || Float.floatToIntBits(PlainMath.tanh(x[i])) != Float.floatToIntBits(t[i])) {
                    if (differing++ == 0) first = x[i] + ": exp " + PlainMath.exp(x[i]) + " against " + e[i]
                            + ", tanh " + PlainMath.tanh(x[i]) + " against " + t[i];
                }
        }
        assertThat(differing).as("floats whose exp or tanh differ; the first: %s", first).isZero();
    }

    @Test void sumsDotsAndMaxima() {
        GradCheck.withSeed("PlainMathTest.sumsDotsAndMaxima", PlainMathTest::checkSumsDotsAndMaxima);
    }

    private static void checkSumsDotsAndMaxima(Rng rng) {
        for (int n = 0; n <= MAX_N; n++) {
            float[] a = values(rng, OFFSET + n, n % 5 == 4), b = values(rng, OFFSET + n, false);
            assertSameBits(PlainMath.sum(a, OFFSET, n), VectorMath.sum(a, OFFSET, n), "sum", n);
            assertSameBits(PlainMath.dot(a, OFFSET, b, OFFSET, n), VectorMath.dot(a, OFFSET, b, OFFSET, n), "dot", n);
            assertSameBits(PlainMath.max(a, OFFSET, n), VectorMath.max(a, OFFSET, n), "max", n);
            float[] yPlain = b.clone(), yVector = b.clone();
            PlainMath.axpy(-0.37f, a, OFFSET, yPlain, OFFSET, n);
            VectorMath.axpy(-0.37f, a, OFFSET, yVector, OFFSET, n);
            assertSameBits(yPlain, yVector, "axpy", n);
            PlainMath.scale(yPlain, OFFSET, 1.7f, n);
            VectorMath.scale(yVector, OFFSET, 1.7f, n);
            assertSameBits(yPlain, yVector, "scale", n);
        }
    }

    @Test void exponentialsOfARow() {
        GradCheck.withSeed("PlainMathTest.exponentialsOfARow", PlainMathTest::checkExponentialsOfARow);
    }

    private static void checkExponentialsOfARow(Rng rng) {
        for (int n = 0; n <= MAX_N; n++) {
            float[] x = values(rng, OFFSET + n, n % 5 == 4);
            float shift = n == 0 ? 0f : VectorMath.max(x, OFFSET, n);
            float[] outPlain = new float[OFFSET + n], outVector = new float[OFFSET + n];
            assertSameBits(PlainMath.expSum(x, OFFSET, shift, outPlain, OFFSET, n),
                    VectorMath.expSum(x, OFFSET, shift, outVector, OFFSET, n), "expSum", n);
            assertSameBits(outPlain, outVector, "expSum's exponentials", n);
            assertSameBits(PlainMath.expSum(x, OFFSET, shift, null, 0, n), VectorMath.expSum(x, OFFSET, shift, null, 0, n),
                    "expSum without an output", n);
            PlainMath.scaledExp(x, OFFSET, shift, -0.3f, outPlain, OFFSET, n);
            VectorMath.scaledExp(x, OFFSET, shift, -0.3f, outVector, OFFSET, n);
            assertSameBits(outPlain, outVector, "scaledExp", n);
        }
    }

    @Test void layerNormForwardBackwardAndWeightGradients() {
        GradCheck.withSeed("PlainMathTest.layerNormForwardBackwardAndWeightGradients", PlainMathTest::checkLayerNormForwardBackwardAndWeightGradients);
    }

    private static void checkLayerNormForwardBackwardAndWeightGradients(Rng rng) {
        for (int n = 1; n <= MAX_N; n++) {
            int rows = 3, size = rows * n;
            float[] x = values(rng, size, false), w = values(rng, n, false), b = values(rng, n, false), dout = values(rng, size, false);
            float[] outPlain = new float[size], outVector = new float[size], dxPlain = new float[size], dxVector = new float[size];
            float[] meanPlain = new float[rows], rstdPlain = new float[rows], meanVector = new float[rows], rstdVector = new float[rows];
            for (int r = 0; r < rows; r++) {
                PlainMath.layerNormRow(x, w, b, outPlain, r * n, n, 1e-5f, meanPlain, rstdPlain, r);
                VectorMath.layerNormRow(x, w, b, outVector, r * n, n, 1e-5f, meanVector, rstdVector, r);
                PlainMath.layerNormBackwardRow(dout, x, w, meanPlain[r], rstdPlain[r], dxPlain, r * n, n);
                VectorMath.layerNormBackwardRow(dout, x, w, meanVector[r], rstdVector[r], dxVector, r * n, n);
            }
            assertSameBits(meanPlain, meanVector, "layer norm means", n);
            assertSameBits(rstdPlain, rstdVector, "layer norm 1/std", n);
            assertSameBits(outPlain, outVector, "layer norm", n);
            assertSameBits(dxPlain, dxVector, "layer norm dx", n);
            float[] dwPlain = new float[n], dbPlain = new float[n], dwVector = new float[n], dbVector = new float[n];
            PlainMath.layerNormWeightGrads(dout, x, meanPlain, rstdPlain, rows, n, dwPlain, dbPlain, 0, n);
            VectorMath.layerNormWeightGrads(dout, x, meanPlain, rstdPlain, rows, n, dwVector, dbVector, 0, n);
            assertSameBits(dwPlain, dwVector, "layer norm dw", n);
            assertSameBits(dbPlain, dbVector, "layer norm db", n);
        }
    }

    @Test void softmaxAndAttentionScoreGradients() {
        GradCheck.withSeed("PlainMathTest.softmaxAndAttentionScoreGradients", PlainMathTest::checkSoftmaxAndAttentionScoreGradients);
    }

    private static void checkSoftmaxAndAttentionScoreGradients(Rng rng) {
        for (int n = 0; n <= MAX_N; n++) {
            float[] y = values(rng, OFFSET + n, false), dy = values(rng, OFFSET + n, n % 5 == 4);
            float[] dxPlain = new float[OFFSET + n], dxVector = new float[OFFSET + n];
            PlainMath.softmaxBackwardRow(y, dy, dxPlain, OFFSET, n);
            VectorMath.softmaxBackwardRow(y, dy, dxVector, OFFSET, n);
            assertSameBits(dxPlain, dxVector, "softmax backward", n);
            float[] dsPlain = dy.clone(), dsVector = dy.clone();
            PlainMath.attentionScoreGradRow(y, dsPlain, OFFSET, n, 0.8f, 0.125f);
            VectorMath.attentionScoreGradRow(y, dsVector, OFFSET, n, 0.8f, 0.125f);
            assertSameBits(dsPlain, dsVector, "attention score gradient", n);
        }
    }

    @Test void geluForwardAndBackward() {
        GradCheck.withSeed("PlainMathTest.geluForwardAndBackward", PlainMathTest::checkGeluForwardAndBackward);
    }

    private static void checkGeluForwardAndBackward(Rng rng) {
        for (int n = 0; n <= MAX_N; n++) {
            int to = OFFSET + n;
            float[] x = values(rng, to, n % 5 == 4), dout = values(rng, to, false);
            float[] plain = new float[to], vector = new float[to], tPlain = new float[to], tVector = new float[to];
            PlainMath.gelu(x, plain, OFFSET, to);
            VectorMath.gelu(x, vector, OFFSET, to);
            assertSameBits(plain, vector, "gelu", n);
            PlainMath.geluKeepingTanh(x, plain, tPlain, OFFSET, to);
            VectorMath.geluKeepingTanh(x, vector, tVector, OFFSET, to);
            assertSameBits(plain, vector, "gelu keeping tanh", n);
            assertSameBits(tPlain, tVector, "gelu's tanh", n);
            PlainMath.geluBackwardFromTanh(x, tPlain, dout, plain, OFFSET, to);
            VectorMath.geluBackwardFromTanh(x, tVector, dout, vector, OFFSET, to);
            assertSameBits(plain, vector, "gelu backward from tanh", n);
            PlainMath.geluBackward(x, dout, plain, OFFSET, to);
            VectorMath.geluBackward(x, dout, vector, OFFSET, to);
            assertSameBits(plain, vector, "gelu backward", n);
        }
    }
}
