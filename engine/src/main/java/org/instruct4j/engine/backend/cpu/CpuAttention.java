package org.instruct4j.engine.backend.cpu;

/**
 * Causal attention with left-padding offsets, forward and backward side by side. One (batch, head) pair per
 * task: the backward's dk and dv sums stay inside one task, so results do not depend on the thread count.
 * Query i sits at key position tk - tq + i and sees keys start[b] .. tk - tq + i.
 */
final class CpuAttention {
    private CpuAttention() {}

    static void forward(float[] q, float[] k, float[] v, float[] out, float[] lse, int[] start,
                        int batch, int heads, int tq, int tk, int d, float scale) {
        Parallel.forRange(batch * heads, 1, (from, to) -> {
            float[] s = new float[tk];
            for (int bh = from; bh < to; bh++) {
                int b = bh / heads, s0 = start == null ? 0 : start[b];
                int qo = bh * tq * d, ko = bh * tk * d;
                for (int i = 0; i < tq; i++) {
                    int last = tk - tq + i, oq = qo + i * d, row = bh * tq + i;
                    java.util.Arrays.fill(out, oq, oq + d, 0f);
                    if (last < s0) { lse[row] = Float.NEGATIVE_INFINITY; continue; }
                    float max = Float.NEGATIVE_INFINITY;
                    for (int j = s0; j <= last; j++) {
                        s[j] = dot(q, oq, k, ko + j * d, d) * scale;
                        max = Math.max(max, s[j]);
                    }
                    double sum;
                    if (VectorSupport.AVAILABLE) sum = VectorMath.expSum(s, s0, max, s, s0, last - s0 + 1);
                    else {
                        sum = 0;
                        for (int j = s0; j <= last; j++) { s[j] = (float) Math.exp(s[j] - max); sum += s[j]; }
                    }
                    float inv = (float) (1.0 / sum);
                    for (int j = s0; j <= last; j++) {
                        float p = s[j] * inv;
                        axpy(p, v, ko + j * d, out, oq, d);
                    }
                    lse[row] = max + (float) Math.log(sum);
                }
            }
        });
    }

    /**
     * p = exp(s - lse); dv_j = sum_i p_ij dout_i; dp_ij = dout_i . v_j; ds_ij = p_ij (dp_ij - D_i) with
     * D_i = dout_i . out_i; dq_i = scale sum_j ds_ij k_j; dk_j = scale sum_i ds_ij q_i.
     */
    static void backward(float[] q, float[] k, float[] v, float[] out, float[] lse, float[] dout,
                         float[] dq, float[] dk, float[] dv, int[] start,
                         int batch, int heads, int tq, int tk, int d, float scale) {
        Parallel.forRange(batch * heads, 1, (from, to) -> {
            for (int bh = from; bh < to; bh++) {
                int b = bh / heads, s0 = start == null ? 0 : start[b];
                int qo = bh * tq * d, ko = bh * tk * d;
                java.util.Arrays.fill(dq, qo, qo + tq * d, 0f);
                java.util.Arrays.fill(dk, ko, ko + tk * d, 0f);
                java.util.Arrays.fill(dv, ko, ko + tk * d, 0f);
                for (int i = 0; i < tq; i++) {
                    int last = tk - tq + i, oq = qo + i * d, row = bh * tq + i;
                    if (last < s0) continue;
                    float di = dot(dout, oq, out, oq, d);
                    for (int j = s0; j <= last; j++) {
                        int kj = ko + j * d;
                        // The same dot as the forward, so p matches the forward's probabilities.
                        float p = (float) Math.exp(dot(q, oq, k, kj, d) * scale - lse[row]);
                        float ds = p * (dot(dout, oq, v, kj, d) - di) * scale;
                        axpy(p, dout, oq, dv, kj, d);
                        axpy(ds, k, kj, dq, oq, d);
                        axpy(ds, q, oq, dk, kj, d);
                    }
                }
            }
        });
    }

    /** a . b over n elements: on the Vector API when present. */
    private static float dot(float[] a, int ao, float[] b, int bo, int n) {
        if (VectorSupport.AVAILABLE) return VectorMath.dot(a, ao, b, bo, n);
        float s = 0;
        for (int c = 0; c < n; c++) s += a[ao + c] * b[bo + c];
        return s;
    }

    /** y += alpha * x over n elements. */
    private static void axpy(float alpha, float[] x, int xo, float[] y, int yo, int n) {
        if (VectorSupport.AVAILABLE) { VectorMath.axpy(alpha, x, xo, y, yo, n); return; }
        for (int c = 0; c < n; c++) y[yo + c] += alpha * x[xo + c];
    }
}
