package org.instruct4j.engine.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Copies blocks of A and B into the layout the micro-kernel streams through (for {@link CpuGemmVector} only, so
 * it may use the Vector API).
 * Packing is where the transposes are handled, so the kernel only ever sees one layout:
 * <ul>
 *   <li>A block (mc x kc) becomes panels of {@code mr} rows; inside a panel, element (r, p) sits at
 *       {@code p * mr + r}, so one k step reads mr consecutive floats.</li>
 *   <li>B block (kc x nc) becomes panels of {@code nr} columns; inside a panel, element (p, c) sits at
 *       {@code p * nr + c}, so one k step reads nr consecutive floats (whole vectors).</li>
 * </ul>
 * Ragged edges are padded with zeros to whole panels; the padded lanes are computed and then thrown away.
 */
final class GemmPacking {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /**
     * Whether a panel is packed with vectors of a fixed width (the 4-row panels and a transposed A's 6-row ones with
     * 256-bit vectors, a row-major A's 6-row ones with 512-bit): only where the machine's vectors are at least that
     * wide. On NEON's 128 bits (or an x86 JVM run with -XX:MaxVectorSize=16) the Vector API computes wider vectors in
     * plain Java, boxing each: the demo's pretraining ran 2.1-2.5 times slower than with the element-by-element copy
     * (4.3-5.0 steps a second against 10.7 on a Zen 5 with -XX:MaxVectorSize=16, 2026-12-05).
     */
    private static final boolean FOUR_ROWS_IN_VECTORS = L >= 8, SIX_ROWS_TRANSPOSED_IN_VECTORS = L >= 8,
            SIX_ROWS_IN_VECTORS = L >= 16;

    private GemmPacking() {}

    /**
     * Packs rows [i0, i0 + mc) and k range [p0, p0 + kc) of op(A) into dst at dstBase (ceil(mc / mr) panels of
     * mr x kc, the panel of row i0 + ip at {@code dstBase + ip * kc}). A is m x k row-major at aOff, or k x m when
     * transA.
     */
    static void packA(boolean transA, float[] a, int aOff, int m, int k, int i0, int mc, int p0, int kc,
                      float[] dst, int dstBase, int mr) {
        int fromPanel = 0;
        if (transA && mr == 4 && FOUR_ROWS_IN_VECTORS) {
            packTransposedFourRows(a, aOff + p0 * m + i0, m, mc / 4, kc, dst, dstBase);
            fromPanel = mc / 4 * 4;
        } else if (transA && mr == 6 && SIX_ROWS_TRANSPOSED_IN_VECTORS) {
            packTransposedSixRows(a, aOff + p0 * m + i0, m, mc / 6, kc, dst, dstBase);
            fromPanel = mc / 6 * 6;
        }
        for (int ip = fromPanel; ip < mc; ip += mr) {
            int rows = Math.min(mr, mc - ip), d = dstBase + ip * kc;
            if (transA) {
                // A(i, p) = a[p * m + i]: a k step's rows are adjacent in memory.
                for (int p = 0; p < kc; p++) {
                    int src = aOff + (p0 + p) * m + i0 + ip, dp = d + p * mr;
                    for (int r = 0; r < rows; r++) dst[dp + r] = a[src + r];
                    for (int r = rows; r < mr; r++) dst[dp + r] = 0f;
                }
            } else if (rows == 4 && mr == 4 && FOUR_ROWS_IN_VECTORS) {
                packFourRows(a, aOff + (i0 + ip) * k + p0, k, kc, dst, d);
            } else if (rows == 6 && mr == 6 && SIX_ROWS_IN_VECTORS) {
                packSixRows(a, aOff + (i0 + ip) * k + p0, k, kc, dst, d);
            } else {
                // A(i, p) = a[i * k + p]: read each row once, scatter it with stride mr.
                for (int r = 0; r < mr; r++) {
                    if (r < rows) {
                        int src = aOff + (i0 + ip + r) * k + p0;
                        for (int p = 0; p < kc; p++) dst[d + p * mr + r] = a[src + p];
                    } else {
                        for (int p = 0; p < kc; p++) dst[d + p * mr + r] = 0f;
                    }
                }
            }
        }
    }

    /**
     * The first {@code panels} full 4-row panels of a transposed A (k step p's rows at {@code src + p * m}, adjacent).
     * Four panels at a time, two k steps at a time: the 16 floats of step p and the 16 of step p + 1 are two 256-bit
     * loads each, and each panel's two steps, the same half of a vector of each, are one 256-bit store (a two-vector
     * rearrange, as {@link #packFourRows} does). Each panel's destination is written in order, and a step's 16 floats,
     * one cache line of the source, are read once for all four: panel by panel, a row stride of 1,024 floats (the
     * demo's logits gradient) put every k step of a panel in the same L1 set and each source line was fetched again
     * for each of its four panels (2-core Zen 5 with AVX2's instructions, copying a 3072 x 96 X^T: 59.5 us that way,
     * 31.6 us four panels at a time). Only the kernels' own 256-bit species: a 128-bit copy per step and panel, as
     * this was before, shares FloatVector.intoArray's type profile with the 256-bit vectors of everything else, and
     * in some JVM runs C2 compiled it from that profile without the Vector API's intrinsics, boxing every vector (1.1
     * MB allocated per 96 x 1,536 product and the product 1.5-5x slower).
     */
    private static void packTransposedFourRows(float[] a, int src, int m, int panels, int kc, float[] dst, int d) {
        int ip = 0;
        for (; ip + 4 <= panels; ip += 4) {
            int s = src + ip * 4, t0 = d + ip * 4 * kc, t1 = t0 + 4 * kc, t2 = t1 + 4 * kc, t3 = t2 + 4 * kc, p = 0;
            for (; p + 2 <= kc; p += 2) {
                int sp = s + p * m, tp = p * 4;
                FloatVector now01 = FloatVector.fromArray(EIGHT, a, sp), now23 = FloatVector.fromArray(EIGHT, a, sp + 8);
                FloatVector next01 = FloatVector.fromArray(EIGHT, a, sp + m);
                FloatVector next23 = FloatVector.fromArray(EIGHT, a, sp + m + 8);
                now01.rearrange(LOW_HALVES, next01).intoArray(dst, t0 + tp);
                now01.rearrange(HIGH_HALVES, next01).intoArray(dst, t1 + tp);
                now23.rearrange(LOW_HALVES, next23).intoArray(dst, t2 + tp);
                now23.rearrange(HIGH_HALVES, next23).intoArray(dst, t3 + tp);
            }
            if (p < kc)   // an odd kc's last step
                for (int r = 0; r < 16; r++) dst[t0 + r / 4 * 4 * kc + p * 4 + r % 4] = a[s + p * m + r];
        }
        for (; ip < panels; ip++) {   // fewer than four panels left
            int s = src + ip * 4, t = d + ip * 4 * kc;
            for (int p = 0; p < kc; p++)
                for (int r = 0; r < 4; r++) dst[t + p * 4 + r] = a[s + p * m + r];
        }
    }

    /**
     * The first {@code panels} full 6-row panels of a transposed A (k step p's rows at {@code src + p * m}, adjacent):
     * a k step of a panel is 6 adjacent floats, copied as 8 (a 256-bit vector) whose 2 extra floats the next step
     * overwrites. A panel's last step is copied one by one: its 2 extra floats would land past the panel, and read
     * from A's last k row they could run past the array (earlier rows have at least m more floats after them).
     * On the 16-lane machines (AVX-512) the element-by-element copy this replaces took 16% as long as the multiply of
     * a weight gradient (96 x 1,536 x 384) on a Zen 5; the 4-lane ones (NEON), whose panels have 6 rows too, keep it.
     */
    private static void packTransposedSixRows(float[] a, int src, int m, int panels, int kc, float[] dst, int d) {
        for (int ip = 0; ip < panels; ip++) {
            int from = src + ip * 6, to = d + ip * 6 * kc, last = kc - 1;
            for (int p = 0; p < last; p++)
                FloatVector.fromArray(EIGHT, a, from + p * m).intoArray(dst, to + p * 6);
            for (int r = 0; r < 6; r++) dst[to + last * 6 + r] = a[from + last * m + r];
        }
    }

    private static final VectorSpecies<Float> SIXTEEN = FloatVector.SPECIES_512;
    /**
     * For the 6-row transpose of 16 k steps ({@link #packSixRows}): output vector t's lane i holds row
     * (16t + i) % 6 at step (16t + i) / 6. PICK01 picks it from rows 0 and 1 (index p, or 16 + p for row 1),
     * PICK23 and PICK45 likewise from rows 2-3 and 4-5, and the masks say which pair a lane takes.
     */
    private static final float[] PICK01 = sixRowPicks(0), PICK23 = sixRowPicks(2), PICK45 = sixRowPicks(4);
    private static final long[] FROM23 = sixRowLanes(2), FROM45 = sixRowLanes(4);

    private static float[] sixRowPicks(int firstRow) {
        float[] pick = new float[96];
        for (int q = 0; q < 96; q++) {
            int row = q % 6, step = q / 6;
            if (row == firstRow || row == firstRow + 1) pick[q] = step + 16 * (row - firstRow);
        }
        return pick;
    }

    /** Per output vector, the lanes (as bits) that hold row firstRow or firstRow + 1. */
    private static long[] sixRowLanes(int firstRow) {
        long[] lanes = new long[6];
        for (int q = 0; q < 96; q++)
            if (q % 6 == firstRow || q % 6 == firstRow + 1) lanes[q / 16] |= 1L << (q % 16);
        return lanes;
    }

    /**
     * One full 6-row panel of a row-major A (row r at {@code src + r * k}) on a 16-lane machine: 16 k steps at a
     * time, the 6 x 16 block loaded as 6 vectors and transposed in registers into 6 vectors of the panel, each
     * lane picked from a pair of rows by a two-vector permute and the pairs blended. On a Zen 5 a 96 x 256 block
     * takes 5.0-5.5 us this way (3.5% of its multiply by 768 columns), 13-14 us element by element; blend masks
     * made from bits rather than loaded from boolean arrays saved 2 of the 7 us the first version took.
     */
    private static void packSixRows(float[] a, int src, int k, int kc, float[] dst, int d) {
        int p = 0;
        for (; p + 16 <= kc; p += 16) {
            FloatVector r0 = FloatVector.fromArray(SIXTEEN, a, src + p), r1 = FloatVector.fromArray(SIXTEEN, a, src + k + p);
            FloatVector r2 = FloatVector.fromArray(SIXTEEN, a, src + 2 * k + p);
            FloatVector r3 = FloatVector.fromArray(SIXTEEN, a, src + 3 * k + p);
            FloatVector r4 = FloatVector.fromArray(SIXTEEN, a, src + 4 * k + p);
            FloatVector r5 = FloatVector.fromArray(SIXTEEN, a, src + 5 * k + p);
            for (int t = 0; t < 96; t += 16) {
                FloatVector rows01 = FloatVector.fromArray(SIXTEEN, PICK01, t).selectFrom(r0, r1);
                FloatVector rows23 = FloatVector.fromArray(SIXTEEN, PICK23, t).selectFrom(r2, r3);
                FloatVector rows45 = FloatVector.fromArray(SIXTEEN, PICK45, t).selectFrom(r4, r5);
                rows01.blend(rows23, VectorMask.fromLong(SIXTEEN, FROM23[t / 16]))
                        .blend(rows45, VectorMask.fromLong(SIXTEEN, FROM45[t / 16]))
                        .intoArray(dst, d + p * 6 + t);
            }
        }
        for (; p < kc; p++)
            for (int r = 0; r < 6; r++) dst[d + p * 6 + r] = a[src + r * k + p];
    }

    /** Eight lanes whatever the machine: a 4-row panel (MR on AVX2) takes two k steps per vector. */
    private static final VectorSpecies<Float> EIGHT = FloatVector.SPECIES_256;
    /** Interleaves two vectors' lower halves (lane i of the first, lane i of the second, ...). */
    private static final VectorShuffle<Float> ZIP_LOW = VectorShuffle.fromValues(EIGHT, 0, 8, 1, 9, 2, 10, 3, 11);
    private static final VectorShuffle<Float> ZIP_HIGH = VectorShuffle.fromValues(EIGHT, 4, 12, 5, 13, 6, 14, 7, 15);
    /** Pairs of lanes: 0-1 of the first, 0-1 of the second, 2-3 of the first, 2-3 of the second (then 4-7). */
    private static final VectorShuffle<Float> PAIRS_LOW = VectorShuffle.fromValues(EIGHT, 0, 1, 8, 9, 2, 3, 10, 11);
    private static final VectorShuffle<Float> PAIRS_HIGH = VectorShuffle.fromValues(EIGHT, 4, 5, 12, 13, 6, 7, 14, 15);
    /** The lower halves of two vectors, one after the other; the upper halves likewise. */
    private static final VectorShuffle<Float> LOW_HALVES = VectorShuffle.fromValues(EIGHT, 0, 1, 2, 3, 8, 9, 10, 11);
    private static final VectorShuffle<Float> HIGH_HALVES = VectorShuffle.fromValues(EIGHT, 4, 5, 6, 7, 12, 13, 14, 15);

    /**
     * One full 4-row panel of a row-major A (row r at {@code src + r * k}): 8 k steps at a time, the 4 x 8 block
     * loaded as 4 vectors and transposed in registers into 4 vectors of two k steps each. On an AVX2 Zen 3 the
     * scalar scatter it replaces was 8% of the demo's pretraining step's samples, this one 2.5%.
     */
    private static void packFourRows(float[] a, int src, int k, int kc, float[] dst, int d) {
        int p = 0;
        for (; p + 8 <= kc; p += 8) {
            FloatVector r0 = FloatVector.fromArray(EIGHT, a, src + p), r1 = FloatVector.fromArray(EIGHT, a, src + k + p);
            FloatVector r2 = FloatVector.fromArray(EIGHT, a, src + 2 * k + p);
            FloatVector r3 = FloatVector.fromArray(EIGHT, a, src + 3 * k + p);
            // r0 r1 interleaved: steps 0-3 then 4-7 of rows 0 and 1; the same for rows 2 and 3.
            FloatVector low01 = r0.rearrange(ZIP_LOW, r1), high01 = r0.rearrange(ZIP_HIGH, r1);
            FloatVector low23 = r2.rearrange(ZIP_LOW, r3), high23 = r2.rearrange(ZIP_HIGH, r3);
            int o = d + p * 4;
            low01.rearrange(PAIRS_LOW, low23).intoArray(dst, o);
            low01.rearrange(PAIRS_HIGH, low23).intoArray(dst, o + 8);
            high01.rearrange(PAIRS_LOW, high23).intoArray(dst, o + 16);
            high01.rearrange(PAIRS_HIGH, high23).intoArray(dst, o + 24);
        }
        for (; p < kc; p++)
            for (int r = 0; r < 4; r++) dst[d + p * 4 + r] = a[src + r * k + p];
    }

    /**
     * Packs rows [rowFrom, rowTo) of the B block with k range [p0, p0 + kc) and columns [j0, j0 + nc), every
     * panel of them, into dst (panel jp at {@code dstBase + jp * nr * kc}, its row p at {@code + p * nr}). B is
     * k x n row-major at bOff, or n x k when transB.
     */
    static void packB(boolean transB, float[] b, int bOff, int k, int n, int p0, int kc, int j0, int nc,
                      float[] dst, int nr, int dstBase, int rowFrom, int rowTo) {
        int panels = (nc + nr - 1) / nr;
        if (transB) {
            // B(p, j) = b[j * k + p]. Whole tiles of full panels (16 x 16 on 16 lanes, 8 x 8 on 8) are transposed in
            // registers; the rest (a ragged panel, a k tail) reads each column of op(B) (a row of b) once and
            // scatters it with stride nr.
            int tile = (L == 16 || L == 8) && nr % L == 0 ? L : 0;
            int fullPanels = nc / nr, tiledTo = tile > 0 ? rowFrom + (rowTo - rowFrom) / tile * tile : rowFrom;
            if (tiledTo > rowFrom) {
                float[] scratch = tile == 16 ? TILE.get() : null;
                for (int jp = 0; jp < fullPanels; jp++)
                    for (int c0 = 0; c0 < nr; c0 += tile)
                        for (int p = rowFrom; p < tiledTo; p += tile) {
                            int from = bOff + (j0 + jp * nr + c0) * k + p0 + p;
                            int to = dstBase + jp * nr * kc + p * nr + c0;
                            if (tile == 16) transpose16(b, from, k, dst, to, nr, scratch);
                            else transpose8(b, from, k, dst, to, nr);
                        }
            }
            for (int jp = 0; jp < panels; jp++) {
                int j = jp * nr, cols = Math.min(nr, nc - j), d = dstBase + j * kc;
                int from = jp < fullPanels ? tiledTo : rowFrom;
                for (int c = 0; c < nr; c++) {
                    if (c < cols) {
                        int src = bOff + (j0 + j + c) * k + p0;
                        for (int p = from; p < rowTo; p++) dst[d + p * nr + c] = b[src + p];
                    } else {
                        for (int p = from; p < rowTo; p++) dst[d + p * nr + c] = 0f;
                    }
                }
            }
            return;
        }
        // Row by row, every panel of a row before the next row: B is read as one stream. Panel by panel (rows of
        // nr floats a row stride apart) the copy of a weight gradient's output gradient (1536 x 384 in the demo)
        // ran 4-6 times slower on an AVX2 Zen 3 once the multiply between two calls had moved B out of cache.
        // Each panel's row is a plain copy. As FloatVector loads and stores inside this many-pathed method it
        // depended on C2's type profile: in a JVM whose profile of FloatVector.intoArray had seen other species
        // (the engine's tests with fresh seeds), C2 guessed the wrong vector class and boxed every vector, 5 KB
        // of garbage a call; arraycopy copies as fast (docs/BENCHMARKS.md, "A copy C2 boxed in a long-lived JVM").
        int fullPanels = nc / nr;
        for (int p = rowFrom; p < rowTo; p++) {
            int src = bOff + (p0 + p) * n + j0, dp = dstBase + p * nr;
            for (int jp = 0; jp < fullPanels; jp++) System.arraycopy(b, src + jp * nr, dst, dp + jp * nr * kc, nr);
            if (fullPanels < panels) {
                int j = fullPanels * nr, cols = nc - j, s = src + j, d = dp + j * kc;
                for (int c = 0; c < nr; c++) dst[d + c] = c < cols ? b[s + c] : 0f;
            }
        }
    }

    /**
     * The 8 x 8 floats at src (row stride ss) transposed into dst (row stride ds), in registers: rows interleaved
     * in pairs of lanes, then pairs of pairs, then halves. On an AVX2 machine the attention's keys and a weight's
     * transpose (an input gradient's B) were scattered a float at a time before.
     */
    private static void transpose8(float[] src, int s, int ss, float[] dst, int d, int ds) {
        FloatVector r0 = FloatVector.fromArray(EIGHT, src, s), r1 = FloatVector.fromArray(EIGHT, src, s + ss);
        FloatVector r2 = FloatVector.fromArray(EIGHT, src, s + 2 * ss);
        FloatVector r3 = FloatVector.fromArray(EIGHT, src, s + 3 * ss);
        FloatVector r4 = FloatVector.fromArray(EIGHT, src, s + 4 * ss);
        FloatVector r5 = FloatVector.fromArray(EIGHT, src, s + 5 * ss);
        FloatVector r6 = FloatVector.fromArray(EIGHT, src, s + 6 * ss);
        FloatVector r7 = FloatVector.fromArray(EIGHT, src, s + 7 * ss);
        // Lanes 0-3 then 4-7 of two rows interleaved.
        FloatVector t0 = r0.rearrange(ZIP_LOW, r1), t1 = r0.rearrange(ZIP_HIGH, r1);
        FloatVector t2 = r2.rearrange(ZIP_LOW, r3), t3 = r2.rearrange(ZIP_HIGH, r3);
        FloatVector t4 = r4.rearrange(ZIP_LOW, r5), t5 = r4.rearrange(ZIP_HIGH, r5);
        FloatVector t6 = r6.rearrange(ZIP_LOW, r7), t7 = r6.rearrange(ZIP_HIGH, r7);
        // Two columns of four rows each: u0 columns 0-1 of rows 0-3, u1 columns 2-3, u2 4-5, u3 6-7; u4-u7 rows 4-7.
        FloatVector u0 = t0.rearrange(PAIRS_LOW, t2), u1 = t0.rearrange(PAIRS_HIGH, t2);
        FloatVector u2 = t1.rearrange(PAIRS_LOW, t3), u3 = t1.rearrange(PAIRS_HIGH, t3);
        FloatVector u4 = t4.rearrange(PAIRS_LOW, t6), u5 = t4.rearrange(PAIRS_HIGH, t6);
        FloatVector u6 = t5.rearrange(PAIRS_LOW, t7), u7 = t5.rearrange(PAIRS_HIGH, t7);
        u0.rearrange(LOW_HALVES, u4).intoArray(dst, d);
        u0.rearrange(HIGH_HALVES, u4).intoArray(dst, d + ds);
        u1.rearrange(LOW_HALVES, u5).intoArray(dst, d + 2 * ds);
        u1.rearrange(HIGH_HALVES, u5).intoArray(dst, d + 3 * ds);
        u2.rearrange(LOW_HALVES, u6).intoArray(dst, d + 4 * ds);
        u2.rearrange(HIGH_HALVES, u6).intoArray(dst, d + 5 * ds);
        u3.rearrange(LOW_HALVES, u7).intoArray(dst, d + 6 * ds);
        u3.rearrange(HIGH_HALVES, u7).intoArray(dst, d + 7 * ds);
    }

    /**
     * Index vectors of the 16 x 16 transpose: at level h (1, 2, 4, 8) element (r, c) whose bits h of r and c differ
     * moves to (r ^ h, c ^ h), which after the four levels is (c, r). Row i (bit h clear) and row i + h exchange
     * through one two-vector permute each: TO_LOW (row i's new lanes: its own where the lane's bit h is clear, else
     * row i + h's lane - h) and TO_HIGH (row i + h's: row i's lane + h where bit h is clear, else its own).
     */
    private static final float[] TO_LOW = new float[4 * 16], TO_HIGH = new float[4 * 16];
    static {
        for (int level = 0; level < 4; level++)
            for (int lane = 0, h = 1 << level; lane < 16; lane++) {
                TO_LOW[level * 16 + lane] = (lane & h) == 0 ? lane : 16 + lane - h;
                TO_HIGH[level * 16 + lane] = (lane & h) == 0 ? lane + h : 16 + lane;
            }
    }

    /** A 16 x 16 scratch per thread: between the transpose's two passes. */
    private static final ThreadLocal<float[]> TILE = ThreadLocal.withInitial(() -> new float[16 * 16]);

    /**
     * The 16 x 16 floats at src (row stride ss) transposed into dst (row stride ds): levels 1 and 2 on groups of four
     * adjacent rows into the scratch, then levels 4 and 8 on rows four apart. Four rows in registers at a time
     * (a pass does two levels per load and store) ran 2.7 times as fast as the element-by-element copy on a Zen 5.
     */
    private static void transpose16(float[] src, int s, int ss, float[] dst, int d, int ds, float[] scratch) {
        twoLevels(src, s, ss, scratch, 0, 16, 0);
        twoLevels(scratch, 0, 16, dst, d, ds, 2);
    }

    /** Levels h = 2^level and 2h of the transpose, on every group of rows {i, i + h, i + 2h, i + 3h}. */
    private static void twoLevels(float[] from, int f, int fs, float[] to, int o, int os, int level) {
        int h = 1 << level;
        FloatVector low = FloatVector.fromArray(SIXTEEN, TO_LOW, level * 16);
        FloatVector high = FloatVector.fromArray(SIXTEEN, TO_HIGH, level * 16);
        FloatVector low2 = FloatVector.fromArray(SIXTEEN, TO_LOW, level * 16 + 16);
        FloatVector high2 = FloatVector.fromArray(SIXTEEN, TO_HIGH, level * 16 + 16);
        for (int i = 0; i < 16; i++) {
            if ((i & 3 * h) != 0) continue;
            FloatVector r0 = FloatVector.fromArray(SIXTEEN, from, f + i * fs);
            FloatVector r1 = FloatVector.fromArray(SIXTEEN, from, f + (i + h) * fs);
            FloatVector r2 = FloatVector.fromArray(SIXTEEN, from, f + (i + 2 * h) * fs);
            FloatVector r3 = FloatVector.fromArray(SIXTEEN, from, f + (i + 3 * h) * fs);
            FloatVector x0 = low.selectFrom(r0, r1), x1 = high.selectFrom(r0, r1);
            FloatVector x2 = low.selectFrom(r2, r3), x3 = high.selectFrom(r2, r3);
            low2.selectFrom(x0, x2).intoArray(to, o + i * os);
            high2.selectFrom(x0, x2).intoArray(to, o + (i + 2 * h) * os);
            low2.selectFrom(x1, x3).intoArray(to, o + (i + h) * os);
            high2.selectFrom(x1, x3).intoArray(to, o + (i + 3 * h) * os);
        }
    }
}
