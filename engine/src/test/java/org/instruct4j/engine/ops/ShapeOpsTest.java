package org.instruct4j.engine.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.instruct4j.engine.testing.GradCheck.size;

import org.instruct4j.engine.Rng;
import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.testing.GradCheck;
import org.junit.jupiter.api.Test;

/** reshape, transpose of adjacent dims, slice and concat. */
class ShapeOpsTest {

    private static int[] randomShape(Rng rng, int rank) {
        int[] s = new int[rank];
        for (int i = 0; i < rank; i++) s[i] = size(rng, 1, 5);
        return s;
    }

    private static long prod(int[] s, int from, int to) {
        long n = 1;
        for (int i = from; i < to; i++) n *= s[i];
        return n;
    }

    @Test void reshapeKeepsOrderAndResolvesMinusOne() {
        GradCheck.withSeed("reshape", rng -> {
            int[] s = randomShape(rng, 3);
            GradCheck.of("reshape", rng).input("x", s).expectShape(s[0] * s[1], s[2])
                    .check(t -> ShapeOps.reshape(t[0], -1, s[2]), x -> x[0].clone());
        });
    }

    @Test void reshapeRejectsWrongSize() {
        assertThatThrownBy(() -> ShapeOps.reshape(Tensor.zeros(2, 3), 4, 2)).hasMessageContaining("[2,3]").hasMessageContaining("[4,2]");
    }

    /** out with dims lo and lo+1 swapped, in double. */
    private static double[] transposed(double[] x, int[] s, int lo) {
        int a = (int) prod(s, 0, lo), b = s[lo], c = s[lo + 1], d = (int) prod(s, lo + 2, s.length);
        double[] out = new double[x.length];
        for (int i = 0; i < a; i++)
            for (int j = 0; j < b; j++)
                for (int k = 0; k < c; k++)
                    for (int l = 0; l < d; l++)
                        out[((i * c + k) * b + j) * d + l] = x[((i * b + j) * c + k) * d + l];
        return out;
    }

    private void checkTranspose(int rank, int dim0, int dim1) {
        String name = "transpose(" + dim0 + "," + dim1 + ") rank " + rank;
        GradCheck.withSeed(name, rng -> {
            int[] s = randomShape(rng, rank);
            int d0 = dim0 < 0 ? rank + dim0 : dim0, d1 = dim1 < 0 ? rank + dim1 : dim1;
            int lo = Math.min(d0, d1);
            int[] os = s.clone();
            os[lo] = s[lo + 1];
            os[lo + 1] = s[lo];
            GradCheck.of(name, rng).input("x", s).expectShape(os)
                    .check(t -> ShapeOps.transpose(t[0], dim0, dim1), x -> transposed(x[0], s, lo));
        });
    }

    @Test void transpose2D() { checkTranspose(2, 0, 1); }
    @Test void transpose4DHeads() { checkTranspose(4, 1, 2); }
    @Test void transpose4DLeading() { checkTranspose(4, 0, 1); }
    @Test void transpose4DLastTwoNegative() { checkTranspose(4, -1, -2); }
    @Test void transpose3DMiddle() { checkTranspose(3, 1, 2); }

    @Test void transposeOfNonAdjacentDimsIsRejected() {
        assertThatThrownBy(() -> ShapeOps.transpose(Tensor.zeros(2, 3, 4), 0, 2)).hasMessageContaining("adjacent");
    }

    @Test void sliceAlongEveryDim() {
        GradCheck.withSeed("slice", rng -> {
            int[] s = randomShape(rng, 3);
            for (int dim = 0; dim < 3; dim++) {
                int from = rng.nextInt(s[dim]), to = from + 1 + rng.nextInt(s[dim] - from);
                int d = dim;
                long rows = prod(s, 0, d), inner = prod(s, d + 1, 3);
                int[] os = s.clone();
                os[d] = to - from;
                GradCheck.of("slice dim " + d + " " + from + ":" + to, rng).input("x", s).expectShape(os)
                        .check(t -> ShapeOps.slice(t[0], d, from, to), x -> {
                            double[] out = new double[(int) (rows * (to - from) * inner)];
                            int o = 0;
                            for (long r = 0; r < rows; r++)
                                for (long i = from * inner; i < to * inner; i++) out[o++] = x[0][(int) (r * s[d] * inner + i)];
                            return out;
                        });
            }
        });
    }

    @Test void sliceOutOfRangeIsRejected() {
        assertThatThrownBy(() -> ShapeOps.slice(Tensor.zeros(2, 3), 1, 2, 4)).hasMessageContaining("out of range");
    }

    @Test void concatOfThreeAlongARandomDim() {
        GradCheck.withSeed("concat", rng -> {
            int[] s = randomShape(rng, 3);
            int d = rng.nextInt(3);
            int[] w = {size(rng, 1, 4), size(rng, 1, 4), size(rng, 1, 4)};
            int[][] shapes = new int[3][];
            for (int i = 0; i < 3; i++) { shapes[i] = s.clone(); shapes[i][d] = w[i]; }
            int[] os = s.clone();
            os[d] = w[0] + w[1] + w[2];
            long rows = prod(s, 0, d), inner = prod(s, d + 1, 3);
            GradCheck.of("concat dim " + d, rng).input("a", shapes[0]).input("b", shapes[1]).input("c", shapes[2])
                    .expectShape(os)
                    .check(t -> ShapeOps.concat(d, t[0], t[1], t[2]), x -> {
                        double[] out = new double[(int) (rows * os[d] * inner)];
                        int o = 0;
                        for (long r = 0; r < rows; r++)
                            for (int i = 0; i < 3; i++)
                                for (long j = 0; j < w[i] * inner; j++) out[o++] = x[i][(int) (r * w[i] * inner + j)];
                        return out;
                    });
        });
    }

    @Test void concatOfIntTensorsKeepsInts() {
        Tensor a = Tensor.ofInts(new int[] {1, 2}, 1, 2), b = Tensor.ofInts(new int[] {3, 4, 5, 6}, 2, 2);
        Tensor c = ShapeOps.concat(0, a, b);
        assertThat(c.shape()).containsExactly(3, 2);
        assertThat(c.toIntArray()).containsExactly(1, 2, 3, 4, 5, 6);
    }

    @Test void concatWithMismatchedShapesIsRejected() {
        assertThatThrownBy(() -> ShapeOps.concat(0, Tensor.zeros(1, 2), Tensor.zeros(1, 3))).hasMessageContaining("concat");
    }

    @Test void concatOfFloatsAndIntsIsRefused() {
        assertThatThrownBy(() -> ShapeOps.concat(0, Tensor.zeros(1, 2), Tensor.ofInts(new int[] {1, 2}, 1, 2)))
                .hasMessageContaining("concat").hasMessageContaining("F32[1,2]").hasMessageContaining("I32[1,2]");
    }
}
