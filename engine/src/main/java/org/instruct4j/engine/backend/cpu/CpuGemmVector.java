package org.instruct4j.engine.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The fast GEMM path: the Goto/BLIS scheme with a Vector API micro-kernel. Loaded only when
 * {@link VectorSupport#AVAILABLE}.
 *
 * <pre>
 * for jc in n step NC:
 *   for each k chunk (as many KC blocks as fit KCHUNK floats of packed B, usually all of k):
 *     two row blocks a thread or more:
 *       pack B(chunk, jc), every KC block of it (parallel over row slices, each read as one stream)
 *       parallel over row blocks (MC rows x every NR panel):
 *         for pc in the chunk step KC:   k blocks in increasing order, each added into C
 *           pack the A block (MC x KC) when there are PACK_A_PANELS panels or more, unless A is row-major
 *           and no deeper than IN_PLACE_MAX_K (read in place)
 *           for each NR panel:           B micro-panel kc x NR lives in L1
 *             for each MR panel: micro-kernel (MR x NR accumulators in registers)
 *     fewer (a weight gradient: 96 rows over 1,536 tokens):
 *       pack all of A(chunk) once (parallel), unless it is read in place (row-major and short, or transposed
 *       and at least TRANSPOSED_IN_PLACE_MIN_K deep)
 *       parallel over equal shares of the tiles, panel after panel (whole panels where they divide evenly):
 *         for pc in the chunk step KC:
 *           pack the task's panels of B's k block, then its rows of each panel as above
 * </pre>
 *
 * A is packed where enough column panels reuse it: with one to three panels (a 96-wide model's projections)
 * packing cost as much as the multiply itself, so there the micro-kernel reads its MR rows straight from A and only
 * a ragged last row panel is copied into a zero-padded scratch; so does a row-major A of short rows, whatever the
 * panels, through a kernel whose row reads C2 checks once a loop. When the columns are split, every group reads all
 * of A, so A is packed once for all of them unless it is read in place (a weight gradient's X^T is), and each
 * group packs its own B panels a k block at a time, which it then multiplies while they are in its caches (all of B
 * packed up front went to memory and back); the tasks share the tiles out evenly even where the panels do not
 * divide among the threads (see {@code columnTasks}). Otherwise B is packed for a whole chunk of k at once so a
 * small GEMM is a few pool dispatches, not two per KC block.
 *
 * Determinism: each C element is owned by one task and gets the k blocks in increasing order, each block
 * summed by fma in increasing k; packing is a plain copy. How tasks are grouped or spread over threads does
 * not change a bit of the result.
 */
final class CpuGemmVector {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /**
     * Micro-tile: MR rows x NR columns, MR x 2 vector accumulators. 32 registers (AVX-512, 16 lanes; ARM's NEON, 4)
     * hold 12 of them; with 16 (AVX2, 8 lanes) C2 spills a 12-accumulator loop, which ran at about half the speed of 8
     * accumulators (see {@link GemmMicroKernels}). At 4 lanes 6 rows made the demo's pretraining 13% faster than 4
     * (an x86 JVM with -XX:MaxVectorSize=16, which keeps AVX-512's 32 registers; not measured on an ARM core).
     */
    static final int MR = L == 8 ? 4 : 6, NR = 2 * L;
    /** Cache blocks: A block MC x KC (96 KiB; 64 on 8 lanes) in L2, B micro-panel KC x NR (32 KiB; 16) in L1. */
    static final int KC = CpuGemm.K_BLOCK, MC = 16 * MR, NC = 64 * NR;
    /**
     * Column panels of one task from which its A block is packed: below it the kernel reads A in place (packing
     * costs as much as the multiply when only one to three panels reuse it), from it packing pays. The same for a
     * transposed A (a weight gradient's X^T) in row blocks: on an AVX2 Zen 3 the demo's pretraining step ran 1.05x
     * faster with it packed by a 4-float vector copy than read in place, whose variable k stride keeps a bounds check
     * every step (split columns read it in place: {@link #TRANSPOSED_IN_PLACE_MIN_K}).
     */
    static final int PACK_A_PANELS = 4;
    /**
     * Deepest row-major A (k, its row stride) read in place by a kernel of its own whatever the panels: its MR rows
     * at step p are {@code a[row * k + p]}, an index C2 checks once a loop, so packing it only copies. On a 2-core
     * Zen 5 the demo's products (k 96 to 384) ran 0.91-1.07x as fast one thread at 8 lanes (the attention's 30-row
     * score product the slowest) and 0.97-1.13x at 16, and the demo's steps 1.01-1.02x; up to 1,024 (the tied
     * head's input gradient) the demo's steps gained 1.02-1.04x more, and GPT-2's 768-deep products went from
     * 0.84-0.91x OpenBLAS to 0.88-0.96x. 3,072-deep rows fall in the same L1 sets (see {@link Problem#block}).
     */
    static final int IN_PLACE_MAX_K = 1024;
    /**
     * Shallowest transposed A (k, the tokens of a weight gradient's X^T) read in place when the columns are split,
     * instead of packed in a parallel call of its own before the multiply: each step's MR rows are adjacent floats.
     * Alone on a 2-core Zen 5 (both threads, the two ways in turns, the same bits) the demo's 96-row weight gradients
     * ran 1.18-1.57x as fast at 16 lanes and 0.99-1.09x at 8. The attention's dk and dv products (k, a query block's
     * 32 rows) keep their packing.
     */
    static final int TRANSPOSED_IN_PLACE_MIN_K = KC;
    /** Most floats of B packed at once (4 MiB): all of k for the small models, a few KC blocks for GPT-2. */
    static final int KCHUNK_FLOATS = 1 << 20;
    /** Packing tasks per k block of B (each copies a slice of its rows), spread over threads. */
    private static final int SLICES_PER_BLOCK = 4;

    /**
     * Rows of a kc-row block of B one packing task copies: a quarter, rounded up to 16 (whole tiles of the 16-lane
     * transpose). A 96-deep block (the demo's k) makes 3 tasks; slices of 64 rows made 2, of 64 and 32 rows.
     */
    private static int sliceRows(int kc) {
        int quarter = (kc + SLICES_PER_BLOCK - 1) / SLICES_PER_BLOCK;
        return (quarter + 15) / 16 * 16;
    }
    /** Per-matrix work (multiply-adds) below which a batch is spread over threads one matrix per task. */
    private static final long SMALL_WORK = 1L << 21;

    private CpuGemmVector() {}

    /** Per-thread buffers, reused across calls (grown on demand) so a training step allocates nothing here. */
    private static final class Workspace {
        float[] packB = new float[0], sharedA = new float[0], groupB = new float[0];
        final float[] edgeA = new float[MR * KC];
        final float[] packA = new float[MC * KC];
        final float[] tile = new float[MR * NR];
        /**
         * The product of {@link CpuGemmVector#multiply} and {@link CpuGemmVector#multiplyPacked}, set anew for each
         * call: attention makes thousands of them a step, and a new Problem (and the task lambda that captured it)
         * each was most of what a step left to the collector. Safe to reuse because those calls run to the end on
         * this thread and start no other product.
         */
        final Problem serial = new Problem();

        float[] packB(int size) {
            if (packB.length < size) packB = new float[size];
            return packB;
        }

        float[] sharedA(int size) {
            if (sharedA.length < size) sharedA = new float[size];
            return sharedA;
        }

        float[] groupB(int size) {
            if (groupB.length < size) groupB = new float[size];
            return groupB;
        }
    }

    private static final ThreadLocal<Workspace> WORKSPACE = ThreadLocal.withInitial(Workspace::new);

    /** See {@link CpuGemm#gemm}; {@code parallel} false runs everything on the calling thread. */
    static void gemm(boolean transA, boolean transB, int batch, int m, int n, int k, float alpha,
                     float[] a, int strideA, float[] b, int strideB, float beta, float[] c, int strideC,
                     boolean parallel) {
        Problem pr = new Problem().set(transA, transB, m, n, k, alpha, a, b, beta, c, null, 0);
        if (batch > 1 && (long) m * n * k <= SMALL_WORK) {
            // Many small matrices (attention heads): one whole matrix per task.
            GemmTasks.run(batch, parallel, (from, to) -> {
                for (int bi = from; bi < to; bi++)
                    pr.multiply(bi * strideA, bi * strideB, bi * strideC, false);
            });
        } else {
            for (int bi = 0; bi < batch; bi++) pr.multiply(bi * strideA, bi * strideB, bi * strideC, parallel);
        }
    }

    /**
     * One matrix on the calling thread, operands at the given offsets (row strides as in {@link CpuGemm#gemm}):
     * for kernels that multiply many small blocks inside their own parallel tasks (attention).
     */
    static void multiply(boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a, int aOff,
                         float[] b, int bOff, float beta, float[] c, int cOff) {
        if (m == 0 || n == 0) return;
        WORKSPACE.get().serial.set(transA, transB, m, n, k, alpha, a, b, beta, c, null, 0)
                .multiply(aOff, bOff, cOff, false);
    }

    /** See {@link CpuGemm#gemmBias} (k at least 1): the bias goes in with the last k block's write of each tile. */
    static void gemmBias(int m, int n, int k, float[] a, float[] b, float[] bias, float[] c, boolean parallel) {
        new Problem().set(false, false, m, n, k, 1f, a, b, 0f, c, bias, 0).multiply(0, 0, 0, parallel);
    }

    /**
     * Whether a k x n op(B) fits one packed block (one k block, one column block), so that {@link #packB} can
     * pack it once for several {@link #multiplyPacked} calls.
     */
    static boolean packsInOneBlock(int n, int k) { return k >= 1 && k <= KC && n <= NC; }

    /** Floats {@link #packB} writes for a k x n op(B): whole NR-column panels of k rows. */
    static int packedSize(int n, int k) { return (n + NR - 1) / NR * NR * k; }

    /** Packs the k x n op(B) at bOff (B stored n x k when transB) into dst, as the GEMM packs it itself. */
    static void packB(boolean transB, int n, int k, float[] b, int bOff, float[] dst) {
        GemmPacking.packB(transB, b, bOff, k, n, 0, k, 0, n, dst, NR, 0, 0, k);
    }

    /**
     * {@link #multiply} with op(B) already packed by {@link #packB} for packedRows rows (at least k; the first k of
     * each panel are used) and at least n columns (the first n are used): attention multiplies every query block by
     * a prefix of the same keys, or by the same keys' first rows. The same kernels see the same values in every kept
     * column, so the bits are those of {@link #multiply}.
     */
    static void multiplyPacked(boolean transA, int m, int n, int k, float alpha, float[] a, int aOff,
                               float[] packedB, int packedRows, float beta, float[] c, int cOff) {
        if (m == 0 || n == 0) return;
        if (packedRows < k) throw new IllegalArgumentException("B packed for " + packedRows + " rows, k=" + k);
        WORKSPACE.get().serial.set(transA, false, m, n, k, alpha, a, null, beta, c, null, packedRows)
                .blocks(aOff, cOff, packedB, 0, 0, k, 0, 0, n, false);
    }

    /**
     * One product's operands and shape, set by {@link #set} before it runs and only read while it runs. bias, when
     * not null, is added to every row of C as the last k block is written (a Linear's forward); panelRows, when not
     * 0, is how many rows each panel of an already packed B holds (more than the k used).
     */
    private static final class Problem {
        private boolean transA, transB;
        private int m, n, k, panelRows;
        private float alpha, beta;
        private float[] a, b, c, bias;

        Problem set(boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a, float[] b,
                    float beta, float[] c, float[] bias, int panelRows) {
            this.transA = transA; this.transB = transB; this.m = m; this.n = n; this.k = k; this.alpha = alpha;
            this.a = a; this.b = b; this.beta = beta; this.c = c; this.bias = bias; this.panelRows = panelRows;
            return this;
        }

        /** One matrix: C at cOff = alpha * op(A at aOff) op(B at bOff) + beta * C. */
        void multiply(int aOff, int bOff, int cOff, boolean parallel) {
            for (int jc = 0; jc < n; jc += NC) {
                int nc = Math.min(NC, n - jc), panels = (nc + NR - 1) / NR, ncPad = panels * NR;
                int chunk = Math.max(KC, KCHUNK_FLOATS / ncPad / KC * KC);
                float[] packB = splitsColumns(panels) ? null
                        : WORKSPACE.get().packB(Math.min(chunk, Math.max(k, 1)) * ncPad);
                for (int pChunk = 0; pChunk < k; pChunk += chunk) {
                    int p0 = pChunk, p1 = Math.min(k, pChunk + chunk), j0 = jc;
                    if (packB == null) {   // the columns split: each group packs its own panels of B, in its task
                        blocks(aOff, cOff, null, bOff, p0, p1, ncPad, j0, nc, parallel);
                        continue;
                    }
                    int kBlocks = (p1 - p0 + KC - 1) / KC;
                    // Packed B of the chunk: k block q (at p0 + q * KC) starts at q * KC * ncPad, its panels follow;
                    // each task packs a slice of one block's rows, every panel.
                    if (parallel) GemmTasks.run(kBlocks * SLICES_PER_BLOCK, true,
                            (from, to) -> packSlicesOfB(from, to, bOff, p0, p1, j0, nc, packB, ncPad));
                    else packSlicesOfB(0, kBlocks * SLICES_PER_BLOCK, bOff, p0, p1, j0, nc, packB, ncPad);
                    blocks(aOff, cOff, packB, bOff, p0, p1, ncPad, j0, nc, parallel);
                }
            }
            if (k == 0) CpuGemmPlain.scaleOnly(m, n, beta, c, cOff);
        }

        /** Packing tasks [from, to) of B's k range [p0, p1), columns [j0, j0 + nc): each a slice of a block's rows. */
        private void packSlicesOfB(int from, int to, int bOff, int p0, int p1, int j0, int nc, float[] packB,
                                   int ncPad) {
            for (int t = from; t < to; t++) {
                int q = t / SLICES_PER_BLOCK, pc = p0 + q * KC, kc = Math.min(KC, p1 - pc);
                int slice = sliceRows(kc), rowFrom = t % SLICES_PER_BLOCK * slice;
                if (rowFrom < kc)
                    GemmPacking.packB(transB, b, bOff, k, n, pc, kc, j0, nc, packB, NR, q * KC * ncPad, rowFrom,
                            Math.min(kc, rowFrom + slice));
            }
        }

        /**
         * Whether the columns are split into groups, each a task over all rows: with fewer than two row blocks a
         * thread (small m, a weight gradient's 96 rows), so that every thread has work. From two a thread the row
         * blocks balance well enough alone, and each task packs its A block by block in its own L2; a split packs all
         * of A up front, which made the demo's fc2 weight gradient (384 rows, 1,536 tokens) 1.2x slower at 8 lanes
         * and 1.6x at 16.
         */
        private boolean splitsColumns(int panels) {
            return panels > 1 && (m + MC - 1) / MC < 2 * Parallel.THREADS;
        }

        /**
         * Every C block of columns [j0, j0 + nc) for the k range [p0, p1): B packed in packB (k block q at
         * q * KC * ncPad), or, when packB is null, packed by each column group's task as it goes, a k block of its
         * own panels at a time (from b at bOff), so that the panels it multiplies are still in its caches. Serial
         * calls (attention's small products) run the tasks' loop directly: a lambda capturing it, thousands a step,
         * was garbage C2 did not keep off the heap.
         */
        void blocks(int aOff, int cOff, float[] packB, int bOff, int p0, int p1, int ncPad, int j0, int nc,
                    boolean parallel) {
            int rowBlocks = (m + MC - 1) / MC, panels = (nc + NR - 1) / NR;
            if (!splitsColumns(panels)) {
                if (parallel) GemmTasks.run(rowBlocks, true,
                        (from, to) -> rowBlocks(from, to, aOff, cOff, packB, p0, p1, ncPad, j0, nc));
                else rowBlocks(0, rowBlocks, aOff, cOff, packB, p0, p1, ncPad, j0, nc);
                return;
            }
            // Every task reads all of A: pack the chunk's A once for all of them.
            int mPad = (m + MR - 1) / MR * MR, rowPanels = mPad / MR, tasks = columnTasks(panels);
            boolean inPlace = readsRowsInPlace() || transA && k >= TRANSPOSED_IN_PLACE_MIN_K;
            float[] sharedA = inPlace ? null : packAllOfA(aOff, p0, p1, mPad, parallel);
            if (parallel) GemmTasks.run(tasks, true, (from, to) -> columnShares(from, to, tasks, rowPanels, mPad,
                    sharedA, aOff, cOff, packB, bOff, p0, p1, ncPad, j0, nc));
            else columnShares(0, tasks, tasks, rowPanels, mPad, sharedA, aOff, cOff, packB, bOff, p0, p1, ncPad, j0,
                    nc);
        }

        /** Row blocks [from, to) of MC rows, every panel of columns [j0, j0 + nc), for the k range [p0, p1). */
        private void rowBlocks(int from, int to, int aOff, int cOff, float[] packB, int p0, int p1, int ncPad, int j0,
                               int nc) {
            Workspace ws = WORKSPACE.get();
            int panels = (nc + NR - 1) / NR;
            for (int t = from; t < to; t++)
                for (int pc = p0; pc < p1; pc += KC)
                    block(ws, aOff, cOff, packB, (pc - p0) * ncPad, null, 0, t * MC, Math.min(MC, m - t * MC), pc,
                            Math.min(KC, p1 - pc), j0, nc, 0, panels, pc == 0 ? beta : 1f);
        }

        /**
         * Tasks [from, to) of {@code tasks} equal shares of the MR x NR tiles, panel after panel, for the k range
         * [p0, p1): A from sharedA (all of it packed, or null when read in place), B from packB or, when null,
         * packed by each task a k block of its own panels at a time.
         */
        private void columnShares(int from, int to, int tasks, int rowPanels, int mPad, float[] sharedA, int aOff,
                                  int cOff, float[] packB, int bOff, int p0, int p1, int ncPad, int j0, int nc) {
            long work = (long) (nc + NR - 1) / NR * rowPanels;   // MR x NR tiles, panel after panel
            Workspace ws = WORKSPACE.get();
            for (int t = from; t < to; t++) {
                int u0 = (int) (work * t / tasks), u1 = (int) (work * (t + 1) / tasks);
                if (u0 == u1) continue;   // more threads than tiles
                int jpFrom = u0 / rowPanels, jpTo = (u1 - 1) / rowPanels + 1;
                for (int pc = p0; pc < p1; pc += KC) {
                    float betaHere = pc == 0 ? beta : 1f;   // later k blocks add to what the first wrote
                    int kc = Math.min(KC, p1 - pc);
                    float[] panelsB = packB;
                    int bBase = (pc - p0) * ncPad;
                    if (packB == null) {   // this task's panels of k block pc, the first at 0
                        int cols = Math.min(nc, jpTo * NR) - jpFrom * NR;
                        panelsB = ws.groupB((jpTo - jpFrom) * NR * kc);
                        GemmPacking.packB(transB, b, bOff, k, n, pc, kc, j0 + jpFrom * NR, cols, panelsB, NR,
                                0, 0, kc);
                        bBase = -jpFrom * NR * kc;   // block() finds panel jp at bBase + jp * NR * kc
                    }
                    for (int jp = jpFrom; jp < jpTo; jp++) {
                        int ic = jp == jpFrom ? u0 % rowPanels * MR : 0;
                        int icEnd = jp == jpTo - 1 ? Math.min(m, ((u1 - 1) % rowPanels + 1) * MR) : m;
                        block(ws, aOff, cOff, panelsB, bBase, sharedA, (pc - p0) * mPad + ic * kc, ic, icEnd - ic,
                                pc, kc, j0, nc, jp, jp + 1, betaHere);
                    }
                }
            }
        }

        /**
         * Tasks for a product whose columns split: each an equal share of the MR x NR tiles, panel after panel. Where
         * the panels divide among the threads, each task holds whole panels (as many tasks as fit 4 a thread, so a
         * thread held up by the machine leaves work to the other); otherwise one task a thread, two of them sharing a
         * panel's rows, so that 9 panels on 2 threads run as 4.5 and 4.5 (as 9 whole tasks: 5 and 4, 3 panels: 2 and
         * 1). A panel split between two tasks has its k blocks of B packed by each: a ninth more packing for the qkv
         * weight gradient, against a tenth of its time idle.
         */
        private static int columnTasks(int panels) {
            int threads = Parallel.THREADS;
            if (panels % threads != 0) return threads;
            int tasks = threads;
            for (int t = threads; t <= Math.min(panels, 4 * threads); t += threads)
                if (panels % t == 0) tasks = t;
            return tasks;
        }

        /**
         * All rows of A for the k range [p0, p1), packed: k block q (at p0 + q * KC) starts at q * KC * mPad, the
         * panel of row i at i * kc inside it. In the calling thread's workspace; the tasks only read it.
         */
        private float[] packAllOfA(int aOff, int p0, int p1, int mPad, boolean parallel) {
            float[] packed = WORKSPACE.get().sharedA(mPad * (p1 - p0));
            int tasks = (m + MC - 1) / MC * ((p1 - p0 + KC - 1) / KC);
            if (parallel) GemmTasks.run(tasks, true, (from, to) -> packBlocksOfA(from, to, aOff, p0, p1, mPad, packed));
            else packBlocksOfA(0, tasks, aOff, p0, p1, mPad, packed);
            return packed;
        }

        /** Packing tasks [from, to) of {@link #packAllOfA}: each one MC x KC block of A. */
        private void packBlocksOfA(int from, int to, int aOff, int p0, int p1, int mPad, float[] packed) {
            int rowBlocks = (m + MC - 1) / MC;
            for (int t = from; t < to; t++) {
                int pc = p0 + t / rowBlocks * KC, ic = t % rowBlocks * MC, kc = Math.min(KC, p1 - pc);
                GemmPacking.packA(transA, a, aOff, m, k, ic, Math.min(MC, m - ic), pc, kc, packed,
                        (pc - p0) * mPad + ic * kc, MR);
            }
        }

        /** Whether A is read in place rather than packed (see {@link #IN_PLACE_MAX_K}). */
        private boolean readsRowsInPlace() {
            return !transA && k <= IN_PLACE_MAX_K;
        }

        /**
         * C rows [ic, ic + mc) x panels [jpFrom, jpTo) of the packed B block at bBase, for one k block; A from
         * sharedA at sharedBase when the caller packed it, else packed here or read in place.
         */
        private void block(Workspace ws, int aOff, int cOff, float[] packB, int bBase, float[] sharedA,
                           int sharedBase, int ic, int mc, int p0, int kc, int j0, int nc, int jpFrom, int jpTo,
                           float betaHere) {
            int fullRows = mc / MR * MR;
            // A packed reads as one stream; in place, its MR rows are MR streams a row stride apart, which on a
            // 16-lane machine ran 20-25% slower at GPT-2's shapes (a 3072-deep row is 12 KiB: the rows of a block
            // fall in the same L1 sets and evict the B micro-panel).
            boolean packedA = sharedA != null || jpTo - jpFrom >= PACK_A_PANELS && !readsRowsInPlace();
            float[] pa = sharedA != null ? sharedA : ws.packA;
            int paBase = sharedA != null ? sharedBase : 0;
            if (sharedA == null && packedA) GemmPacking.packA(transA, a, aOff, m, k, ic, mc, p0, kc, pa, 0, MR);
            else if (!packedA && fullRows < mc)
                GemmPacking.packA(transA, a, aOff, m, k, ic + fullRows, mc - fullRows, p0, kc, ws.edgeA, 0, MR);
            float[] tile = ws.tile;
            float[] addBias = bias != null && p0 + kc == k ? bias : null;   // with the last k block only
            for (int jp = jpFrom; jp < jpTo; jp++) {
                int j = jp * NR, cols = Math.min(NR, nc - j), bi = bBase + j * (panelRows > 0 ? panelRows : kc);
                for (int ir = 0; ir < mc; ir += MR) {
                    int rows = Math.min(MR, mc - ir), ci = cOff + (ic + ir) * n + j0 + j;
                    // What every op's product is (alpha 1, beta 0) while k fits one block: the accumulators go
                    // straight into C, skipping the tile round trip (same values, alpha * x + 0 is x).
                    boolean direct = rows == MR && cols == NR && alpha == 1f && betaHere == 0f;
                    float[] out = direct ? c : tile;
                    int oi = direct ? ci : 0, ldo = direct ? n : NR;
                    if (packedA) kernelPacked(kc, pa, paBase + ir * kc, packB, bi, out, oi, ldo);
                    else if (rows == MR && !transA)
                        kernelRowMajor(kc, a, aOff + (ic + ir) * k + p0, k, packB, bi, out, oi, ldo);
                    else if (rows == MR) kernelTransposed(kc, a, aOff + p0 * m + ic + ir, m, packB, bi, out, oi, ldo);
                    else kernelPacked(kc, ws.edgeA, 0, packB, bi, out, oi, ldo);
                    if (direct) {
                        if (addBias != null) addBias(c, ci, n, addBias, j0 + j);
                        continue;
                    }
                    if (rows == MR && cols == NR) writeBack(tile, c, ci, n, alpha, betaHere, addBias, j0 + j);
                    else writeBackEdge(tile, rows, cols, c, ci, n, alpha, betaHere, addBias, j0 + j);
                }
            }
        }
    }

    /** The MR-row micro-kernel on a transposed A in place (row r at step p is {@code ap[ai + p * ks + r]}). */
    private static void kernelTransposed(int kc, float[] ap, int ai, int ks, float[] bp, int bi, float[] out, int oi,
                                         int ldo) {
        if (MR == 6) GemmMicroKernels.rows6Transposed(kc, ap, ai, ks, bp, bi, out, oi, ldo);
        else GemmMicroKernels.rows4Transposed(kc, ap, ai, ks, bp, bi, out, oi, ldo);
    }

    /** The MR-row micro-kernel on a row-major A in place (row r at step p is {@code ap[ai + r * rs + p]}). */
    private static void kernelRowMajor(int kc, float[] ap, int ai, int rs, float[] bp, int bi, float[] out, int oi,
                                       int ldo) {
        if (MR == 6) GemmMicroKernels.rows6RowMajor(kc, ap, ai, rs, bp, bi, out, oi, ldo);
        else GemmMicroKernels.rows4RowMajor(kc, ap, ai, rs, bp, bi, out, oi, ldo);
    }

    /** The MR-row micro-kernel on a packed A panel (row r at step p is {@code ap[ai + p * MR + r]}). */
    private static void kernelPacked(int kc, float[] ap, int ai, float[] bp, int bi, float[] out, int oi, int ldo) {
        if (MR == 6) GemmMicroKernels.rows6Packed(kc, ap, ai, bp, bi, out, oi, ldo);
        else GemmMicroKernels.rows4Packed(kc, ap, ai, bp, bi, out, oi, ldo);
    }

    /**
     * A full tile: c = alpha * tile + beta * c, a vector at a time (c is not read when beta is 0), then + bias[bo + col]
     * when bias is not null.
     */
    private static void writeBack(float[] tile, float[] c, int ci, int ldc, float alpha, float beta, float[] bias,
                                  int bo) {
        for (int r = 0; r < MR; r++)
            for (int q = 0; q < NR; q += L) {
                FloatVector v = FloatVector.fromArray(S, tile, r * NR + q).mul(alpha);
                int at = ci + r * ldc + q;
                if (beta != 0f) v = v.add(FloatVector.fromArray(S, c, at).mul(beta));
                if (bias != null) v = v.add(FloatVector.fromArray(S, bias, bo + q));
                v.intoArray(c, at);
            }
    }

    /** A ragged tile: the same arithmetic, element by element, on its valid rows x cols. */
    private static void writeBackEdge(float[] tile, int rows, int cols, float[] c, int ci, int ldc, float alpha,
                                      float beta, float[] bias, int bo) {
        for (int r = 0; r < rows; r++)
            for (int q = 0; q < cols; q++) {
                int at = ci + r * ldc + q;
                float v = alpha * tile[r * NR + q];
                v = beta == 0f ? v : v + beta * c[at];
                c[at] = bias == null ? v : v + bias[bo + q];
            }
    }

    /** bias[bo + col] added to a full tile the micro-kernel wrote straight into C (still in L1). */
    private static void addBias(float[] c, int ci, int ldc, float[] bias, int bo) {
        for (int q = 0; q < NR; q += L) {
            FloatVector b = FloatVector.fromArray(S, bias, bo + q);
            for (int r = 0; r < MR; r++) {
                int at = ci + r * ldc + q;
                FloatVector.fromArray(S, c, at).add(b).intoArray(c, at);
            }
        }
    }
}
