package org.instruct4j.engine.ops;

import static org.instruct4j.engine.testing.GradCheck.size;

import org.instruct4j.engine.Rng;
import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.testing.GradCheck;
import org.junit.jupiter.api.Test;

/** Batched matmul, with a shared or a batched B, in all four transpose combinations. */
class MatMulTest {

    /** C[i] = op(A[i]) op(B[i]) in double, reading A and B through their stored layouts. */
    private static double[] reference(double[] a, double[] b, int batch, int m, int n, int k,
                                      boolean transA, boolean transB, boolean sharedB) {
        double[] c = new double[batch * m * n];
        for (int i = 0; i < batch; i++) {
            int ao = i * m * k, bo = sharedB ? 0 : i * k * n;
            for (int r = 0; r < m; r++)
                for (int col = 0; col < n; col++) {
                    double s = 0;
                    for (int p = 0; p < k; p++) {
                        double av = transA ? a[ao + p * m + r] : a[ao + r * k + p];
                        double bv = transB ? b[bo + col * k + p] : b[bo + p * n + col];
                        s += av * bv;
                    }
                    c[(i * m + r) * n + col] = s;
                }
        }
        return c;
    }

    private void check(boolean transA, boolean transB, boolean sharedB) {
        String name = "matmul transA=" + transA + " transB=" + transB + (sharedB ? " shared B" : " batched B");
        GradCheck.withSeed(name, (Rng rng) -> {
            int m = size(rng, 1, 7), n = size(rng, 1, 7), k = size(rng, 1, 9);
            int b0 = size(rng, 1, 3), b1 = size(rng, 1, 2);
            int[] aShape = transA ? new int[] {b0, b1, k, m} : new int[] {b0, b1, m, k};
            int[] bMat = transB ? new int[] {n, k} : new int[] {k, n};
            int[] bShape = sharedB ? bMat : new int[] {b0, b1, bMat[0], bMat[1]};
            int batch = b0 * b1;
            GradCheck.of(name, rng).input("a", aShape).input("b", bShape).expectShape(b0, b1, m, n)
                    .check(t -> MatMul.matmul(t[0], t[1], transA, transB),
                            x -> reference(x[0], x[1], batch, m, n, k, transA, transB, sharedB));
        });
    }

    @Test void batchedNN() { check(false, false, false); }
    @Test void batchedNT() { check(false, true, false); }
    @Test void batchedTN() { check(true, false, false); }
    @Test void batchedTT() { check(true, true, false); }
    @Test void sharedNN() { check(false, false, true); }
    @Test void sharedNT() { check(false, true, true); }
    @Test void sharedTN() { check(true, false, true); }
    @Test void sharedTT() { check(true, true, true); }

    @Test void plainTwoByTwoMatrices() {
        GradCheck.withSeed("matmul 2D", rng -> {
            int m = size(rng, 1, 8), n = size(rng, 1, 8), k = size(rng, 1, 8);
            GradCheck.of("matmul 2D", rng).input("a", m, k).input("b", k, n).expectShape(m, n)
                    .check(t -> t[0].matmul(t[1]), x -> reference(x[0], x[1], 1, m, n, k, false, false, true));
        });
    }

    /** A Linear layer as one op: x W + b, its gradients against finite differences. */
    @Test void linearAgainstFloat64() {
        GradCheck.withSeed("linear", rng -> {
            int b0 = size(rng, 1, 3), m = size(rng, 1, 7), k = size(rng, 1, 9), n = size(rng, 1, 7);
            GradCheck.of("linear", rng).input("x", b0, m, k).input("w", k, n).input("bias", n).expectShape(b0, m, n)
                    .check(t -> MatMul.linear(t[0], t[1], t[2]), x -> {
                        double[] c = reference(x[0], x[1], 1, b0 * m, n, k, false, false, true);
                        for (int i = 0; i < c.length; i++) c[i] += x[2][i % n];
                        return c;
                    });
        });
    }

    /**
     * The op the model used before it, the product and then the bias added, gives the same bits forward and
     * backward, at shapes of the demo's model (several micro-tiles, k over one cache block, ragged edges).
     */
    @Test void linearIsTheProductThenTheAddToTheBit() {
        Rng rng = new Rng(9);
        for (int[] s : new int[][] {{2, 67, 96, 288}, {3, 45, 384, 96}, {1, 1, 5, 3}}) {
            Tensor x = Tensor.randn(rng, 1f, s[0], s[1], s[2]), w = Tensor.randn(rng, 1f, s[2], s[3]);
            Tensor bias = Tensor.randn(rng, 1f, s[3]), upstream = Tensor.randn(rng, 1f, s[0], s[1], s[3]);
            float[][] fused = run(x, w, bias, upstream, true), split = run(x, w, bias, upstream, false);
            for (int i = 0; i < fused.length; i++)
                org.assertj.core.api.Assertions.assertThat(fused[i]).as("shape %s, output %d", java.util.Arrays.toString(s), i)
                        .isEqualTo(split[i]);
        }
    }

    /** The output and the gradients of x, w and bias for one upstream gradient. */
    private static float[][] run(Tensor x0, Tensor w0, Tensor b0, Tensor upstream, boolean fused) {
        Tensor x = Tensor.of(x0.toFloatArray(), x0.shape()).requiresGrad(true);
        Tensor w = Tensor.of(w0.toFloatArray(), w0.shape()).requiresGrad(true);
        Tensor b = Tensor.of(b0.toFloatArray(), b0.shape()).requiresGrad(true);
        Tensor y = fused ? MatMul.linear(x, w, b) : Arith.add(MatMul.matmul(x, w, false, false), b);
        y.backward(upstream);
        return new float[][] {y.toFloatArray(), x.grad().toFloatArray(), w.grad().toFloatArray(), b.grad().toFloatArray()};
    }

    @Test void linearNamesTheShapesThatDoNotFit() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() ->
                        MatMul.linear(Tensor.zeros(2, 3), Tensor.zeros(3, 4), Tensor.zeros(5)))
                .hasMessageContaining("linear").hasMessageContaining("[2,3]").hasMessageContaining("[3,4]")
                .hasMessageContaining("[5]");
    }

    @Test void innerDimMismatchNamesBothShapes() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() ->
                        MatMul.matmul(org.instruct4j.engine.Tensor.zeros(2, 3), org.instruct4j.engine.Tensor.zeros(4, 5), false, false))
                .hasMessageContaining("inner dims").hasMessageContaining("[2,3]").hasMessageContaining("[4,5]");
    }
}
