package org.instruct4j.engine.backend.cpu;

/**
 * GEMM without the Vector API, for JVMs started without jdk.incubator.vector (or -Dinstruct4j.noVector=true).
 * Cache blocked: for each k block and column block, B's block is copied once (transposed when transB) into rows
 * indexed from 0, then the bands of C rows are spread over the pool; a band sums {@code A(i, p) * B(p, j0..j1)}
 * into a row of accumulators per C row, an fma over a contiguous row of B that C2 auto-vectorizes, a slice of B's
 * rows at a time so that it stays in L1 while every row of the band takes it, then writes
 * {@code alpha * sum + beta * C} back. The k blocks are {@link CpuGemm#K_BLOCK} deep and summed as CpuGemmVector sums
 * them, so the two give the same bits.
 */
final class CpuGemmPlain {
    /** k block (the shared one), column block, most rows of a band, and rows of B a band takes at a time (16 KiB). */
    private static final int KC = CpuGemm.K_BLOCK, NC = 128, ROWS = 32, SLICE = 32;
    /** Bands a thread gets at least, where the rows allow: a weight gradient's 96 rows in 3 bands left one thread idle. */
    private static final int BANDS_PER_THREAD = 4;
    private static final long SMALL_WORK = 1L << 20;

    private CpuGemmPlain() {}

    /**
     * Per-thread buffers: B's block as separate rows (the calling thread's, read by the pool's bands) and a band's
     * accumulator rows. Each is indexed from 0, so the inner loop {@code acc[j] = fma(av, row[j], acc[j])} has the
     * same index on both sides, which C2 vectorizes; with two different offsets into arrays that might be the same
     * object it does not.
     */
    private static final class Work {
        final float[][] b = new float[KC][NC];
        final float[][] acc = new float[ROWS][NC];
    }

    private static final ThreadLocal<Work> WORK = ThreadLocal.withInitial(Work::new);

    /** See {@link CpuGemm#gemm}; {@code parallel} false runs everything on the calling thread. */
    static void gemm(boolean transA, boolean transB, int batch, int m, int n, int k, float alpha,
                     float[] a, int strideA, float[] b, int strideB, float beta, float[] c, int strideC,
                     boolean parallel) {
        if (batch > 1 && (long) m * n * k <= SMALL_WORK) {   // small matrices: one a task, each copying its own B
            GemmTasks.run(batch, parallel, (from, to) -> {
                for (int bi = from; bi < to; bi++)
                    multiply(transA, transB, m, n, k, alpha, a, bi * strideA, b, bi * strideB, beta, c, bi * strideC);
            });
            return;
        }
        for (int bi = 0; bi < batch; bi++) product(transA, transB, m, n, k, alpha, a, bi * strideA, b, bi * strideB,
                beta, c, bi * strideC, parallel);
    }

    /** One matrix on the calling thread: C at cOff = alpha * op(A at aOff) op(B at bOff) + beta * C. */
    static void multiply(boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a, int aOff,
                         float[] b, int bOff, float beta, float[] c, int cOff) {
        product(transA, transB, m, n, k, alpha, a, aOff, b, bOff, beta, c, cOff, false);
    }

    private static void product(boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a, int aOff,
                                float[] b, int bOff, float beta, float[] c, int cOff, boolean parallel) {
        if (k == 0) {
            scaleOnly(m, n, beta, c, cOff);
            return;
        }
        float[][] rows = WORK.get().b;
        int wanted = BANDS_PER_THREAD * Parallel.THREADS;
        int rowsPerBand = parallel ? Math.clamp((m + wanted - 1) / wanted, 4, ROWS) : ROWS;
        int bands = (m + rowsPerBand - 1) / rowsPerBand;
        for (int pc = 0; pc < k; pc += KC) {
            int kc = Math.min(KC, k - pc), p0 = pc;
            float blockBeta = pc == 0 ? beta : 1f;   // later k blocks add to what the first wrote
            for (int jc = 0; jc < n; jc += NC) {
                int nc = Math.min(NC, n - jc), j0 = jc;
                for (int p = 0; p < kc; p++) {
                    float[] row = rows[p];
                    if (transB) for (int j = 0; j < nc; j++) row[j] = b[bOff + (jc + j) * k + pc + p];
                    else System.arraycopy(b, bOff + (pc + p) * n + jc, row, 0, nc);
                }
                GemmTasks.run(bands, parallel, (from, to) -> {
                    for (int t = from; t < to; t++)
                        band(transA, m, k, alpha, a, aOff, rows, blockBeta, n, c, cOff, p0, kc, j0, nc,
                                t * rowsPerBand, Math.min(m, (t + 1) * rowsPerBand));
                });
            }
        }
    }

    /** C rows [i0, i1), columns [j0, j0 + nc), for the k block at p0 (kc deep) whose B rows are in {@code rows}. */
    private static void band(boolean transA, int m, int k, float alpha, float[] a, int aOff, float[][] rows,
                             float blockBeta, int n, float[] c, int cOff, int p0, int kc, int j0, int nc, int i0, int i1) {
        float[][] acc = WORK.get().acc;
        for (int i = i0; i < i1; i++) java.util.Arrays.fill(acc[i - i0], 0, nc, 0f);
        for (int s = 0; s < kc; s += SLICE)
            for (int i = i0; i < i1; i++) {
                float[] sum = acc[i - i0];
                for (int p = s; p < Math.min(kc, s + SLICE); p++)
                    fma(transA ? a[aOff + (p0 + p) * m + i] : a[aOff + i * k + p0 + p], rows[p], sum, nc);
            }
        for (int i = i0; i < i1; i++) {
            float[] sum = acc[i - i0];
            int ci = cOff + i * n + j0;
            if (blockBeta == 0f) for (int j = 0; j < nc; j++) c[ci + j] = alpha * sum[j];
            else for (int j = 0; j < nc; j++) c[ci + j] = alpha * sum[j] + blockBeta * c[ci + j];
        }
    }

    /**
     * sum[j] = fma(av, row[j], sum[j]) for j in [0, nc): in a method of its own, which C2 vectorizes whatever the
     * callers' paths; inside band() it stopped doing so (10 GFLOP/s instead of 28 a thread) once a product with a
     * second k block had run.
     */
    private static void fma(float av, float[] row, float[] sum, int nc) {
        for (int j = 0; j < nc; j++) sum[j] = Math.fma(av, row[j], sum[j]);
    }

    /** C = beta * C for one m x n matrix (what a GEMM with k = 0 does). */
    static void scaleOnly(int m, int n, float beta, float[] c, int cOff) {
        for (int i = 0; i < m * n; i++) c[cOff + i] = beta == 0f ? 0f : beta * c[cOff + i];
    }
}
