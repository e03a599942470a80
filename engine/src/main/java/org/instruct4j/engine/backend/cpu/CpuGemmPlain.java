package org.instruct4j.engine.backend.cpu;

/**
 * GEMM without the Vector API, for JVMs started without jdk.incubator.vector (or -Dinstruct4j.noVector=true).
 * Row-oriented and cache blocked: a task owns a band of C rows; for each k block and column block it adds
 * {@code (alpha * A(i, p)) * B(p, j0..j1)} into row i, an axpy over a contiguous row of B that C2
 * auto-vectorizes. With transB, the B block is first transposed into a per-thread buffer so the inner loop
 * always reads a contiguous row. Each C element gets its k terms in increasing order from one thread.
 */
final class CpuGemmPlain {
    /** k block and column block: a KC x NC block of B (128 KiB) stays in L2 while a band of rows uses it. */
    private static final int KC = 128, NC = 256, ROWS = 32;
    private static final long SMALL_WORK = 1L << 20;

    private CpuGemmPlain() {}

    private static final ThreadLocal<float[]> BLOCK = ThreadLocal.withInitial(() -> new float[KC * NC]);

    /** See {@link CpuGemm#gemm}; {@code parallel} false runs everything on the calling thread. */
    static void gemm(boolean transA, boolean transB, int batch, int m, int n, int k, float alpha,
                     float[] a, int strideA, float[] b, int strideB, float beta, float[] c, int strideC,
                     boolean parallel) {
        int bands = (m + ROWS - 1) / ROWS;
        boolean perMatrix = batch > 1 && (long) m * n * k <= SMALL_WORK;
        // Tasks are (matrix, band of rows) pairs; small matrices go whole, one per task.
        int perBatch = perMatrix ? 1 : bands;
        GemmTasks.run(batch * perBatch, 1, parallel, (from, to) -> {
            for (int t = from; t < to; t++) {
                int bi = t / perBatch, band = t % perBatch;
                int i0 = perMatrix ? 0 : band * ROWS, i1 = perMatrix ? m : Math.min(m, i0 + ROWS);
                rows(transA, transB, m, n, k, alpha, a, bi * strideA, b, bi * strideB, beta, c, bi * strideC, i0, i1);
            }
        });
    }

    /** C rows [i0, i1) of one matrix. */
    private static void rows(boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a, int aOff,
                             float[] b, int bOff, float beta, float[] c, int cOff, int i0, int i1) {
        for (int i = i0; i < i1; i++) {
            int base = cOff + i * n;
            for (int j = 0; j < n; j++) c[base + j] = beta == 0f ? 0f : beta * c[base + j];
        }
        float[] block = BLOCK.get();
        for (int pc = 0; pc < k; pc += KC) {
            int kc = Math.min(KC, k - pc);
            for (int jc = 0; jc < n; jc += NC) {
                int nc = Math.min(NC, n - jc);
                // The B block as a row-major kc x nc view: straight from b, or transposed into the buffer.
                float[] src;
                int srcOff, ld;
                if (transB) {
                    for (int j = 0; j < nc; j++) {
                        int from = bOff + (jc + j) * k + pc;
                        for (int p = 0; p < kc; p++) block[p * nc + j] = b[from + p];
                    }
                    src = block; srcOff = 0; ld = nc;
                } else {
                    src = b; srcOff = bOff + pc * n + jc; ld = n;
                }
                for (int i = i0; i < i1; i++) {
                    int ci = cOff + i * n + jc;
                    for (int p = 0; p < kc; p++) {
                        float av = alpha * (transA ? a[aOff + (pc + p) * m + i] : a[aOff + i * k + pc + p]);
                        int bi = srcOff + p * ld;
                        for (int j = 0; j < nc; j++) c[ci + j] += av * src[bi + j];
                    }
                }
            }
        }
    }

    /** C = beta * C for one m x n matrix (what a GEMM with k = 0 does). */
    static void scaleOnly(int m, int n, float beta, float[] c, int cOff) {
        for (int i = 0; i < m * n; i++) c[cOff + i] = beta == 0f ? 0f : beta * c[cOff + i];
    }
}
