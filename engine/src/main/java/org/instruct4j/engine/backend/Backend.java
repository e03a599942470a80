package org.instruct4j.engine.backend;

import org.instruct4j.engine.DType;
import org.instruct4j.engine.Device;

/**
 * The kernel-level primitives every backend implements, and all the engine's ops are made of.
 *
 * <p>Conventions: tensors are contiguous and row-major; buffers hold F32 unless a parameter says I32 (token
 * ids, targets) or the backend stores BF16 (CUDA); offsets and strides count elements; a primitive writes its
 * outputs (it never accumulates) unless its name or a parameter says so. Shapes are checked by the ops above,
 * so primitives trust their sizes. The CPU backend is the reference every other backend is tested against.
 */
public interface Backend {
    Device device();

    /** A short description for logs and `instruct4j doctor`. */
    String describe();

    // ---- memory -------------------------------------------------------------------------------------------

    /** A new zero-filled buffer. */
    Buffer allocate(DType dtype, long length);

    /**
     * A new buffer that the caller fills completely before reading any of it (an op's output, which its primitive
     * writes in full): what it holds until then is unspecified. The CPU hands back a freed array as it is, where
     * zeroing it was a pass over memory for nothing; the default zero-fills.
     */
    default Buffer allocateUnfilled(DType dtype, long length) { return allocate(dtype, length); }

    void fill(Buffer buffer, float value);

    void upload(float[] src, Buffer dst);

    void upload(int[] src, Buffer dst);

    float[] downloadFloats(Buffer src);

    int[] downloadInts(Buffer src);

    /**
     * Copies a block of {@code rows x cols} elements: row r of the block starts at {@code srcOffset + r*srcStride}
     * in src and at {@code dstOffset + r*dstStride} in dst. Slice, concat and contiguous copies are all this.
     */
    void copyBlock(Buffer src, long srcOffset, long srcStride, Buffer dst, long dstOffset, long dstStride,
                   long rows, long cols);

    /** out[a][c][b][d] = x[a][b][c][d] for x of shape (d0, d1, d2, d3): swaps dims 1 and 2. */
    void transpose12(Buffer x, Buffer out, int d0, int d1, int d2, int d3);

    /**
     * Part {@code part} (0 q, 1 k, 2 v) of a packed (B, T, 3C) projection, C = heads x d, as (B, heads, T, d): a
     * plain copy. This default copies the part's columns out and then transposes; the CPU does both in one pass.
     */
    default void splitHeads(Buffer qkv, int part, Buffer out, int b, int t, int heads, int d) {
        long c = (long) heads * d;
        try (Buffer columns = allocateUnfilled(qkv.dtype(), b * t * c)) {
            copyBlock(qkv, part * c, 3 * c, columns, 0, c, (long) b * t, c);
            transpose12(columns, out, b, t, heads, d);
        }
    }

    /**
     * The way back: x (B, heads, T, d) written into columns [part C, (part + 1) C) of every row of a packed
     * (B, T, 3C) tensor, the rest of which is left as it is. Default: transpose, then copy the columns in.
     */
    default void mergeHeads(Buffer x, int part, Buffer qkv, int b, int t, int heads, int d) {
        long c = (long) heads * d;
        try (Buffer merged = allocateUnfilled(x.dtype(), b * t * c)) {
            transpose12(x, merged, b, heads, t, d);
            copyBlock(merged, 0, c, qkv, part * c, 3 * c, (long) b * t, c);
        }
    }

    // ---- matrix products ----------------------------------------------------------------------------------

    /**
     * Batched row-major C[i] = alpha * op(A[i]) op(B[i]) + beta * C[i] for i in [0, batch), where op(A) is m x k,
     * op(B) is k x n, C[i] is m x n, and A[i] starts at {@code i * strideA} (0 broadcasts one matrix to all).
     * transA means A is stored k x m; transB means B is stored n x k.
     */
    void gemm(boolean transA, boolean transB, int batch, int m, int n, int k, float alpha,
              Buffer a, long strideA, Buffer b, long strideB, float beta, Buffer c, long strideC);

    /**
     * A Linear layer's forward: C = A B + bias for row-major A (m x k), B (k x n) and bias (n) added to every row
     * of C (m x n). This default is {@link #gemm} and then {@link #add} in place; a backend may add the bias in the
     * product's own pass (the CPU does), with the same bits: each element is the same sum plus the bias, one add.
     */
    default void gemmBias(int m, int n, int k, Buffer a, Buffer b, Buffer bias, Buffer c) {
        gemm(false, false, 1, m, n, k, 1f, a, 0, b, 0, 0f, c, 0);
        add(c, bias, c, (long) m * n, n);
    }

    // ---- elementwise --------------------------------------------------------------------------------------

    /** out[i] = a[i] + b[i % bPeriod] for i in [0, n): b broadcasts over a's leading dims. out may alias a. */
    void add(Buffer a, Buffer b, Buffer out, long n, long bPeriod);

    /** out[i] = a[i] * b[i % bPeriod]. */
    void mul(Buffer a, Buffer b, Buffer out, long n, long bPeriod);

    /** out[i] = alpha * x[i] + beta * y[i]; y may be null when beta is 0. out may alias x or y. */
    void axpby(float alpha, Buffer x, float beta, Buffer y, Buffer out, long n);

    /** out[c] = sum over r of x[r*cols + c]: the gradient of a broadcast add, and of a bias. */
    void sumRows(Buffer x, Buffer out, long rows, long cols);

    /** out[0] = sum of x[0..n) (accumulated in double on the CPU). */
    void sum(Buffer x, Buffer out, long n);

    /** out[i] = scalar[0] * factor: the gradient of a sum or mean. */
    void broadcastScalar(Buffer scalar, float factor, Buffer out, long n);

    /** out[0] = sum of x[i]^2: for global-norm clipping. */
    void sumSquares(Buffer x, Buffer out, long n);

    /**
     * out[i] = {@link #sumSquares} of all of xs[i], for every i: global-norm clipping measures every gradient in
     * one call. This default measures them one after another; the CPU gives different buffers to different threads,
     * each buffer still summed by one thread in its fixed order, so the values are sumSquares's to the bit.
     */
    default void sumSquaresEach(Buffer[] xs, Buffer out) {
        try (Buffer one = allocate(DType.F32, 1)) {
            for (int i = 0; i < xs.length; i++) {
                sumSquares(xs[i], one, xs[i].length());
                copyBlock(one, 0, 1, out, i, 1, 1, 1);
            }
        }
    }

    /** out = gelu(x), the tanh approximation GPT-2 uses. */
    void gelu(Buffer x, Buffer out, long n);

    /** dx = dout * gelu'(x). */
    void geluBackward(Buffer x, Buffer dout, Buffer dx, long n);

    /**
     * Whether this backend's gelu can keep each element's tanh term for the backward ({@link #geluKeepingTanh},
     * {@link #geluBackwardFromTanh}), which then does not compute it again: worth a tensor where the tanh is most
     * of the work.
     */
    default boolean keepsGeluTanh() { return false; }

    /** {@link #gelu}, also writing tanh(sqrt(2/pi) (x + 0.044715 x^3)) of each element to tanh. */
    default void geluKeepingTanh(Buffer x, Buffer out, Buffer tanh, long n) {
        throw new UnsupportedOperationException("this backend does not keep gelu's tanh (see keepsGeluTanh)");
    }

    /** {@link #geluBackward} from the tanh terms {@link #geluKeepingTanh} wrote: the same values to the bit. */
    default void geluBackwardFromTanh(Buffer x, Buffer tanh, Buffer dout, Buffer dx, long n) {
        throw new UnsupportedOperationException("this backend does not keep gelu's tanh (see keepsGeluTanh)");
    }

    /**
     * out[i] = x[i] * keep(i) / (1 - p) where keep(i) is a pseudo-random bit (probability 1 - p) that depends
     * only on (seed, i): the backward calls this again on dout with the same seed, so no mask is stored.
     */
    void dropout(Buffer x, Buffer out, long n, float p, long seed);

    // ---- normalisation and softmax ------------------------------------------------------------------------

    /** Per row of x (rows x cols): out = (x - mean) * rstd * weight + bias; saves mean and rstd (rows). */
    void layerNorm(Buffer x, Buffer weight, Buffer bias, Buffer out, Buffer mean, Buffer rstd,
                   int rows, int cols, float eps);

    /** Gives dx, dweight and dbias (the last two summed over rows) from the saved mean and rstd. */
    void layerNormBackward(Buffer dout, Buffer x, Buffer weight, Buffer mean, Buffer rstd,
                           Buffer dx, Buffer dweight, Buffer dbias, int rows, int cols);

    /** Softmax over the last dim of a rows x cols matrix. */
    void softmax(Buffer x, Buffer out, int rows, int cols);

    /** dx = y * (dy - sum(dy * y)) per row, with y the softmax output. */
    void softmaxBackward(Buffer y, Buffer dy, Buffer dx, int rows, int cols);

    // ---- attention ----------------------------------------------------------------------------------------

    /**
     * Causal attention for q of shape (B, H, Tq, D) against k, v of shape (B, H, Tk, D), Tq <= Tk: query i sits
     * at key position Tk - Tq + i (so a KV-cache decode step is Tq = 1). Key j is seen by query i when
     * start[b] <= j <= Tk - Tq + i; keys before start[b] are left padding. A query with no visible key gets
     * zeros. out is (B, H, Tq, D); lse (B, H, Tq) keeps each row's log-sum-exp for the backward. scale is
     * usually 1/sqrt(D). start may be null (no padding).
     */
    void attention(Buffer q, Buffer k, Buffer v, Buffer out, Buffer lse, int[] start,
                   int batch, int heads, int tq, int tk, int headDim, float scale);

    /**
     * {@link #attention} with k and v read where a KV cache keeps them: row (b, h) of kCache and vCache holds
     * kvCapacity positions of D values, of which the first tk are the keys. Forward only (generation). This
     * default copies the tk positions out first; a backend whose kernel takes the row stride reads them in place
     * (the CPU's does: the copy was a fifth of a decode step there).
     */
    default void attentionInCache(Buffer q, Buffer kCache, Buffer vCache, Buffer out, Buffer lse, int[] start,
                                  int batch, int heads, int tq, int tk, int kvCapacity, int headDim, float scale) {
        long rows = (long) batch * heads, rowLen = (long) tk * headDim, capLen = (long) kvCapacity * headDim;
        try (Buffer k = allocate(kCache.dtype(), rows * rowLen); Buffer v = allocate(vCache.dtype(), rows * rowLen)) {
            copyBlock(kCache, 0, capLen, k, 0, rowLen, rows, rowLen);
            copyBlock(vCache, 0, capLen, v, 0, rowLen, rows, rowLen);
            attention(q, k, v, out, lse, start, batch, heads, tq, tk, headDim, scale);
        }
    }

    /** Recomputes the probabilities from q, k and lse; writes dq, dk, dv. */
    void attentionBackward(Buffer q, Buffer k, Buffer v, Buffer out, Buffer lse, Buffer dout,
                           Buffer dq, Buffer dk, Buffer dv, int[] start,
                           int batch, int heads, int tq, int tk, int headDim, float scale);

    // ---- embedding, cross-entropy -------------------------------------------------------------------------

    /** out[i] = table[ids[i]] for n ids (I32), rows of dim floats. */
    void embedding(Buffer table, Buffer ids, Buffer out, int n, int dim);

    /** dtable = 0, then dtable[ids[i]] += dout[i] in order of i (deterministic). */
    void embeddingBackward(Buffer dout, Buffer ids, Buffer dtable, int n, int dim, int vocab);

    /**
     * Per row of logits (rows x vocab): loss[r] = logsumexp(row) - row[target[r]], and lse[r] = logsumexp(row).
     * A negative target means "ignore": loss 0 (lse is still written).
     */
    void crossEntropy(Buffer logits, Buffer targets, Buffer loss, Buffer lse, int rows, int vocab);

    /** dlogits[r] = dloss[r] * (softmax(row) - onehot(target[r])), zero for ignored rows. */
    void crossEntropyBackward(Buffer logits, Buffer targets, Buffer lse, Buffer dloss, Buffer dlogits,
                              int rows, int vocab);

    // ---- optimizer ----------------------------------------------------------------------------------------

    /**
     * One AdamW step on n elements with bias correction for step t (1-based); grad is multiplied by gradScale
     * first (global-norm clipping folded in); decoupled weight decay lr * weightDecay * param. master is null for
     * an F32 parameter; a BF16 parameter's F32 master weight carries the update and the parameter gets its rounding.
     */
    void adamw(Buffer param, Buffer master, Buffer grad, Buffer m, Buffer v, long n, float lr, float beta1, float beta2,
               float eps, float weightDecay, int t, float gradScale);
}
