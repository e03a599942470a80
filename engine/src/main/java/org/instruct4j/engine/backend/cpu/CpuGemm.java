package org.instruct4j.engine.backend.cpu;

/**
 * Row-major batched GEMM on the CPU: C = alpha * op(A) op(B) + beta * C. This is the plain reference; the
 * fast path is added behind the same signature.
 */
public final class CpuGemm {
    private CpuGemm() {}

    public static void gemm(boolean transA, boolean transB, int batch, int m, int n, int k, float alpha,
                            float[] a, int strideA, float[] b, int strideB, float beta, float[] c, int strideC) {
        for (int bi = 0; bi < batch; bi++) {
            int oa = bi * strideA, ob = bi * strideB, oc = bi * strideC;
            Parallel.forRange(m, Math.max(1, 32768 / Math.max(1, n * k)), (from, to) -> {
                float[] row = new float[n];
                for (int i = from; i < to; i++) {
                    java.util.Arrays.fill(row, 0f);
                    for (int p = 0; p < k; p++) {
                        float av = transA ? a[oa + p * m + i] : a[oa + i * k + p];
                        if (av == 0f) continue;
                        if (transB) for (int j = 0; j < n; j++) row[j] += av * b[ob + j * k + p];
                        else {
                            int base = ob + p * n;
                            for (int j = 0; j < n; j++) row[j] += av * b[base + j];
                        }
                    }
                    int base = oc + i * n;
                    for (int j = 0; j < n; j++) c[base + j] = alpha * row[j] + (beta == 0f ? 0f : beta * c[base + j]);
                }
            });
        }
    }
}
