package org.instruct4j.engine.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The fast GEMM path: the Goto/BLIS scheme with a Vector API micro-kernel. Loaded only when
 * {@link VectorSupport#AVAILABLE}.
 *
 * <pre>
 * for jc in n step NC:                 B block kc x nc lives in L3 (packed once, shared by all threads)
 *   for pc in k step KC:               k blocks in increasing order, each added into C
 *     pack B(pc, jc)
 *     parallel over C blocks (MC rows x a group of NR panels):
 *       pack A(ic, pc)                 A block mc x kc lives in L2 (one per thread)
 *       for each NR panel:             B micro-panel kc x NR lives in L1
 *         for each MR panel: micro-kernel, MR x NR accumulators in registers
 * </pre>
 *
 * Determinism: each C element is owned by one task and gets the k blocks in increasing order, each block
 * summed by fma in increasing k; packing is a plain copy. How tasks are grouped or spread over threads does
 * not change a bit of the result.
 */
final class CpuGemmVector {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Micro-tile: MR rows x NR columns, 12 accumulators (of 16 AVX2 registers) on 8-lane vectors. */
    static final int MR = 6, NR = 2 * L;
    /** Cache blocks: A block MC x KC (96 KiB) in L2, B micro-panel KC x NR (16 KiB) in L1. */
    static final int KC = 256, MC = 16 * MR, NC = 64 * NR;
    /** Per-matrix work (multiply-adds) below which a batch is spread over threads one matrix per task. */
    private static final long SMALL_WORK = 1L << 21;

    private CpuGemmVector() {}

    /** Per-thread packing buffers, reused across calls so a training step allocates nothing here. */
    private static final class Workspace {
        final float[] packA = new float[MC * KC];
        final float[] packB = new float[KC * NC];
        final float[] tile = new float[MR * NR];
    }

    private static final ThreadLocal<Workspace> WORKSPACE = ThreadLocal.withInitial(Workspace::new);

    /** See {@link CpuGemm#gemm}; {@code parallel} false runs everything on the calling thread. */
    static void gemm(boolean transA, boolean transB, int batch, int m, int n, int k, float alpha,
                     float[] a, int strideA, float[] b, int strideB, float beta, float[] c, int strideC,
                     boolean parallel) {
        Problem pr = new Problem(transA, transB, m, n, k, alpha, a, b, beta, c);
        if (batch > 1 && (long) m * n * k <= SMALL_WORK) {
            // Many small matrices (attention heads): one whole matrix per task.
            GemmTasks.run(batch, 1, parallel, (from, to) -> {
                for (int bi = from; bi < to; bi++)
                    pr.multiply(bi * strideA, bi * strideB, bi * strideC, false);
            });
        } else {
            for (int bi = 0; bi < batch; bi++) pr.multiply(bi * strideA, bi * strideB, bi * strideC, parallel);
        }
    }

    private record Problem(boolean transA, boolean transB, int m, int n, int k, float alpha,
                           float[] a, float[] b, float beta, float[] c) {

        /** One matrix: C at cOff = alpha * op(A at aOff) op(B at bOff) + beta * C. */
        void multiply(int aOff, int bOff, int cOff, boolean parallel) {
            float[] packB = WORKSPACE.get().packB;
            int rowBlocks = (m + MC - 1) / MC;
            for (int jc = 0; jc < n; jc += NC) {
                int nc = Math.min(NC, n - jc), panels = (nc + NR - 1) / NR;
                // With few row blocks (small m), split the columns too so every thread has work.
                int groups = Math.min(panels, Math.max(1, (4 * Parallel.THREADS + rowBlocks - 1) / rowBlocks));
                int panelsPerGroup = (panels + groups - 1) / groups;
                int groupCount = (panels + panelsPerGroup - 1) / panelsPerGroup;
                for (int pc = 0; pc < k; pc += KC) {
                    int kc = Math.min(KC, k - pc), p0 = pc, j0 = jc;
                    float betaHere = pc == 0 ? beta : 1f;   // later k blocks add to what the first wrote
                    GemmTasks.run(panels, 8, parallel, (from, to) ->
                            GemmPacking.packB(transB, b, bOff, k, n, p0, kc, j0, nc, packB, NR, from, to));
                    GemmTasks.run(rowBlocks * groupCount, 1, parallel, (from, to) -> {
                        Workspace ws = WORKSPACE.get();
                        for (int t = from; t < to; t++) {
                            int ic = (t / groupCount) * MC, g = t % groupCount;
                            int jpFrom = g * panelsPerGroup, jpTo = Math.min(panels, jpFrom + panelsPerGroup);
                            block(ws, aOff, cOff, packB, ic, Math.min(MC, m - ic), p0, kc, j0, nc, jpFrom, jpTo,
                                    betaHere);
                        }
                    });
                }
            }
            if (k == 0) CpuGemmPlain.scaleOnly(m, n, beta, c, cOff);
        }

        /** C rows [ic, ic + mc) x panels [jpFrom, jpTo) of the packed B block, for one k block. */
        private void block(Workspace ws, int aOff, int cOff, float[] packB, int ic, int mc, int p0, int kc,
                           int j0, int nc, int jpFrom, int jpTo, float betaHere) {
            float[] packA = ws.packA;
            GemmPacking.packA(transA, a, aOff, m, k, ic, mc, p0, kc, packA, MR);
            float[] tile = ws.tile;
            for (int jp = jpFrom; jp < jpTo; jp++) {
                int j = jp * NR, cols = Math.min(NR, nc - j);
                for (int ir = 0; ir < mc; ir += MR) {
                    int rows = Math.min(MR, mc - ir), ci = cOff + (ic + ir) * n + j0 + j;
                    kernel(kc, packA, ir * kc, packB, j * kc, tile);
                    if (rows == MR && cols == NR) writeBack(tile, c, ci, n, alpha, betaHere);
                    else writeBackEdge(tile, rows, cols, c, ci, n, alpha, betaHere);
                }
            }
        }
    }

    /**
     * The micro-kernel: a 6 x 16 tile of op(A) op(B) accumulated over kc steps, each step one broadcast of A
     * per row and two vector loads of B feeding 12 fma, written raw to {@code tile} (MR x NR, row-major).
     * The scaling into C is done separately: C2 gives up inlining (and then boxes the vectors) when the
     * kernel also carries the alpha/beta arithmetic.
     */
    static void kernel(int kc, float[] ap, int ai, float[] bp, int bi, float[] tile) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
        FloatVector c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
        for (int p = 0; p < kc; p++) {
            int a = ai + p * MR, b = bi + p * NR;
            FloatVector b0 = FloatVector.fromArray(S, bp, b), b1 = FloatVector.fromArray(S, bp, b + L);
            FloatVector x = FloatVector.broadcast(S, ap[a]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, ap[a + 1]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, ap[a + 2]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, ap[a + 3]);
            c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, ap[a + 4]);
            c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, ap[a + 5]);
            c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
        }
        c00.intoArray(tile, 0); c01.intoArray(tile, L);
        c10.intoArray(tile, NR); c11.intoArray(tile, NR + L);
        c20.intoArray(tile, 2 * NR); c21.intoArray(tile, 2 * NR + L);
        c30.intoArray(tile, 3 * NR); c31.intoArray(tile, 3 * NR + L);
        c40.intoArray(tile, 4 * NR); c41.intoArray(tile, 4 * NR + L);
        c50.intoArray(tile, 5 * NR); c51.intoArray(tile, 5 * NR + L);
    }

    /** A full tile: c = alpha * tile + beta * c, a vector at a time (c is not read when beta is 0). */
    private static void writeBack(float[] tile, float[] c, int ci, int ldc, float alpha, float beta) {
        for (int r = 0; r < MR; r++)
            for (int q = 0; q < NR; q += L) {
                FloatVector v = FloatVector.fromArray(S, tile, r * NR + q).mul(alpha);
                int at = ci + r * ldc + q;
                if (beta != 0f) v = v.add(FloatVector.fromArray(S, c, at).mul(beta));
                v.intoArray(c, at);
            }
    }

    /** A ragged tile: the same arithmetic, element by element, on its valid rows x cols. */
    private static void writeBackEdge(float[] tile, int rows, int cols, float[] c, int ci, int ldc, float alpha,
                                      float beta) {
        for (int r = 0; r < rows; r++)
            for (int q = 0; q < cols; q++) {
                int at = ci + r * ldc + q;
                float v = alpha * tile[r * NR + q];
                c[at] = beta == 0f ? v : v + beta * c[at];
            }
    }
}
