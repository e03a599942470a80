package org.instruct4j.engine.backend.cuda;

import java.util.List;
import org.instruct4j.engine.DType;

/**
 * Every kernel launch of the CUDA backend but attention's (those are planned by AttentionPlan), as data: which
 * kernel, its grid and block, and its arguments in the kernel's parameter order. Each method's Java parameter types
 * fix the argument widths (CudaBuffer and long: 8 bytes; int and float: 4), and the kernel's storage type comes from
 * its main buffer. Pure Java, so LaunchContractTest checks each launch against the compiled kernels' parameter lists
 * without a GPU.
 *
 * <p>Shapes: elementwise kernels are grid-stride loops of 256 threads on at most 8192 blocks; per-row kernels have
 * one block of 256 threads per row. A launch over nothing has an empty grid and is skipped.
 */
final class Launches {
    static final int THREADS = 256;
    static final int MAX_BLOCKS = 8192;

    private Launches() {}

    static String suffix(DType dtype) {
        return switch (dtype) {
            case F32 -> "f32";
            case BF16 -> "bf16";
            case I32 -> throw new IllegalArgumentException("a floating kernel got an I32 buffer");
        };
    }

    /** "b16" or "b32": kernels that only move elements care about their width alone. */
    private static String width(CudaBuffer b) { return b.dtype().bytes() == 2 ? "b16" : "b32"; }

    private static KernelLaunch launch(String module, String kernel, int[] grid, int[] block, int sharedBytes, Object... args) {
        return new KernelLaunch(module, kernel, grid, block, sharedBytes, List.of(args));
    }

    /** A grid-stride loop over n elements. */
    private static KernelLaunch flat(String module, String kernel, long n, Object... args) {
        int blocks = n <= 0 ? 0 : (int) Math.min(MAX_BLOCKS, (n + THREADS - 1) / THREADS);
        return launch(module, kernel, new int[] {blocks, 1, 1}, new int[] {THREADS, 1, 1}, 0, args);
    }

    /** One block per row. */
    private static KernelLaunch rows(String module, String kernel, int rows, Object... args) {
        return launch(module, kernel, new int[] {Math.max(0, rows), 1, 1}, new int[] {THREADS, 1, 1}, 0, args);
    }

    // ---- elementwise.cu -----------------------------------------------------------------------------------

    static KernelLaunch fill(CudaBuffer out, float value, long n) {
        if (out.dtype() == DType.I32) return flat("elementwise", "fill_i32", n, out, (int) value, n);
        return flat("elementwise", "fill_" + suffix(out.dtype()), n, out, value, n);
    }

    static KernelLaunch convert(CudaBuffer src, CudaBuffer dst, long n) {
        return flat("elementwise", src.dtype() == DType.F32 ? "convert_f32_to_bf16" : "convert_bf16_to_f32", n, src, dst, n);
    }

    static KernelLaunch copyBlock(CudaBuffer src, long srcOffset, long srcStride, CudaBuffer dst, long dstOffset,
                                  long dstStride, long rows, long cols) {
        return flat("elementwise", "copy_block_" + width(src), rows * cols, src, srcOffset, srcStride, dst, dstOffset,
                dstStride, rows, cols);
    }

    static KernelLaunch transpose12(CudaBuffer x, CudaBuffer out, int d0, int d1, int d2, int d3) {
        return flat("elementwise", "transpose12_" + width(x), (long) d0 * d1 * d2 * d3, x, out, d0, d1, d2, d3);
    }

    static KernelLaunch add(CudaBuffer a, CudaBuffer b, CudaBuffer out, long n, long period) {
        return flat("elementwise", "add_" + suffix(a.dtype()), n, a, b, out, n, period);
    }

    static KernelLaunch mul(CudaBuffer a, CudaBuffer b, CudaBuffer out, long n, long period) {
        return flat("elementwise", "mul_" + suffix(a.dtype()), n, a, b, out, n, period);
    }

    /** out = alpha x + beta y; y null means beta y is left out (a null pointer for the kernel). */
    static KernelLaunch axpby(float alpha, CudaBuffer x, float beta, CudaBuffer y, CudaBuffer out, long n) {
        return flat("elementwise", "axpby_" + suffix(x.dtype()), n, alpha, x, y == null ? 0f : beta, y == null ? (Object) 0L : y, out, n);
    }

    static KernelLaunch dropout(CudaBuffer x, CudaBuffer out, long n, float p, long seed) {
        return flat("elementwise", "dropout_" + suffix(x.dtype()), n, x, out, n, p, seed);
    }

    // ---- reduce.cu ----------------------------------------------------------------------------------------

    /** The first pass of a full sum: blocks partial sums (of squares when squares) into F32. */
    static KernelLaunch sumPartial(CudaBuffer x, CudaBuffer partial, long n, boolean squares, int blocks) {
        return launch("reduce", "sum_partial_" + suffix(x.dtype()), new int[] {blocks, 1, 1}, new int[] {THREADS, 1, 1}, 0,
                x, partial, n, squares ? 1 : 0);
    }

    static KernelLaunch sumFinal(CudaBuffer partial, int blocks, CudaBuffer out) {
        return launch("reduce", "sum_final_" + suffix(out.dtype()), new int[] {1, 1, 1}, new int[] {THREADS, 1, 1}, 0,
                partial, blocks, out);
    }

    /** Column sums of chunks of rowsPerChunk rows: 32 x 8 threads per block, a block per 32 columns and chunk. */
    static KernelLaunch sumRowsPartial(CudaBuffer x, CudaBuffer partial, long rows, int cols, int rowsPerChunk, int chunks) {
        return launch("reduce", "sum_rows_partial_" + suffix(x.dtype()), new int[] {(cols + 31) / 32, chunks, 1},
                new int[] {32, 8, 1}, 0, x, partial, rows, cols, rowsPerChunk);
    }

    static KernelLaunch sumRowsFinal(CudaBuffer partial, int chunks, int cols, CudaBuffer out) {
        return launch("reduce", "sum_rows_final_" + suffix(out.dtype()), new int[] {(cols + THREADS - 1) / THREADS, 1, 1},
                new int[] {THREADS, 1, 1}, 0, partial, chunks, cols, out);
    }

    static KernelLaunch broadcastScalar(CudaBuffer scalar, float factor, CudaBuffer out, long n) {
        return flat("reduce", "broadcast_scalar_" + suffix(out.dtype()), n, scalar, factor, out, n);
    }

    // ---- gelu.cu, softmax.cu --------------------------------------------------------------------------------

    static KernelLaunch gelu(CudaBuffer x, CudaBuffer out, long n) {
        return flat("gelu", "gelu_forward_" + suffix(x.dtype()), n, x, out, n);
    }

    static KernelLaunch geluBackward(CudaBuffer x, CudaBuffer dout, CudaBuffer dx, long n) {
        return flat("gelu", "gelu_backward_" + suffix(x.dtype()), n, x, dout, dx, n);
    }

    static KernelLaunch softmax(CudaBuffer x, CudaBuffer out, int rows, int cols) {
        return rows("softmax", "softmax_forward_" + suffix(x.dtype()), rows, x, out, rows, cols);
    }

    static KernelLaunch softmaxBackward(CudaBuffer y, CudaBuffer dy, CudaBuffer dx, int rows, int cols) {
        return rows("softmax", "softmax_backward_" + suffix(y.dtype()), rows, y, dy, dx, rows, cols);
    }

    // ---- layernorm.cu -------------------------------------------------------------------------------------

    static KernelLaunch layerNorm(CudaBuffer x, CudaBuffer w, CudaBuffer b, CudaBuffer out, CudaBuffer mean, CudaBuffer rstd,
                                  int rows, int cols, float eps) {
        return rows("layernorm", "layernorm_forward_" + suffix(x.dtype()), rows, x, w, b, out, mean, rstd, rows, cols, eps);
    }

    /** The backward's dynamic shared memory: a dweight and a dbias accumulator per column, F32. */
    static int layerNormBackwardSharedBytes(int cols) { return 2 * cols * Float.BYTES; }

    /** dx, and per chunk of rowsPerChunk rows the partial dweight and dbias (F32, chunks x cols each). */
    static KernelLaunch layerNormBackward(CudaBuffer dout, CudaBuffer x, CudaBuffer w, CudaBuffer mean, CudaBuffer rstd,
                                          CudaBuffer dx, CudaBuffer partialDw, CudaBuffer partialDb, int rows, int cols,
                                          int chunks, int rowsPerChunk) {
        return launch("layernorm", "layernorm_backward_" + suffix(x.dtype()), new int[] {chunks, 1, 1}, new int[] {THREADS, 1, 1},
                layerNormBackwardSharedBytes(cols), dout, x, w, mean, rstd, dx, partialDw, partialDb, rows, cols, rowsPerChunk);
    }

    static KernelLaunch layerNormBackwardFinish(CudaBuffer partialDw, CudaBuffer partialDb, CudaBuffer dw, CudaBuffer db,
                                                int chunks, int cols) {
        return launch("layernorm", "layernorm_backward_finish_" + suffix(dw.dtype()), new int[] {(cols + THREADS - 1) / THREADS, 1, 1},
                new int[] {THREADS, 1, 1}, 0, partialDw, partialDb, dw, db, chunks, cols);
    }

    // ---- embedding.cu, crossentropy.cu ----------------------------------------------------------------------

    static KernelLaunch embedding(CudaBuffer table, CudaBuffer ids, CudaBuffer out, int n, int dim, int vocab) {
        return flat("embedding", "embedding_forward_" + suffix(table.dtype()), (long) n * dim, table, ids, out, n, dim, vocab);
    }

    /** One block per table row that some id hits (EmbeddingBuckets), adding its positions' gradients in order. */
    static KernelLaunch embeddingBackward(CudaBuffer dout, CudaBuffer positions, CudaBuffer bucketStart, CudaBuffer bucketId,
                                          CudaBuffer dtable, int dim, int buckets) {
        return launch("embedding", "embedding_backward_" + suffix(dout.dtype()), new int[] {buckets, 1, 1}, new int[] {THREADS, 1, 1},
                0, dout, positions, bucketStart, bucketId, dtable, dim);
    }

    static KernelLaunch crossEntropy(CudaBuffer logits, CudaBuffer targets, CudaBuffer loss, CudaBuffer lse, int rows, int vocab) {
        return rows("crossentropy", "crossentropy_forward_" + suffix(logits.dtype()), rows, logits, targets, loss, lse, rows, vocab);
    }

    static KernelLaunch crossEntropyBackward(CudaBuffer logits, CudaBuffer targets, CudaBuffer lse, CudaBuffer dloss,
                                             CudaBuffer dlogits, int rows, int vocab) {
        return rows("crossentropy", "crossentropy_backward_" + suffix(logits.dtype()), rows, logits, targets, lse, dloss, dlogits,
                rows, vocab);
    }

    // ---- adamw.cu -----------------------------------------------------------------------------------------

    /** One AdamW step's scalars: the bias corrections bc1 = 1 - beta1^t and bc2 = 1 - beta2^t come from the host. */
    record AdamWStep(float lr, float beta1, float beta2, float eps, float weightDecay, float bc1, float bc2, float gradScale) {}

    /** An F32 parameter updated in place. */
    static KernelLaunch adamw(CudaBuffer param, CudaBuffer grad, CudaBuffer m, CudaBuffer v, long n, AdamWStep s) {
        return flat("adamw", "adamw_f32", n, param, grad, m, v, n, s.lr(), s.beta1(), s.beta2(), s.eps(), s.weightDecay(),
                s.bc1(), s.bc2(), s.gradScale());
    }

    /** A BF16 parameter: its F32 master weight carries the update, the parameter gets the rounding. */
    static KernelLaunch adamwMaster(CudaBuffer master, CudaBuffer param, CudaBuffer grad, CudaBuffer m, CudaBuffer v, long n,
                                    AdamWStep s) {
        return flat("adamw", "adamw_bf16", n, master, param, grad, m, v, n, s.lr(), s.beta1(), s.beta2(), s.eps(),
                s.weightDecay(), s.bc1(), s.bc2(), s.gradScale());
    }
}
