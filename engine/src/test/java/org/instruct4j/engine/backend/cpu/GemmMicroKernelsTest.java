package org.instruct4j.engine.backend.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;

/**
 * Both tile heights and every way of reading A (transposed in place, row-major in place, packed), whichever the
 * machine uses: every element must be the fma chain
 * over k in increasing order, bit for bit, which is what makes the GEMM's results independent of the tile height
 * and of whether A was packed.
 */
@EnabledIf(value = VectorApi.PRESENT, disabledReason = VectorApi.ABSENT)
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

    /** A transposed in place: row r at step p is ap[ai + p * ks + r]. */
    interface Transposed {
        void run(int kc, float[] ap, int ai, int ks, float[] bp, int bi, float[] out, int oi, int ldo);
    }

    interface Packed { void run(int kc, float[] ap, int ai, float[] bp, int bi, float[] out, int oi, int ldo); }

    @Test
    void sixRowsTransposedAndPackedAreTheFmaChains() {
        assertBothAreTheFmaChains(6, GemmMicroKernels::rows6Transposed, GemmMicroKernels::rows6Packed);
    }

    @Test
    void fourRowsTransposedAndPackedAreTheFmaChains() {
        assertBothAreTheFmaChains(4, GemmMicroKernels::rows4Transposed, GemmMicroKernels::rows4Packed);
    }

    private static void assertBothAreTheFmaChains(int rows, Transposed transposed, Packed packed) {
        Operands o = Operands.random(rows, rows);
        int ldo = NR + 5;
        // A^T stored KC x 11 at offset 5: the tile's rows are columns 2 .. 2 + rows of a wider matrix (X^T of 11
        // tokens' worth of rows, as a weight gradient reads 4 or 6 of its rows at a time).
        int ks = 11, base = 5, first = 2;
        float[] aT = new float[base + KC * ks];
        for (int r = 0; r < rows; r++)
            for (int p = 0; p < KC; p++) aT[base + p * ks + first + r] = o.a()[r * (KC + 3) + p];
        float[] fromTransposed = new float[rows * ldo], fromPacked = new float[rows * ldo];
        transposed.run(KC, aT, base + first, ks, o.bPacked(), 0, fromTransposed, 0, ldo);
        packed.run(KC, o.aPacked(), 0, o.bPacked(), 0, fromPacked, 0, ldo);
        assertThat(fromTransposed).as("%d rows, A transposed in place", rows).containsExactly(o.expected(ldo));
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

}
