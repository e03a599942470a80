package org.instruct4j.engine.backend.cpu;

/**
 * Causal attention with left-padding offsets, forward and backward side by side. One (batch, head) pair per
 * task: the backward's dk and dv sums stay inside one task, so results do not depend on the thread count.
 * Query i sits at key position tk - tq + i and sees keys start[b] .. tk - tq + i.
 */
final class CpuAttention {
    /**
     * Query rows per block of the blocked path: whole micro-tiles of the GEMM (8 of 4 rows on 8 lanes, where a block's
     * keys, from the first, then also come in whole 16-column panels: 30 left a 2-row and a ragged-panel edge in every
     * block, and 32 made the demo's training steps 1.05-1.07x as fast on a Zen 5 at 8 lanes; on 16 lanes 30 and 32
     * ran within 1-3%). A block multiplies only the keys its last query sees, so about 60 % of the causal square is
     * computed at T = 128, not all of it. The block decides how dk and dv are summed, so the bits depend on it: one
     * size for every width, so that AVX2 and AVX-512 give the same bits (VectorMath's class comment).
     */
    private static final int QB = 32;
    /** Below this many queries (a KV-cache decode step has one) the row-at-a-time loops are cheaper. */
    private static final int BLOCKED_MIN_QUERIES = 8;

    private CpuAttention() {}

    /**
     * Per-thread score and probability rows of one query block, and one task's keys and values packed once for
     * all its blocks: k^T and v^T (the keys as columns: every block takes a prefix of their panels), and k or v as
     * rows (every block takes the first rows of each panel).
     */
    private static final class Scratch {
        float[] p = new float[0], ds = new float[0], keysT = new float[0], valuesT = new float[0], rows = new float[0];

        Scratch grow(int size) {
            if (p.length < size) { p = new float[size]; ds = new float[size]; }
            return this;
        }

        /** Room for tk keys of d lanes in every packed form; none without the Vector API, whose GEMM reads them in place. */
        Scratch growPacked(int tk, int d) {
            if (!VectorSupport.AVAILABLE) return this;
            int asColumns = CpuGemmVector.packedSize(tk, d), asRows = CpuGemmVector.packedSize(d, tk);
            if (keysT.length < asColumns) { keysT = new float[asColumns]; valuesT = new float[asColumns]; }
            if (rows.length < asRows) rows = new float[asRows];
            return this;
        }
    }

    /**
     * Scores of one query block against the first n of a task's keys: {@code rows x n = alpha * x k^T}, with k^T
     * packed once per task ({@code packedK} non-null; every block multiplies by a prefix of the same keys, and
     * repacking them per block was as costly as the product) or packed here.
     */
    private static void timesKeysT(int rows, int n, int d, float alpha, float[] x, int xo, float[] packedK,
                                   float[] k, int ko, float[] out) {
        if (packedK != null) CpuGemmVector.multiplyPacked(false, rows, n, d, alpha, x, xo, packedK, d, 0f, out, 0);
        else product(false, true, rows, n, d, alpha, x, xo, k, ko, 0f, out, 0);
    }

    /**
     * C = alpha * op(A) op(B) + beta * C on the calling thread: the Vector API's GEMM, or without it the plain one,
     * which gives the same bits (CpuGemm.K_BLOCK).
     */
    private static void product(boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a, int ao,
                                float[] b, int bo, float beta, float[] c, int co) {
        if (VectorSupport.AVAILABLE) CpuGemmVector.multiply(transA, transB, m, n, k, alpha, a, ao, b, bo, beta, c, co);
        else CpuGemmPlain.multiply(transA, transB, m, n, k, alpha, a, ao, b, bo, beta, c, co);
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /**
     * Whether a task's keys are packed once as columns for the Vector API's GEMM (k^T: at most NC of them, d at most
     * KC). The plain GEMM reads them in place.
     */
    private static boolean packsAsColumns(int keys, int d) {
        return VectorSupport.AVAILABLE && keys > 0 && CpuGemmVector.packsInOneBlock(keys, d);
    }

    /** Whether they are packed as rows (every query block then reads the first rows: at most KC keys). */
    private static boolean packsAsRows(int keys, int d) {
        return VectorSupport.AVAILABLE && keys > 0 && CpuGemmVector.packsInOneBlock(d, keys);
    }

    private static boolean blocked(int tq) { return tq >= BLOCKED_MIN_QUERIES; }

    /**
     * kvRows is how many positions row (b, h) of k and v holds (tk, or a KV cache's capacity when the keys are
     * read in place); only the first tk are read.
     */
    static void forward(float[] q, float[] k, float[] v, float[] out, float[] lse, int[] start,
                        int batch, int heads, int tq, int tk, int kvRows, int d, float scale) {
        if (blocked(tq)) { forwardBlocked(q, k, v, out, lse, start, batch, heads, tq, tk, kvRows, d, scale); return; }
        Parallel.forRange(batch * heads, 1, (from, to) -> {
            float[] s = new float[tk];
            for (int bh = from; bh < to; bh++) {
                int b = bh / heads, s0 = start == null ? 0 : start[b];
                int qo = bh * tq * d, ko = bh * kvRows * d;
                for (int i = 0; i < tq; i++) {
                    int last = tk - tq + i, oq = qo + i * d, row = bh * tq + i;
                    java.util.Arrays.fill(out, oq, oq + d, 0f);
                    if (last < s0) { lse[row] = Float.NEGATIVE_INFINITY; continue; }
                    float max = Float.NEGATIVE_INFINITY;
                    for (int j = s0; j <= last; j++) {
                        s[j] = RowMath.dot(q, oq, k, ko + j * d, d) * scale;
                        max = Math.max(max, s[j]);
                    }
                    float sum = RowMath.expSum(s, s0, max, s, s0, last - s0 + 1);
                    float inv = (float) (1.0 / sum);
                    for (int j = s0; j <= last; j++) {
                        float p = s[j] * inv;
                        RowMath.axpy(p, v, ko + j * d, out, oq, d);
                    }
                    lse[row] = max + (float) StrictMath.log(sum);
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
        if (blocked(tq)) {
            backwardBlocked(q, k, v, out, lse, dout, dq, dk, dv, start, batch, heads, tq, tk, d, scale);
            return;
        }
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
                    float di = RowMath.dot(dout, oq, out, oq, d);
                    for (int j = s0; j <= last; j++) {
                        int kj = ko + j * d;
                        // The forward's score (the same dot) and the engine's exp, as the blocked backward takes
                        // them: p = e^(s - lse) is the forward's probability to within its rounding.
                        float p = RowMath.exp(RowMath.dot(q, oq, k, kj, d) * scale - lse[row]);
                        float ds = p * (RowMath.dot(dout, oq, v, kj, d) - di) * scale;
                        RowMath.axpy(p, dout, oq, dv, kj, d);
                        RowMath.axpy(ds, k, kj, dq, oq, d);
                        RowMath.axpy(ds, q, oq, dk, kj, d);
                    }
                }
            }
        });
    }

    // ---- blocked path ----------------------------------------------------------------------------------------------
    // The loops above do one dot product and one axpy of length D per (query, key) pair: with D = 32 that is
    // mostly horizontal sums and loads/stores. Here each (batch, head) task takes its queries in blocks of QB rows
    // and does the products as small GEMMs on the calling thread (CpuGemmVector.multiply, or CpuGemmPlain's without
    // the Vector API: the same bits), the softmax row by row in between. Block [i0, i1) only sees keys
    // [s0, tk - tq + i1), so the causal upper triangle is mostly skipped; entries of a block row past its own last key
    // (and whole rows with no key) are set to exactly 0.
    // Determinism: one task per (batch, head); dk and dv get the blocks' contributions in increasing block order.

    private static void forwardBlocked(float[] q, float[] k, float[] v, float[] out, float[] lse, int[] start,
                                       int batch, int heads, int tq, int tk, int kvRows, int d, float scale) {
        Parallel.forEachItem(batch * heads, (from, to) -> {
            Scratch sc = SCRATCH.get().grow(QB * tk);
            float[] p = sc.p;
            for (int bh = from; bh < to; bh++) {
                int s0 = start == null ? 0 : start[bh / heads], qo = bh * tq * d, ko = bh * kvRows * d;
                float[] packedK = null, packedV = null;
                sc.growPacked(tk - s0, d);
                if (packsAsColumns(tk - s0, d)) CpuGemmVector.packB(true, tk - s0, d, k, ko + s0 * d, packedK = sc.keysT);
                if (packsAsRows(tk - s0, d)) CpuGemmVector.packB(false, d, tk - s0, v, ko + s0 * d, packedV = sc.rows);
                for (int i0 = 0; i0 < tq; i0 += QB) {
                    int rows = Math.min(QB, tq - i0), n = tk - tq + i0 + rows - s0;
                    if (n <= 0) {
                        java.util.Arrays.fill(out, qo + i0 * d, qo + (i0 + rows) * d, 0f);
                        java.util.Arrays.fill(lse, bh * tq + i0, bh * tq + i0 + rows, Float.NEGATIVE_INFINITY);
                        continue;
                    }
                    // p = scale * q k^T over the block's keys, then each row becomes its softmax.
                    timesKeysT(rows, n, d, scale, q, qo + i0 * d, packedK, k, ko + s0 * d, p);
                    for (int r = 0; r < rows; r++) {
                        int i = i0 + r, seen = tk - tq + i - s0 + 1, o = r * n, row = bh * tq + i;
                        if (seen <= 0) {
                            java.util.Arrays.fill(p, o, o + n, 0f);
                            lse[row] = Float.NEGATIVE_INFINITY;
                            continue;
                        }
                        float max = RowMath.max(p, o, seen);
                        float sum = RowMath.expSum(p, o, max, p, o, seen);
                        RowMath.scale(p, o, (float) (1.0 / sum), seen);
                        java.util.Arrays.fill(p, o + seen, o + n, 0f);
                        lse[row] = max + (float) StrictMath.log(sum);
                    }
                    if (packedV != null)
                        CpuGemmVector.multiplyPacked(false, rows, d, n, 1f, p, 0, packedV, tk - s0, 0f, out, qo + i0 * d);
                    else product(false, false, rows, d, n, 1f, p, 0, v, ko + s0 * d, 0f, out, qo + i0 * d);
                }
            }
        });
    }

    private static void backwardBlocked(float[] q, float[] k, float[] v, float[] out, float[] lse, float[] dout,
                                        float[] dq, float[] dk, float[] dv, int[] start,
                                        int batch, int heads, int tq, int tk, int d, float scale) {
        Parallel.forEachItem(batch * heads, (from, to) -> {
            Scratch sc = SCRATCH.get().grow(QB * tk);
            float[] p = sc.p, ds = sc.ds;
            for (int bh = from; bh < to; bh++) {
                int s0 = start == null ? 0 : start[bh / heads], qo = bh * tq * d, ko = bh * tk * d;
                java.util.Arrays.fill(dk, ko, ko + tk * d, 0f);
                java.util.Arrays.fill(dv, ko, ko + tk * d, 0f);
                float[] packedK = null, packedV = null, packedKRows = null;
                sc.growPacked(tk - s0, d);
                if (packsAsColumns(tk - s0, d)) {
                    CpuGemmVector.packB(true, tk - s0, d, k, ko + s0 * d, packedK = sc.keysT);
                    CpuGemmVector.packB(true, tk - s0, d, v, ko + s0 * d, packedV = sc.valuesT);
                }
                if (packsAsRows(tk - s0, d)) CpuGemmVector.packB(false, d, tk - s0, k, ko + s0 * d, packedKRows = sc.rows);
                for (int i0 = 0; i0 < tq; i0 += QB) {
                    int rows = Math.min(QB, tq - i0), n = tk - tq + i0 + rows - s0;
                    if (n <= 0) {
                        java.util.Arrays.fill(dq, qo + i0 * d, qo + (i0 + rows) * d, 0f);
                        continue;
                    }
                    // The forward's product (same call, same bits), then p = exp(s - lse) and dp = dout v^T.
                    timesKeysT(rows, n, d, scale, q, qo + i0 * d, packedK, k, ko + s0 * d, p);
                    timesKeysT(rows, n, d, 1f, dout, qo + i0 * d, packedV, v, ko + s0 * d, ds);
                    for (int r = 0; r < rows; r++) {
                        int i = i0 + r, seen = Math.max(0, tk - tq + i - s0 + 1), o = r * n, oq = qo + i * d;
                        if (seen > 0) {
                            float di = RowMath.dot(dout, oq, out, oq, d);
                            RowMath.scaledExp(p, o, lse[bh * tq + i], 1f, p, o, seen);
                            RowMath.attentionScoreGradRow(p, ds, o, seen, di, scale);
                        }
                        java.util.Arrays.fill(p, o + seen, o + n, 0f);
                        java.util.Arrays.fill(ds, o + seen, o + n, 0f);
                    }
                    // dq = ds k; dk += ds^T q; dv += p^T dout (over the block's keys).
                    if (packedKRows != null)
                        CpuGemmVector.multiplyPacked(false, rows, d, n, 1f, ds, 0, packedKRows, tk - s0, 0f, dq, qo + i0 * d);
                    else product(false, false, rows, d, n, 1f, ds, 0, k, ko + s0 * d, 0f, dq, qo + i0 * d);
                    product(true, false, n, d, rows, 1f, ds, 0, q, qo + i0 * d, 1f, dk, ko + s0 * d);
                    product(true, false, n, d, rows, 1f, p, 0, dout, qo + i0 * d, 1f, dv, ko + s0 * d);
                }
            }
        });
    }
}
