package org.instruct4j.engine.backend.cpu;

/**
 * GEMM without the Vector API, for JVMs started without jdk.incubator.vector (or -Dinstruct4j.noVector=true).
 * Row-oriented and cache blocked: a task owns a band of C rows; for each k block and column block it sums
 * {@code A(i, p) * B(p, j0..j1)} into a row of accumulators, an fma over a contiguous row of B that C2
 * auto-vectorizes, then writes {@code alpha * sum + beta * C} back. The B block is first copied (transposed when
 * transB) into per-thread rows so the inner loop always reads a contiguous row. The k blocks are
 * {@link CpuGemm#K_BLOCK} deep and summed as CpuGemmVector sums them, so the two give the same bits.
 */
final class CpuGemmPlain {
    /** k block (the shared one) and column block: a KC x NC block of B (256 KiB) stays in L2 while a band of rows uses it. */
    private static final int KC = CpuGemm.K_BLOCK, NC = 256, ROWS = 32;
    private static final long SMALL_WORK = 1L << 20;

    private CpuGemmPlain() {}

    /**
     * Per-thread copies: the B block as separate rows and one accumulator row. Both are indexed from 0, so the
     * inner loop {@code acc[j] = fma(av, row[j], acc[j])} has the same index on both sides, which C2 vectorizes;
     * with two different offsets into arrays that might be the same object it does not.
     */
    private static final class Work {
        final float[][] rows = new float[KC][NC];
        final float[] acc = new float[NC];
    }

    private static final ThreadLocal<Work> WORK = ThreadLocal.withInitial(Work::new);

    /** See {@link CpuGemm#gemm}; {@code parallel} false runs everything on the calling thread. */
    static void gemm(boolean transA, boolean transB, int batch, int m, int n, int k, float alpha,
                     float[] a, int strideA, float[] b, int strideB, float beta, float[] c, int strideC,
                     boolean parallel) {
        int bands = (m + ROWS - 1) / ROWS;
        boolean perMatrix = batch > 1 && (long) m * n * k <= SMALL_WORK;
        // Tasks are (matrix, band of rows) pairs; small matrices go whole, one per task.
        int perBatch = perMatrix ? 1 : bands;
        GemmTasks.run(batch * perBatch, parallel, (from, to) -> {
            for (int t = from; t < to; t++) {
                int bi = t / perBatch, band = t % perBatch;
                int i0 = perMatrix ? 0 : band * ROWS, i1 = perMatrix ? m : Math.min(m, i0 + ROWS);
                rows(transA, transB, m, n, k, alpha, a, bi * strideA, b, bi * strideB, beta, c, bi * strideC, i0, i1);
            }
        });
    }

    /** One matrix on the calling thread: C at cOff = alpha * op(A at aOff) op(B at bOff) + beta * C. */
    static void multiply(boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a, int aOff,
                         float[] b, int bOff, float beta, float[] c, int cOff) {
        rows(transA, transB, m, n, k, alpha, a, aOff, b, bOff, beta, c, cOff, 0, m);
    }

    /** C rows [i0, i1) of one matrix. */
    private static void rows(boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a, int aOff,
                             float[] b, int bOff, float beta, float[] c, int cOff, int i0, int i1) {
        if (k == 0) {
            for (int i = i0; i < i1; i++) scaleOnly(1, n, beta, c, cOff + i * n);
            return;
        }
        Work work = WORK.get();
        float[][] rows = work.rows;
        float[] acc = work.acc;
        for (int pc = 0; pc < k; pc += KC) {
            int kc = Math.min(KC, k - pc);
            float blockBeta = pc == 0 ? beta : 1f;   // later k blocks add to what the first wrote
            for (int jc = 0; jc < n; jc += NC) {
                int nc = Math.min(NC, n - jc);
                for (int p = 0; p < kc; p++) {
                    float[] row = rows[p];
                    if (transB) for (int j = 0; j < nc; j++) row[j] = b[bOff + (jc + j) * k + pc + p];
                    else System.arraycopy(b, bOff + (pc + p) * n + jc, row, 0, nc);
                }
                for (int i = i0; i < i1; i++) {
                    java.util.Arrays.fill(acc, 0, nc, 0f);
                    for (int p = 0; p < kc; p++) {
                        float av = transA ? a[aOff + (pc + p) * m + i] : a[aOff + i * k + pc + p];
                        float[] row = rows[p];
                        for (int j = 0; j < nc; j++) acc[j] = Math.fma(av, row[j], acc[j]);
                    }
                    int ci = cOff + i * n + jc;
                    if (blockBeta == 0f) for (int j = 0; j < nc; j++) c[ci + j] = alpha * acc[j];
                    else for (int j = 0; j < nc; j++) c[ci + j] = alpha * acc[j] + blockBeta * c[ci + j];
                }
            }
        }
    }

    /** C = beta * C for one m x n matrix (what a GEMM with k = 0 does). */
    static void scaleOnly(int m, int n, float beta, float[] c, int cOff) {
        for (int i = 0; i < m * n; i++) c[cOff + i] = beta == 0f ? 0f : beta * c[cOff + i];
    }
}
