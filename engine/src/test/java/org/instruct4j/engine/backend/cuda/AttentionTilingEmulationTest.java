package org.instruct4j.engine.backend.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.instruct4j.engine.Rng;
import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.backend.Backend;
import org.junit.jupiter.api.Test;

/**
 * Replays the flash kernels' loop structure in float64 (tile ranges, skipped tiles, the mask applied only to
 * tiles tileNeedsMask flags, the online softmax with its rescaling) and compares with the CPU backend. A wrong
 * bound either drops visible keys or lets invisible ones through unmasked, so the results would differ.
 */
class AttentionTilingEmulationTest {
    private static final int B = 2, H = 2, D = 8;
    /** (blockM, blockN): the real tilings, and small ones that make many tiles out of short sequences. */
    private static final int[][] TILINGS = {{128, 64}, {64, 32}, {32, 64}, {16, 16}};
    /** (tq, tk) pairs, and the start offsets to try with each (clamped to tk). */
    private static final int[][] SHAPES = {{1, 1}, {7, 7}, {5, 9}, {33, 33}, {64, 70}, {130, 130}, {1, 40}, {3, 100}};

    @Test
    void forwardAndBackwardTileLoopsMatchTheCpuReference() {
        Rng rng = new Rng(7);
        for (int[] shape : SHAPES) {
            int tq = shape[0], tk = shape[1];
            for (int[] start : new int[][] {null, {0, 3}, {17, tk - tq + 2}, {tk, 1}}) {
                int[] st = start == null ? null : new int[] {Math.min(start[0], tk), Math.min(start[1], tk)};
                Tensor q = Tensor.randn(rng, 1f, B, H, tq, D), k = Tensor.randn(rng, 1f, B, H, tk, D);
                Tensor v = Tensor.randn(rng, 1f, B, H, tk, D), dout = Tensor.randn(rng, 1f, B, H, tq, D);
                float scale = 0.4f;
                Backend cpu = q.backend();
                Tensor out = Tensor.zeros(B, H, tq, D), lse = Tensor.zeros(B, H, tq);
                Tensor dq = Tensor.zeros(B, H, tq, D), dk = Tensor.zeros(B, H, tk, D), dv = Tensor.zeros(B, H, tk, D);
                cpu.attention(q.buffer(), k.buffer(), v.buffer(), out.buffer(), lse.buffer(), st, B, H, tq, tk, D, scale);
                cpu.attentionBackward(q.buffer(), k.buffer(), v.buffer(), out.buffer(), lse.buffer(), dout.buffer(),
                        dq.buffer(), dk.buffer(), dv.buffer(), st, B, H, tq, tk, D, scale);
                Data x = new Data(q.toFloatArray(), k.toFloatArray(), v.toFloatArray(), dout.toFloatArray(), st, tq, tk, scale);
                for (int[] tiling : TILINGS) {
                    String what = "tq=" + tq + " tk=" + tk + " start=" + java.util.Arrays.toString(st)
                            + " BM=" + tiling[0] + " BN=" + tiling[1];
                    double[] eOut = new double[B * H * tq * D], eLse = new double[B * H * tq];
                    forward(x, tiling[0], tiling[1], eOut, eLse);
                    assertClose(what + " out", eOut, out.toFloatArray(), 1e-4);
                    assertClose(what + " lse", eLse, lse.toFloatArray(), 1e-4);
                    double[] eDq = new double[B * H * tq * D], eDk = new double[B * H * tk * D], eDv = new double[B * H * tk * D];
                    backwardDq(x, tiling[0], tiling[1], eOut, eLse, eDq);
                    backwardDkDv(x, tiling[0], tiling[1], eOut, eLse, eDk, eDv);
                    assertClose(what + " dq", eDq, dq.toFloatArray(), 2e-4);
                    assertClose(what + " dk", eDk, dk.toFloatArray(), 2e-4);
                    assertClose(what + " dv", eDv, dv.toFloatArray(), 2e-4);
                }
            }
        }
    }

    record Data(float[] q, float[] k, float[] v, float[] dout, int[] start, int tq, int tk, float scale) {
        int s0(int b) { return start == null ? 0 : start[b]; }
        /** scale * q_i . k_j, with keys past tk read as zeros (the kernels' zero-filled tiles). */
        double score(int bh, int i, int j) {
            if (j >= tk) return 0;
            double s = 0;
            for (int c = 0; c < D; c++) s += (double) q[(bh * tq + i) * D + c] * k[(bh * tk + j) * D + c];
            return s * scale;
        }
        double dp(int bh, int i, int j) {
            if (j >= tk) return 0;
            double s = 0;
            for (int c = 0; c < D; c++) s += (double) dout[(bh * tq + i) * D + c] * v[(bh * tk + j) * D + c];
            return s;
        }
        double delta(int bh, int i, double[] out) {
            double s = 0;
            for (int c = 0; c < D; c++) s += dout[(bh * tq + i) * D + c] * out[(bh * tq + i) * D + c];
            return s;
        }
    }

    /** The forward kernel: one "CTA" per query block, key tiles first..end, online softmax per row. */
    private static void forward(Data x, int bm, int bn, double[] out, double[] lse) {
        int tq = x.tq(), tk = x.tk();
        for (int bh = 0; bh < B * H; bh++) {
            int s0 = x.s0(bh / H);
            for (int m0 = 0; m0 < tq; m0 += bm) {
                int rows = Math.min(bm, tq - m0);
                double[] max = new double[rows], sum = new double[rows], acc = new double[rows * D];
                java.util.Arrays.fill(max, Double.NEGATIVE_INFINITY);
                int first = AttentionTiling.firstKeyTile(s0, bn), end = AttentionTiling.endKeyTile(m0, bm, tq, tk, bn);
                for (int t = first; t < end; t++) {
                    int n0 = t * bn;
                    boolean masked = AttentionTiling.tileNeedsMask(m0, bm, n0, bn, s0, tq, tk);
                    for (int r = 0; r < rows; r++) {
                        int i = m0 + r;
                        double[] s = new double[bn];
                        double tileMax = max[r];
                        for (int c = 0; c < bn; c++) {
                            int j = n0 + c;
                            s[c] = masked && !(j < tk && AttentionTiling.visible(i, j, s0, tq, tk)) ? Double.NEGATIVE_INFINITY : x.score(bh, i, j);
                            tileMax = Math.max(tileMax, s[c]);
                        }
                        double base = tileMax == Double.NEGATIVE_INFINITY ? 0 : tileMax;
                        double alpha = Math.exp(max[r] - base);
                        max[r] = tileMax;
                        sum[r] *= alpha;
                        for (int d = 0; d < D; d++) acc[r * D + d] *= alpha;
                        for (int c = 0; c < bn; c++) {
                            double p = Math.exp(s[c] - base);
                            sum[r] += p;
                            int j = n0 + c;
                            if (j < tk) for (int d = 0; d < D; d++) acc[r * D + d] += p * x.v()[(bh * tk + j) * D + d];
                        }
                    }
                }
                for (int r = 0; r < rows; r++) {
                    int row = bh * tq + m0 + r;
                    for (int d = 0; d < D; d++) out[row * D + d] = sum[r] > 0 ? acc[r * D + d] / sum[r] : 0;
                    lse[row] = sum[r] > 0 ? max[r] + Math.log(sum[r]) : Double.NEGATIVE_INFINITY;
                }
            }
        }
    }

    /** The dq pass: query blocks like the forward, p recomputed from lse. */
    private static void backwardDq(Data x, int bm, int bn, double[] out, double[] lse, double[] dq) {
        int tq = x.tq(), tk = x.tk();
        for (int bh = 0; bh < B * H; bh++) {
            int s0 = x.s0(bh / H);
            for (int m0 = 0; m0 < tq; m0 += bm) {
                int first = AttentionTiling.firstKeyTile(s0, bn), end = AttentionTiling.endKeyTile(m0, bm, tq, tk, bn);
                for (int t = first; t < end; t++) {
                    int n0 = t * bn;
                    boolean masked = AttentionTiling.tileNeedsMask(m0, bm, n0, bn, s0, tq, tk);
                    for (int i = m0; i < Math.min(m0 + bm, tq); i++) {
                        double delta = x.delta(bh, i, out);
                        for (int j = n0; j < n0 + bn; j++) {
                            double p = masked && !(j < tk && AttentionTiling.visible(i, j, s0, tq, tk)) ? 0 : Math.exp(x.score(bh, i, j) - lse[bh * tq + i]);
                            double ds = p * (x.dp(bh, i, j) - delta);
                            if (j < tk) for (int d = 0; d < D; d++) dq[(bh * tq + i) * D + d] += ds * x.scale() * x.k()[(bh * tk + j) * D + d];
                        }
                    }
                }
            }
        }
    }

    /** The dk/dv pass: one "CTA" per key block, query tiles from firstQueryTile to the end. */
    private static void backwardDkDv(Data x, int bm, int bn, double[] out, double[] lse, double[] dk, double[] dv) {
        int tq = x.tq(), tk = x.tk();
        for (int bh = 0; bh < B * H; bh++) {
            int s0 = x.s0(bh / H);
            for (int n0 = 0; n0 < tk; n0 += bn) {
                int first = AttentionTiling.firstQueryTile(n0, bn, s0, tq, tk, bm), end = AttentionTiling.ceilDiv(tq, bm);
                for (int t = first; t < end; t++) {
                    int m0 = t * bm;
                    boolean masked = AttentionTiling.tileNeedsMask(m0, bm, n0, bn, s0, tq, tk);
                    double[] delta = new double[bm];
                    for (int i = m0; i < Math.min(m0 + bm, tq); i++) delta[i - m0] = x.delta(bh, i, out);
                    for (int j = n0; j < Math.min(n0 + bn, tk); j++)
                        for (int i = m0; i < m0 + bm; i++) {
                            if (i >= tq) { assertThat(masked).as("rows past tq only in masked tiles").isTrue(); continue; }
                            boolean vis = AttentionTiling.visible(i, j, s0, tq, tk);
                            double p = masked && !vis ? 0 : Math.exp(x.score(bh, i, j) - lse[bh * tq + i]);
                            double ds = p * (x.dp(bh, i, j) - delta[i - m0]);
                            for (int d = 0; d < D; d++) {
                                dv[(bh * tk + j) * D + d] += p * x.dout()[(bh * tq + i) * D + d];
                                dk[(bh * tk + j) * D + d] += ds * x.scale() * x.q()[(bh * tq + i) * D + d];
                            }
                        }
                }
            }
        }
    }

    private static void assertClose(String what, double[] expected, float[] actual, double tol) {
        assertThat(actual).as(what).hasSize(expected.length);
        for (int n = 0; n < expected.length; n++) {
            if (Double.isInfinite(expected[n])) {
                assertThat((double) actual[n]).as(what + "[" + n + "]").isEqualTo(expected[n]);
                continue;
            }
            assertThat((double) actual[n]).as(what + "[" + n + "]").isCloseTo(expected[n], within(tol * (1 + Math.abs(expected[n]))));
        }
    }
}
