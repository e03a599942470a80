package org.instruct4j.engine.backend.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/**
 * Both tile heights and every way of reading A, whichever the machine uses: every element must be the fma chain
 * over k in increasing order, bit for bit, which is what makes the GEMM's results independent of the tile height
 * and of whether A was packed.
 */
class GemmMicroKernelsTest {
    private static final int NR = 2 * FloatVector.SPECIES_PREFERRED.length();
    private static final int KC = 37;

    /** A (rows x KC, row-major with stride KC + 3), its packed panel, B packed (KC x NR). */
    private record Operands(int rows, float[] a, float[] aPacked, float[] bPacked) {
        static Operands random(int rows, long seed) {
            Random rng = new Random(seed);
            float[] a = new float[rows * (KC + 3)], aPacked = new float[rows * KC], b = new float[KC * NR];
            for (int i = 0; i < a.length; i++) a[i] = rng.nextFloat() * 2 - 1;
            for (int i = 0; i < b.length; i++) b[i] = rng.nextFloat() * 2 - 1;
            for (int r = 0; r < rows; r++)
                for (int p = 0; p < KC; p++) aPacked[p * rows + r] = a[r * (KC + 3) + p];
            return new Operands(rows, a, aPacked, b);
        }

        /** The tile as fma chains in increasing k, row stride ldo. */
        float[] expected(int ldo) {
            float[] out = new float[rows * ldo];
            for (int r = 0; r < rows; r++)
                for (int c = 0; c < NR; c++) {
                    float acc = 0f;
                    for (int p = 0; p < KC; p++) acc = Math.fma(a[r * (KC + 3) + p], bPacked[p * NR + c], acc);
                    out[r * ldo + c] = acc;
                }
            return out;
        }
    }

    interface InPlace {
        void run(int kc, float[] ap, int ai, int rs, int ks, float[] bp, int bi, float[] out, int oi, int ldo);
    }

    interface Packed { void run(int kc, float[] ap, int ai, float[] bp, int bi, float[] out, int oi, int ldo); }

    @Test
    void sixRowsInPlaceAndPackedAreTheFmaChains() {
        assertBothAreTheFmaChains(6, GemmMicroKernels::rows6, GemmMicroKernels::rows6Packed);
    }

    @Test
    void fourRowsInPlaceAndPackedAreTheFmaChains() {
        assertBothAreTheFmaChains(4, GemmMicroKernels::rows4, GemmMicroKernels::rows4Packed);
    }

    private static void assertBothAreTheFmaChains(int rows, InPlace inPlace, Packed packed) {
        Operands o = Operands.random(rows, rows);
        int ldo = NR + 5;
        float[] fromInPlace = new float[rows * ldo], fromPacked = new float[rows * ldo];
        inPlace.run(KC, o.a(), 0, KC + 3, 1, o.bPacked(), 0, fromInPlace, 0, ldo);
        packed.run(KC, o.aPacked(), 0, o.bPacked(), 0, fromPacked, 0, ldo);
        assertThat(fromInPlace).as("%d rows, A in place", rows).containsExactly(o.expected(ldo));
        assertThat(fromPacked).as("%d rows, A packed", rows).containsExactly(o.expected(ldo));
    }

    interface RowMajor {
        void run(int kc, float[] ap, int ai, int rs, float[] bp, int bi, float[] out, int oi, int ldo);
    }

    @Test
    void rowMajorKernelsAreTheFmaChains() {
        RowMajor[] kernels = {GemmMicroKernels::rows4RowMajor, GemmMicroKernels::rows6RowMajor};
        int[] heights = {4, 6};
        for (int i = 0; i < kernels.length; i++) {
            int rows = heights[i], ldo = NR + 5;
            Operands o = Operands.random(rows, 10 + rows);
            float[] out = new float[rows * ldo];
            kernels[i].run(KC, o.a(), 0, KC + 3, o.bPacked(), 0, out, 0, ldo);
            assertThat(out).as("%d rows, row-major A in place", rows).containsExactly(o.expected(ldo));
        }
    }

    @Test
    void aTransposedInPlaceReadsColumns() {
        // A stored k x rows (a weight gradient's X^T): row r at step p is a[p * rows + r], strides (1, rows).
        Operands o = Operands.random(4, 3);
        int ldo = NR;
        float[] out = new float[4 * ldo];
        GemmMicroKernels.rows4(KC, o.aPacked(), 0, 1, 4, o.bPacked(), 0, out, 0, ldo);
        assertThat(out).containsExactly(o.expected(ldo));
    }
}
