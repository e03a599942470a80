package org.instruct4j.engine.backend.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.instruct4j.engine.backend.cpu.CpuGemm;
import org.junit.jupiter.api.Test;

/** The row-major to column-major operand swap, run through a host model of cuBLAS's column-major GEMM. */
class GemmOperandsTest {
    /** cublasGemmStridedBatchedEx's semantics on host arrays: C = alpha op(A) op(B) + beta C, all column-major. */
    static void columnMajorGemm(boolean ta, boolean tb, int m, int n, int k, float alpha, float[] a, int lda, int sa,
                                float[] b, int ldb, int sb, float beta, float[] c, int ldc, int sc, int batch) {
        for (int bi = 0; bi < batch; bi++)
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++) {
                    float s = 0;
                    for (int p = 0; p < k; p++) {
                        float av = ta ? a[bi * sa + p + i * lda] : a[bi * sa + i + p * lda];
                        float bv = tb ? b[bi * sb + j + p * ldb] : b[bi * sb + p + j * ldb];
                        s += av * bv;
                    }
                    int ci = bi * sc + i + j * ldc;
                    c[ci] = alpha * s + beta * c[ci];
                }
    }

    @Test void theSwappedCallComputesTheRowMajorProduct() {
        Random r = new Random(3);
        int batch = 3, m = 5, n = 7, k = 4;
        for (boolean transA : new boolean[] {false, true})
            for (boolean transB : new boolean[] {false, true})
                for (boolean broadcastB : new boolean[] {false, true}) {
                    float[] a = random(r, batch * m * k), b = random(r, batch * k * n), c0 = random(r, batch * m * n);
                    int strideB = broadcastB ? 0 : k * n;
                    float[] expected = c0.clone(), actual = c0.clone();
                    CpuGemm.gemm(transA, transB, batch, m, n, k, 1.5f, a, m * k, b, strideB, 0.5f, expected, m * n);
                    GemmOperands g = GemmOperands.rowMajor(transA, transB, m, n, k);
                    columnMajorGemm(g.transFirst(), g.transSecond(), g.m(), g.n(), g.k(), 1.5f, b, g.ldFirst(), strideB,
                            a, g.ldSecond(), m * k, 0.5f, actual, g.ldc(), m * n, batch);
                    for (int i = 0; i < expected.length; i++)
                        assertThat(actual[i]).as("transA=%s transB=%s i=%d", transA, transB, i).isCloseTo(expected[i], org.assertj.core.data.Offset.offset(1e-4f));
                }
    }

    @Test void dimensionsAreSwapped() {
        GemmOperands g = GemmOperands.rowMajor(false, true, 2, 3, 4);
        assertThat(g.m()).isEqualTo(3);
        assertThat(g.n()).isEqualTo(2);
        assertThat(g.transFirst()).isTrue();
        assertThat(g.transSecond()).isFalse();
        assertThat(g.ldFirst()).isEqualTo(4);
        assertThat(g.ldSecond()).isEqualTo(4);
        assertThat(g.ldc()).isEqualTo(3);
    }

    static float[] random(Random r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) r.nextGaussian();
        return x;
    }
}
