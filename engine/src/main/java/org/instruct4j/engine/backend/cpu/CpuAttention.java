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
                        float dot = 0;
                        int kj = ko + j * d;
                        for (int c = 0; c < d; c++) dot += q[oq + c] * k[kj + c];
                        s[j] = dot * scale;
                        max = Math.max(max, s[j]);
                    }
                    double sum = 0;
                    for (int j = s0; j <= last; j++) { s[j] = (float) Math.exp(s[j] - max); sum += s[j]; }
                    float inv = (float) (1.0 / sum);
                    for (int j = s0; j <= last; j++) {
                        float p = s[j] * inv;
                        int vj = ko + j * d;
                        for (int c = 0; c < d; c++) out[oq + c] += p * v[vj + c];
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
                    float di = 0;
                    for (int c = 0; c < d; c++) di += dout[oq + c] * out[oq + c];
                    for (int j = s0; j <= last; j++) {
                        int kj = ko + j * d;
                        float dot = 0, dp = 0;
                        for (int c = 0; c < d; c++) { dot += q[oq + c] * k[kj + c]; dp += dout[oq + c] * v[kj + c]; }
                        float p = (float) Math.exp(dot * scale - lse[row]);
                        float ds = p * (dp - di) * scale;
                        for (int c = 0; c < d; c++) {
                            dv[kj + c] += p * dout[oq + c];
                            dq[oq + c] += ds * k[kj + c];
                            dk[kj + c] += ds * q[oq + c];
                        }
                    }
                }
            }
        });
    }
}
