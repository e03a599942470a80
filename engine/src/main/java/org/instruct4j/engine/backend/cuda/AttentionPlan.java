package org.instruct4j.engine.backend.cuda;

import static org.instruct4j.engine.backend.cuda.AttentionArg.*;

import java.util.ArrayList;
import java.util.List;
import org.instruct4j.engine.DType;

/**
 * Launch plans for kernels/src/attention.cu (module "attention").
 *
 * <ul>
 *   <li>BF16 with head dim 64 or 128, more than {@link #DECODE_MAX_TQ} queries: the flash kernels (tensor cores),
 *       geometry in {@link AttentionTiling}.</li>
 *   <li>F32 with head dim 32 or 64, more than {@link #DECODE_MAX_TQ} queries: the tiled F32 kernels (tiles of
 *       {@link #TILED_ROWS} rows in shared memory, plain fp32 math).</li>
 *   <li>Decode steps (Tq &lt;= {@link #DECODE_MAX_TQ}) and other head dims up to {@link #MAX_ROWS_HEAD_DIM}: the
 *       row kernels (plain fp32 math, one CTA or one warp per row).</li>
 * </ul>
 * Backward: a delta = rowsum(dO * O) pass, then a dq pass (CTA per query block) and a dk/dv pass (CTA per key
 * block). dq is computed in its own pass rather than with atomics, so the backward is deterministic and its only
 * workspace is delta ({@link #deltaBytes}).
 *
 * <p>The shapes are those of Backend.attention: q (B,H,Tq,D), k and v (B,H,Tk,D), out like q, lse F32 (B,H,Tq).
 * The CUDA backend allocates the workspace (zero-filled), binds every argument and runs the launches in order.
 */
public final class AttentionPlan {
    public static final String MODULE = "attention";
    /** Up to this many queries the forward runs the decode (row) kernel: a KV-cache step. */
    public static final int DECODE_MAX_TQ = 4;
    /** The row kernels keep D / 32 values per lane in registers, at most 8. */
    public static final int MAX_ROWS_HEAD_DIM = 256;
    /** Row kernels: warps per CTA for the forward over a long Tq, for decode, and for the backward passes. */
    static final int ROWS_WARPS = 4, DECODE_WARPS = 8, DELTA_WARPS = 8, BACKWARD_ROWS_WARPS = 4;
    /** Tiled F32 kernels: rows of a CTA's own side, and of each tile of the other side; 8 warps of 4 rows. */
    static final int TILED_ROWS = 32, TILED_THREADS = 256;

    public static final List<AttentionArg> FORWARD_ARGS = List.of(Q, K, V, OUT, LSE, START, BATCH, HEADS, TQ, TK, HEAD_DIM, SCALE);
    public static final List<AttentionArg> DELTA_ARGS = List.of(OUT, DOUT, WORKSPACE_DELTA, BATCH, HEADS, TQ, HEAD_DIM);
    public static final List<AttentionArg> DQ_ARGS =
            List.of(Q, K, V, LSE, START, DOUT, WORKSPACE_DELTA, DQ, BATCH, HEADS, TQ, TK, HEAD_DIM, SCALE);
    public static final List<AttentionArg> DKDV_ARGS =
            List.of(Q, K, V, LSE, START, DOUT, WORKSPACE_DELTA, DK, DV, BATCH, HEADS, TQ, TK, HEAD_DIM, SCALE);

    /** Whether (dtype, head dim, tq) runs the tensor-core flash kernels in the forward. */
    public static boolean usesFlashForward(DType dtype, int tq, int headDim) {
        return dtype == DType.BF16 && isFlashHeadDim(headDim) && tq > DECODE_MAX_TQ;
    }

    /** Whether (dtype, head dim) runs the tensor-core flash kernels in the backward. */
    public static boolean usesFlashBackward(DType dtype, int headDim) {
        return dtype == DType.BF16 && isFlashHeadDim(headDim);
    }

    static boolean isFlashHeadDim(int headDim) { return headDim == 64 || headDim == 128; }

    /** Whether (dtype, head dim) runs the tiled F32 kernels (the forward only for more than a decode step's rows). */
    static boolean usesTiledF32(DType dtype, int headDim) { return dtype == DType.F32 && (headDim == 32 || headDim == 64); }

    /** Shared bytes of the tiled F32 kernels: tiles of 32 rows, those read across lanes padded to D + 1 floats. */
    static int tiledSharedBytes(String pass, int headDim) {
        int plain = TILED_ROWS * headDim, padded = TILED_ROWS * (headDim + 1);
        int floats = switch (pass) {
            case "forward" -> 2 * plain + padded;          // queries, values; keys padded
            case "dq" -> 2 * plain + 2 * padded;           // queries, output gradients; keys, values padded
            case "dkdv" -> 2 * plain + 2 * padded + 2 * TILED_ROWS;   // keys, values; queries, gradients padded; lse, delta
            default -> throw new IllegalArgumentException(pass);
        };
        return floats * Float.BYTES;
    }

    public List<KernelLaunch> forward(DType dtype, int batch, int heads, int tq, int tk, int headDim) {
        check(dtype, batch, heads, tq, tk, headDim);
        if (usesFlashForward(dtype, tq, headDim)) {
            AttentionTiling t = AttentionTiling.forward(headDim);
            return List.of(launch("attention_forward_bf16_d" + headDim,
                    grid(AttentionTiling.ceilDiv(tq, t.blockM()), heads, batch), t.threads(), t.sharedBytes(), FORWARD_ARGS));
        }
        if (usesTiledF32(dtype, headDim) && tq > DECODE_MAX_TQ)
            return List.of(launch("attention_forward_f32_tiled", grid(AttentionTiling.ceilDiv(tq, TILED_ROWS), heads, batch),
                    TILED_THREADS, tiledSharedBytes("forward", headDim), FORWARD_ARGS));
        // One CTA per query row; its warps split the keys and merge their partial softmax in shared memory.
        int warps = tq <= DECODE_MAX_TQ ? DECODE_WARPS : ROWS_WARPS;
        int shared = warps * (headDim + 2) * Float.BYTES;
        return List.of(launch("attention_forward_rows_" + suffix(dtype), grid(tq, heads, batch), warps * 32, shared, FORWARD_ARGS));
    }

    public List<KernelLaunch> backward(DType dtype, int batch, int heads, int tq, int tk, int headDim) {
        check(dtype, batch, heads, tq, tk, headDim);
        List<KernelLaunch> plan = new ArrayList<>();
        long rows = (long) batch * heads * tq;
        if (rows > Integer.MAX_VALUE) throw new IllegalArgumentException("attention backward: " + rows + " rows do not fit the delta grid");
        plan.add(launch("attention_backward_delta_" + suffix(dtype),
                grid(AttentionTiling.ceilDiv((int) rows, DELTA_WARPS), 1, 1), DELTA_WARPS * 32, 0, DELTA_ARGS));
        if (usesFlashBackward(dtype, headDim)) {
            AttentionTiling dq = AttentionTiling.backwardDq(headDim), dkdv = AttentionTiling.backwardDkDv(headDim);
            plan.add(launch("attention_backward_dq_bf16_d" + headDim,
                    grid(AttentionTiling.ceilDiv(tq, dq.blockM()), heads, batch), dq.threads(), dq.sharedBytes(), DQ_ARGS));
            plan.add(launch("attention_backward_dkdv_bf16_d" + headDim,
                    grid(AttentionTiling.ceilDiv(tk, dkdv.blockN()), heads, batch), dkdv.threads(), dkdv.sharedBytes(), DKDV_ARGS));
        } else if (usesTiledF32(dtype, headDim)) {
            plan.add(launch("attention_backward_dq_f32_tiled", grid(AttentionTiling.ceilDiv(tq, TILED_ROWS), heads, batch),
                    TILED_THREADS, tiledSharedBytes("dq", headDim), DQ_ARGS));
            plan.add(launch("attention_backward_dkdv_f32_tiled", grid(AttentionTiling.ceilDiv(tk, TILED_ROWS), heads, batch),
                    TILED_THREADS, tiledSharedBytes("dkdv", headDim), DKDV_ARGS));
        } else {
            int w = BACKWARD_ROWS_WARPS;
            plan.add(launch("attention_backward_dq_rows_" + suffix(dtype),
                    grid(AttentionTiling.ceilDiv(tq, w), heads, batch), w * 32, 0, DQ_ARGS));
            plan.add(launch("attention_backward_dkdv_rows_" + suffix(dtype),
                    grid(AttentionTiling.ceilDiv(tk, w), heads, batch), w * 32, 0, DKDV_ARGS));
        }
        return List.copyOf(plan);
    }

    /** Bytes of the backward's delta workspace: one F32 per query row. */
    public static long deltaBytes(int batch, int heads, int tq) { return (long) batch * heads * tq * Float.BYTES; }

    private static void check(DType dtype, int batch, int heads, int tq, int tk, int headDim) {
        if (dtype != DType.F32 && dtype != DType.BF16)
            throw new IllegalArgumentException("attention on the GPU needs F32 or BF16 tensors, got " + dtype);
        if (batch < 1 || heads < 1 || tq < 1 || tk < 1 || headDim < 1)
            throw new IllegalArgumentException("attention: empty shape B=" + batch + " H=" + heads + " Tq=" + tq + " Tk=" + tk + " D=" + headDim);
        if (tq > tk) throw new IllegalArgumentException("attention: Tq=" + tq + " > Tk=" + tk);
        if (heads > 65535 || batch > 65535)
            throw new IllegalArgumentException("attention: grid y/z limit 65535 exceeded by H=" + heads + " or B=" + batch);
        boolean flash = dtype == DType.BF16 && isFlashHeadDim(headDim);
        if (!flash && headDim > MAX_ROWS_HEAD_DIM)
            throw new IllegalArgumentException("attention: head dim " + headDim + " is unsupported for " + dtype
                    + " on the GPU (flash kernels: BF16 with D 64 or 128; row kernels: D <= " + MAX_ROWS_HEAD_DIM + ")");
    }

    private static String suffix(DType dtype) { return dtype == DType.BF16 ? "bf16" : "f32"; }

    private static int[] grid(int x, int y, int z) { return new int[] {x, y, z}; }

    private static KernelLaunch launch(String kernel, int[] grid, int threads, int shared, List<AttentionArg> args) {
        return new KernelLaunch(MODULE, kernel, grid, new int[] {threads, 1, 1}, shared, args);
    }
}
