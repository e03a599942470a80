package org.instruct4j.engine.backend.cpu;

/**
 * The one place that chooses how a row primitive runs: {@link VectorMath} when the Vector API is
 * {@link VectorSupport#AVAILABLE available}, else {@link PlainMath}, which gives the same bits. The kernel classes
 * (CpuNorm, CpuLosses, CpuElementwise, CpuAttention) call these and never choose themselves; the one exception is
 * dropout, whose vector form pays only at 16 lanes (CpuElementwise.dropout).
 *
 * <p>The choice is a static final boolean, so C2 folds it away and each call is the chosen method's; VectorMath is
 * only loaded when it is chosen, so a JVM without jdk.incubator.vector never touches it. Every primitive takes and
 * returns arrays and floats, never vectors, so a call that C2 does not inline boxes nothing.
 */
final class RowMath {
    private static final boolean VECTOR = VectorSupport.AVAILABLE;

    private RowMath() {}

    // ---- reductions and row updates -----------------------------------------------------------------------------

    /** sum of a[ao + i] * b[bo + i] for i in [0, n). */
    static float dot(float[] a, int ao, float[] b, int bo, int n) {
        return VECTOR ? VectorMath.dot(a, ao, b, bo, n) : PlainMath.dot(a, ao, b, bo, n);
    }

    /** y[yo + i] += alpha * x[xo + i]. */
    static void axpy(float alpha, float[] x, int xo, float[] y, int yo, int n) {
        if (VECTOR) VectorMath.axpy(alpha, x, xo, y, yo, n);
        else PlainMath.axpy(alpha, x, xo, y, yo, n);
    }

    static float max(float[] x, int o, int n) {
        return VECTOR ? VectorMath.max(x, o, n) : PlainMath.max(x, o, n);
    }

    /**
     * e^x of one value: the lanes of VectorMath's exp, which PlainMath computes one at a time, so a scalar loop
     * exponentiates as the row primitives do.
     */
    static float exp(float x) { return PlainMath.exp(x); }

    /** sum of e^(x[o + i] - shift), each term also written to out[oo + i] unless out is null. */
    static float expSum(float[] x, int o, float shift, float[] out, int oo, int n) {
        return VECTOR ? VectorMath.expSum(x, o, shift, out, oo, n) : PlainMath.expSum(x, o, shift, out, oo, n);
    }

    /** out[oo + i] = factor * e^(x[o + i] - shift). */
    static void scaledExp(float[] x, int o, float shift, float factor, float[] out, int oo, int n) {
        if (VECTOR) VectorMath.scaledExp(x, o, shift, factor, out, oo, n);
        else PlainMath.scaledExp(x, o, shift, factor, out, oo, n);
    }

    /** x[o + i] *= factor. */
    static void scale(float[] x, int o, float factor, int n) {
        if (VECTOR) VectorMath.scale(x, o, factor, n);
        else PlainMath.scale(x, o, factor, n);
    }

    // ---- layernorm and softmax ------------------------------------------------------------------------------------

    static void layerNormRow(float[] x, float[] w, float[] b, float[] out, int o, int cols, float eps,
                             float[] mean, float[] rstd, int r) {
        if (VECTOR) VectorMath.layerNormRow(x, w, b, out, o, cols, eps, mean, rstd, r);
        else PlainMath.layerNormRow(x, w, b, out, o, cols, eps, mean, rstd, r);
    }

    static void layerNormBackwardRow(float[] dout, float[] x, float[] w, float mu, float rs, float[] dx, int o, int cols) {
        if (VECTOR) VectorMath.layerNormBackwardRow(dout, x, w, mu, rs, dx, o, cols);
        else PlainMath.layerNormBackwardRow(dout, x, w, mu, rs, dx, o, cols);
    }

    /** dw and db of columns [from, to), each summed over the rows in row order. */
    static void layerNormWeightGrads(float[] dout, float[] x, float[] mean, float[] rstd, int rows, int cols,
                                     float[] dw, float[] db, int from, int to) {
        if (VECTOR) VectorMath.layerNormWeightGrads(dout, x, mean, rstd, rows, cols, dw, db, from, to);
        else PlainMath.layerNormWeightGrads(dout, x, mean, rstd, rows, cols, dw, db, from, to);
    }

    static void softmaxBackwardRow(float[] y, float[] dy, float[] dx, int o, int cols) {
        if (VECTOR) VectorMath.softmaxBackwardRow(y, dy, dx, o, cols);
        else PlainMath.softmaxBackwardRow(y, dy, dx, o, cols);
    }

    /** ds = p * (ds - di) * scale for one row of attention scores. */
    static void attentionScoreGradRow(float[] p, float[] ds, int o, int n, float di, float scale) {
        if (VECTOR) VectorMath.attentionScoreGradRow(p, ds, o, n, di, scale);
        else PlainMath.attentionScoreGradRow(p, ds, o, n, di, scale);
    }

    // ---- GELU (tanh form) over elements [from, to) ----------------------------------------------------------------

    static void gelu(float[] x, float[] out, int from, int to) {
        if (VECTOR) VectorMath.gelu(x, out, from, to);
        else PlainMath.gelu(x, out, from, to);
    }

    static void geluKeepingTanh(float[] x, float[] out, float[] t, int from, int to) {
        if (VECTOR) VectorMath.geluKeepingTanh(x, out, t, from, to);
        else PlainMath.geluKeepingTanh(x, out, t, from, to);
    }

    static void geluBackwardFromTanh(float[] x, float[] t, float[] dout, float[] dx, int from, int to) {
        if (VECTOR) VectorMath.geluBackwardFromTanh(x, t, dout, dx, from, to);
        else PlainMath.geluBackwardFromTanh(x, t, dout, dx, from, to);
    }

    static void geluBackward(float[] x, float[] dout, float[] dx, int from, int to) {
        if (VECTOR) VectorMath.geluBackward(x, dout, dx, from, to);
        else PlainMath.geluBackward(x, dout, dx, from, to);
    }
}
