package org.instruct4j.engine.backend.cpu;

/**
 * Row-major batched GEMM on the CPU: C[i] = alpha * op(A[i]) op(B[i]) + beta * C[i] for i in [0, batch).
 * op(A) is m x k (A stored k x m when transA), op(B) is k x n (B stored n x k when transB), C is m x n;
 * matrix i starts at {@code i * stride} and a stride of 0 broadcasts one matrix to the whole batch. When
 * beta is 0, C is only written (whatever it held, NaN included, is discarded).
 *
 * <p>Two implementations, same contract: {@link CpuGemmVector} (packed panels, cache blocking and a Vector
 * API register-tiled micro-kernel) when jdk.incubator.vector is present, else {@link CpuGemmPlain}
 * (blocked loops that C2 auto-vectorizes). Both run on {@link Parallel}'s pool and give the same bits, for any
 * thread count, through the order of {@link #K_BLOCK}.
 */
public final class CpuGemm {
    /**
     * Both implementations sum k in blocks of this many: each block one fma chain from zero in increasing k, then
     * C = alpha * block + beta * C for the first block (C not read when beta is 0) and C = alpha * block + C for
     * each later one (+ bias after the last, in gemmBias). So every C element gets the same operations in the same
     * order, whatever the tiles, threads or vector width.
     */
    static final int K_BLOCK = 256;

    private CpuGemm() {}

    public static void gemm(boolean transA, boolean transB, int batch, int m, int n, int k, float alpha,
                            float[] a, int strideA, float[] b, int strideB, float beta, float[] c, int strideC) {
        gemm(transA, transB, batch, m, n, k, alpha, a, strideA, b, strideB, beta, c, strideC,
                VectorSupport.AVAILABLE, true);
    }

    /**
     * The same with the implementation chosen by the caller: {@code vector} picks the Vector API path (only
     * when {@link VectorSupport#AVAILABLE}), {@code parallel} false keeps all work on the calling thread.
     */
    static void gemm(boolean transA, boolean transB, int batch, int m, int n, int k, float alpha,
                     float[] a, int strideA, float[] b, int strideB, float beta, float[] c, int strideC,
                     boolean vector, boolean parallel) {
        check(batch, m, n, k, a, strideA, b, strideB, c, strideC);
        if (batch == 0 || m == 0 || n == 0) return;
        if (batch > 1 && strideB == 0 && !transA && strideA == (long) m * k && strideC == (long) m * n) {
            // One B shared by a batch of row-major A matrices that follow each other (x (B, T, C) times a weight):
            // the batch is one tall matrix of batch * m rows. Without this, B was packed again for every matrix
            // and each matrix was a separate small problem (a KV-cache decode step is batch 64 of m = 1 rows).
            // Every C element still gets the same k terms in the same order, so the bits do not change.
            m *= batch;
            batch = 1;
        }
        if (vector) CpuGemmVector.gemm(transA, transB, batch, m, n, k, alpha, a, strideA, b, strideB, beta, c, strideC, parallel);
        else CpuGemmPlain.gemm(transA, transB, batch, m, n, k, alpha, a, strideA, b, strideB, beta, c, strideC, parallel);
    }

    /**
     * C = A B + bias (A m x k, B k x n, both row-major, bias n added to every row of C): a Linear's forward. The
     * Vector API path adds the bias as it writes each tile of C's last k block, while the tile is in L1; as a
     * separate pass over C the add cost about a fifth of the product at the demo's shapes on 8 lanes (it reads and
     * writes all of C from L3). The same bits as gemm and then add: every element is the same sum plus bias, once.
     */
    public static void gemmBias(int m, int n, int k, float[] a, float[] b, float[] bias, float[] c) {
        gemmBias(m, n, k, a, b, bias, c, VectorSupport.AVAILABLE);
    }

    /** The same with the implementation chosen by the caller ({@code vector} only when VectorSupport.AVAILABLE). */
    static void gemmBias(int m, int n, int k, float[] a, float[] b, float[] bias, float[] c, boolean vector) {
        check(1, m, n, k, a, 0, b, 0, c, 0);
        if (bias == null || bias.length < n)
            throw new IllegalArgumentException("CpuGemm.gemmBias: bias has " + (bias == null ? "no" : bias.length)
                    + " floats, n=" + n);
        if (m == 0 || n == 0) return;
        if (vector && k > 0) {
            CpuGemmVector.gemmBias(m, n, k, a, b, bias, c, true);
            return;
        }
        gemm(false, false, 1, m, n, k, 1f, a, 0, b, 0, 0f, c, 0, vector, true);
        CpuElementwise.add(c, bias, c, m * n, n);
    }

    private static void check(int batch, int m, int n, int k, float[] a, int strideA, float[] b, int strideB,
                              float[] c, int strideC) {
        if (batch < 0 || m < 0 || n < 0 || k < 0)
            throw new IllegalArgumentException("CpuGemm.gemm: negative size batch=" + batch + " m=" + m
                    + " n=" + n + " k=" + k);
        if (strideA < 0 || strideB < 0 || strideC < 0)
            throw new IllegalArgumentException("CpuGemm.gemm: negative stride strideA=" + strideA
                    + " strideB=" + strideB + " strideC=" + strideC);
        if (batch == 0) return;
        need("A", a, batch, strideA, (long) m * k, m, n, k);
        need("B", b, batch, strideB, (long) k * n, m, n, k);
        need("C", c, batch, strideC, (long) m * n, m, n, k);
        if (batch > 1 && strideC != 0 && strideC < (long) m * n)
            throw new IllegalArgumentException("CpuGemm.gemm: C matrices overlap: strideC=" + strideC
                    + " < m*n=" + (long) m * n);
        if (batch > 1 && strideC == 0 && m * n > 0)
            throw new IllegalArgumentException("CpuGemm.gemm: strideC=0 with batch=" + batch
                    + " would write every product into the same C");
    }

    private static void need(String name, float[] x, int batch, int stride, long size, int m, int n, int k) {
        long needed = (long) (batch - 1) * stride + size;
        if (x == null)
            throw new IllegalArgumentException("CpuGemm.gemm: matrix " + name + " is null");
        if (x.length < needed)
            throw new IllegalArgumentException("CpuGemm.gemm: matrix " + name + " has " + x.length
                    + " floats but batch=" + batch + " stride=" + stride + " m=" + m + " n=" + n + " k=" + k
                    + " needs " + needed);
    }
}
