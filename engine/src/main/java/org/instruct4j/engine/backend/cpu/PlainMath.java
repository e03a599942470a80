package org.instruct4j.engine.backend.cpu;

/**
 * {@link VectorMath}'s row primitives in plain Java, for a JVM without the Vector API: the same IEEE operations in
 * the same order, so the same bits as the vector kernels on every width they run at. This is also the readable
 * definition of that order:
 * <ul>
 *   <li>a row's sum keeps 16 running lanes (lane v adds the elements v, v + 16, v + 32, ... in order, each a plain
 *       add or an fma as the vector code does) and adds them in one tree at the end: lane v with v + 8, then with
 *       v + 4, v + 2 and v + 1 ({@link #tree});
 *   <li>exp is a polynomial of exact adds, multiplies and fmas, not Math.exp ({@link #exp});
 *   <li>everything elementwise is written in the vector code's order of operations.
 * </ul>
 * PlainMathTest checks every function here against VectorMath bit for bit.
 */
final class PlainMath {
    /** A sum's running lanes, whatever the width of the machine's vectors. */
    static final int LANES = 16;
    /** 1.5 * 2^23: a float of magnitude below 2^22 added to it is rounded to an integer, held in the sum's low bits. */
    static final float ROUNDING = 12582912f;
    static final float LOG2_E = 1.44269504088896341f;
    /** ln 2 split in two (Cody and Waite), so that n ln 2 is subtracted from x with almost no rounding. */
    static final float LN2_HIGH = 0.693359375f, LN2_LOW = -2.12194440e-4f;
    /** e^r - 1 - r = r^2 (P0 + P1 r + ... + P5 r^5) on |r| <= ln 2 / 2 (Cephes' expf). */
    static final float P0 = 5.0000001201e-1f, P1 = 1.6666665459e-1f, P2 = 4.1665795894e-2f, P3 = 8.3334519073e-3f,
            P4 = 1.3981999507e-3f, P5 = 1.9875691500e-4f;
    /** Below it e^x is 0, above {@link #EXP_MAX} infinity, as Math.exp gives (a masked -inf logit weighs exactly 0). */
    static final float EXP_MIN = -87.3f, EXP_MAX = 88.7f;
    static final float SQRT_2_OVER_PI = (float) Math.sqrt(2 / Math.PI);
    static final float GELU_C = 0.044715f;

    private static final int ROUNDING_BITS = Float.floatToRawIntBits(ROUNDING);

    private PlainMath() {}

    /** Each thread's running lanes: two sums' worth (layer norm's backward keeps two). */
    private static final ThreadLocal<float[]> RUNNING = ThreadLocal.withInitial(() -> new float[2 * LANES]);

    private static float[] runningLanes() {
        float[] lanes = RUNNING.get();
        java.util.Arrays.fill(lanes, 0f);
        return lanes;
    }

    /** The 16 lanes from {@code from} added in the fixed tree: (v, v + 8), then (v, v + 4), (v, v + 2), (v, v + 1). */
    static float tree(float[] lanes, int from) {
        for (int w = LANES / 2; w >= 1; w /= 2)
            for (int v = from; v < from + w; v++) lanes[v] = lanes[v] + lanes[v + w];
        return lanes[from];
    }

    /** e^x, as {@link VectorMath#exp} computes each lane (its comment says how). */
    static float exp(float x) {
        if (x < EXP_MIN) return 0f;
        if (x > EXP_MAX) return Float.POSITIVE_INFINITY;
        float fx = x * LOG2_E + 0.5f;
        // floor(fx): the value VectorMath gets by rounding with ROUNDING and stepping down where that went up (equal
        // for |fx| < 2^22, as it is in range). Math.floor is one instruction; that step, a branch taken half the
        // time at random, made this exp 2.6x slower (9.3 ns against 3.6 on a Zen 5).
        float n = (float) Math.floor(fx);
        float r = Math.fma(n, -LN2_HIGH, x);
        r = Math.fma(n, -LN2_LOW, r);
        float p = Math.fma(P5, r, P4);
        p = Math.fma(p, r, P3);
        p = Math.fma(p, r, P2);
        p = Math.fma(p, r, P1);
        p = Math.fma(p, r, P0);
        float y = Math.fma(p * r, r, r) + 1f;
        int twoToN = (Float.floatToRawIntBits(n + ROUNDING) - (ROUNDING_BITS - 127)) << 23;
        return y * Float.intBitsToFloat(twoToN);
    }

    /** tanh(u) = 1 - 2 / (e^(2u) + 1). */
    static float tanh(float u) { return 1f - 2f / (exp(u * 2f) + 1f); }

    static float sum(float[] x, int o, int n) {
        float[] lanes = runningLanes();
        for (int i = 0; i < n; i++) lanes[i % LANES] += x[o + i];
        return tree(lanes, 0);
    }

    static float dot(float[] a, int ao, float[] b, int bo, int n) {
        float[] lanes = runningLanes();
        for (int i = 0; i < n; i++) lanes[i % LANES] = Math.fma(a[ao + i], b[bo + i], lanes[i % LANES]);
        return tree(lanes, 0);
    }

    /** y[yo + i] += alpha * x[xo + i], one fma each. */
    static void axpy(float alpha, float[] x, int xo, float[] y, int yo, int n) {
        for (int i = 0; i < n; i++) y[yo + i] = Math.fma(x[xo + i], alpha, y[yo + i]);
    }

    /** The largest element: a maximum is the same in any grouping. */
    static float max(float[] x, int o, int n) {
        float m = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) m = Math.max(m, x[o + i]);
        return m;
    }

    /** sum of exp(x[o + i] - shift); writes the exponentials to out[oo + i] when out is not null. */
    static float expSum(float[] x, int o, float shift, float[] out, int oo, int n) {
        float[] lanes = runningLanes();
        for (int i = 0; i < n; i++) {
            float e = exp(x[o + i] - shift);
            if (out != null) out[oo + i] = e;
            lanes[i % LANES] += e;
        }
        return tree(lanes, 0);
    }

    /** out[oo + i] = factor * exp(x[o + i] - shift); out may be x. */
    static void scaledExp(float[] x, int o, float shift, float factor, float[] out, int oo, int n) {
        for (int i = 0; i < n; i++) out[oo + i] = exp(x[o + i] - shift) * factor;
    }

    static void scale(float[] x, int o, float factor, int n) {
        for (int i = 0; i < n; i++) x[o + i] *= factor;
    }

    // ---- layernorm ------------------------------------------------------------------------------------------

    /** One row r at offset o: out = (x - mean) * rstd * w + b; saves mean[r] and rstd[r]. */
    static void layerNormRow(float[] x, float[] w, float[] b, float[] out, int o, int cols, float eps, float[] mean, float[] rstd, int r) {
        float mu = sum(x, o, cols) / cols;
        float[] lanes = runningLanes();
        for (int i = 0; i < cols; i++) {
            float d = x[o + i] - mu;
            lanes[i % LANES] = Math.fma(d, d, lanes[i % LANES]);
        }
        float rs = (float) (1.0 / Math.sqrt(tree(lanes, 0) / cols + eps));
        for (int i = 0; i < cols; i++) out[o + i] = Math.fma((x[o + i] - mu) * rs, w[i], b[i]);
        mean[r] = mu;
        rstd[r] = rs;
    }

    /** One row of dx = rstd * (g - mean(g) - xhat * mean(g * xhat)) with g = dout * w. */
    static void layerNormBackwardRow(float[] dout, float[] x, float[] w, float mu, float rs, float[] dx, int o, int cols) {
        float[] lanes = runningLanes();   // the sum of g in lanes 0-15, of g * xhat in 16-31
        for (int i = 0; i < cols; i++) {
            float g = dout[o + i] * w[i];
            lanes[i % LANES] += g;
            lanes[LANES + i % LANES] = Math.fma(g, (x[o + i] - mu) * rs, lanes[LANES + i % LANES]);
        }
        float mg = tree(lanes, 0) / cols, mgx = tree(lanes, LANES) / cols;
        for (int i = 0; i < cols; i++) {
            float xhat = (x[o + i] - mu) * rs;
            dx[o + i] = (dout[o + i] * w[i] - mg - xhat * mgx) * rs;
        }
    }

    /** dw[c] = sum over rows of dout * xhat and db[c] = sum of dout for the columns [from, to), rows in order. */
    static void layerNormWeightGrads(float[] dout, float[] x, float[] mean, float[] rstd, int rows, int cols,
                                     float[] dw, float[] db, int from, int to) {
        for (int c = from; c < to; c++) {
            float sw = 0f, sb = 0f;
            for (int r = 0, o = c; r < rows; r++, o += cols) {
                float d = dout[o];
                sw = Math.fma(d, (x[o] - mean[r]) * rstd[r], sw);
                sb += d;
            }
            dw[c] = sw;
            db[c] = sb;
        }
    }

    /** dx = y * (dy - sum(dy * y)) for one row. */
    static void softmaxBackwardRow(float[] y, float[] dy, float[] dx, int o, int cols) {
        float d = dot(dy, o, y, o, cols);
        for (int i = 0; i < cols; i++) dx[o + i] = (dy[o + i] - d) * y[o + i];
    }

    /** ds = p * (ds - di) * scale for one row: the attention score gradient, ds holding dout . v on entry. */
    static void attentionScoreGradRow(float[] p, float[] ds, int o, int n, float di, float scale) {
        for (int i = 0; i < n; i++) ds[o + i] = p[o + i] * (ds[o + i] - di) * scale;
    }

    // ---- GELU -----------------------------------------------------------------------------------------------

    /** u = sqrt(2 / pi) (v + 0.044715 v^3), in the vector code's order. */
    private static float geluArgument(float v) { return (v * v * v * GELU_C + v) * SQRT_2_OVER_PI; }

    static void gelu(float[] x, float[] out, int from, int to) {
        for (int i = from; i < to; i++) out[i] = x[i] * 0.5f * (tanh(geluArgument(x[i])) + 1f);
    }

    /** {@link #gelu}, also writing each element's tanh(u) to t for {@link #geluBackwardFromTanh}. */
    static void geluKeepingTanh(float[] x, float[] out, float[] t, int from, int to) {
        for (int i = from; i < to; i++) {
            float th = tanh(geluArgument(x[i]));
            t[i] = th;
            out[i] = x[i] * 0.5f * (th + 1f);
        }
    }

    /** gelu'(v) given t = tanh(u). */
    private static float geluLocalGrad(float v, float t) {
        float du = (v * v * (3f * GELU_C) + 1f) * SQRT_2_OVER_PI;
        return (t + 1f) * 0.5f + v * 0.5f * (-(t * t) + 1f) * du;
    }

    static void geluBackwardFromTanh(float[] x, float[] t, float[] dout, float[] dx, int from, int to) {
        for (int i = from; i < to; i++) dx[i] = geluLocalGrad(x[i], t[i]) * dout[i];
    }

    static void geluBackward(float[] x, float[] dout, float[] dx, int from, int to) {
        for (int i = from; i < to; i++) dx[i] = geluLocalGrad(x[i], tanh(geluArgument(x[i]))) * dout[i];
    }
}
