package org.instruct4j.engine.backend.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;

/**
 * Packing is a copy into the micro-kernel's layout, so every packed float must be exactly the source element its
 * position names (or 0 in a ragged panel's padding), whichever copy loop a shape takes: the 4-row transpose in
 * registers, the 6-row one, whole-vector B rows, the scalar paths for ragged panels, k tails and transposes.
 */
@EnabledIf(value = VectorApi.PRESENT, disabledReason = VectorApi.ABSENT)
class GemmPackingTest {
    private static final int LANES = FloatVector.SPECIES_PREFERRED.length();

    @Test
    void packAPlacesEveryElementForBothPanelHeights() {
        Random rng = new Random(7);
        int m = 23, k = 45;
        float[] a = random(rng, m * k);
        for (int mr : new int[] {4, 6})
            for (boolean transA : new boolean[] {false, true})
                // Block origins and sizes that give full and ragged panels, k ranges of 8n, 8n + 3 and under 8 (and
                // for the 6-row transpose in registers 16n, 16n + 13, a single step), and a block ending at A's end.
                for (int[] block : new int[][] {{0, 23, 0, 45}, {3, 8, 5, 16}, {2, 13, 9, 19}, {0, 4, 40, 5},
                        {5, 12, 3, 32}, {17, 6, 44, 1}, {11, 12, 29, 16}}) {
                    int i0 = block[0], mc = block[1], p0 = block[2], kc = block[3];
                    int panels = (mc + mr - 1) / mr;
                    float[] dst = new float[panels * mr * kc + 5];
                    java.util.Arrays.fill(dst, Float.NaN);   // every position of the panels must be written
                    GemmPacking.packA(transA, a, 0, m, k, i0, mc, p0, kc, dst, 0, mr);
                    assertPanels(dst, panels, kc, mr, (ip, p, r) -> {
                        int row = i0 + ip * mr + r, col = p0 + p;
                        return ip * mr + r >= mc ? 0f : transA ? a[col * m + row] : a[row * k + col];
                    }, "mr " + mr + " transA " + transA + " block " + java.util.Arrays.toString(block));
                }
    }

    @Test
    void packBPlacesEveryElementInWholeAndRaggedPanels() {
        Random rng = new Random(11);
        int nr = 2 * LANES, k = 53, n = 3 * nr + 5;
        float[] b = random(rng, k * n);
        for (boolean transB : new boolean[] {false, true})
            // Whole 16-step tiles and tails (the 16-lane transpose in registers), ragged panels, a block at B's end.
            for (int[] block : new int[][] {{0, 21, 0, n}, {4, 9, 1, 2 * nr + 3}, {2, 7, nr, nr - 3}, {3, 50, 0, 2 * nr},
                    {5, 48, nr + 5, 2 * nr}}) {
                int p0 = block[0], kc = block[1], j0 = block[2], nc = block[3];
                int panels = (nc + nr - 1) / nr;
                for (int split : new int[] {kc, kc / 2}) {   // one call, or two tasks' row slices
                    float[] dst = new float[panels * nr * kc];
                    java.util.Arrays.fill(dst, Float.NaN);
                    GemmPacking.packB(transB, b, 0, k, n, p0, kc, j0, nc, dst, nr, 0, 0, split);
                    GemmPacking.packB(transB, b, 0, k, n, p0, kc, j0, nc, dst, nr, 0, split, kc);
                    assertPanels(dst, panels, kc, nr, (jp, p, c) -> {
                        int col = j0 + jp * nr + c, row = p0 + p;
                        return jp * nr + c >= nc ? 0f : transB ? b[col * k + row] : b[row * n + col];
                    }, "transB " + transB + " block " + java.util.Arrays.toString(block) + " split " + split);
                }
            }
    }

    /** The element a packed position must hold: panel q, k step p, lane r of the panel's width. */
    private interface Source {
        float at(int panel, int p, int lane);
    }

    /** Every float of the panels (panel q, step p, lane r at q * width * kc + p * width + r), bit for bit. */
    private static void assertPanels(float[] dst, int panels, int kc, int width, Source want, String what) {
        for (int q = 0; q < panels; q++)
            for (int p = 0; p < kc; p++)
                for (int r = 0; r < width; r++)
                    assertThat(Float.floatToRawIntBits(dst[q * width * kc + p * width + r]))
                            .as("%s panel %d p %d lane %d", what, q, p, r)
                            .isEqualTo(Float.floatToRawIntBits(want.at(q, p, r)));
    }

    private static float[] random(Random rng, int size) {
        float[] x = new float[size];
        for (int i = 0; i < size; i++) x[i] = rng.nextFloat() * 2 - 1;
        return x;
    }
}
