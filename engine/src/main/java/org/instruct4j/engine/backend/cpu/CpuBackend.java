package org.instruct4j.engine.backend.cpu;

import org.instruct4j.engine.DType;
import org.instruct4j.engine.Device;
import org.instruct4j.engine.backend.Backend;
import org.instruct4j.engine.backend.Buffer;

/**
 * The pure-Java backend and the reference for every other one. Each family of primitives lives in its own
 * kernel class (CpuGemm, CpuElementwise, CpuNorm, CpuAttention, CpuEmbedding, CpuLosses, CpuAdamW); this class
 * only routes.
 */
public final class CpuBackend implements Backend {
    public static final CpuBackend INSTANCE = new CpuBackend();
    /**
     * Elements per chunk of a copy: smaller work stays on the calling thread. Copies are
     * cheap, and on a shared machine a helper that takes a chunk and is not scheduled stalls the caller: split at
     * 64K, the demo's step was 10 % slower under load; at 1M only GPT-2's large gradients are split.
     */
    static final int LARGE = 1 << 20;
    /**
     * Elements per task of the copies that move short rows (a transpose, the heads' split and merge): a row copy costs
     * more per element than one long copy, so they split far below {@link #LARGE}, at what still outweighs handing a
     * task to a helper thread.
     */
    private static final int ROW_COPY_TASK = 1 << 14;
    /** Elements below which squared sums stay on the calling thread (about 16 us of adds). */
    private static final long SMALL_SUMS = 1 << 14;

    private CpuBackend() {}

    static float[] f(Buffer b) { return ((CpuBuffer) b).f(); }

    static int[] i(Buffer b) { return ((CpuBuffer) b).i(); }

    @Override public Device device() { return Device.CPU; }

    @Override public String describe() { return "cpu (" + hardware() + ")"; }

    /** The processor, the threads and the vector lanes the kernels use: "AMD EPYC (...), AVX-512; 2 threads, Vector API 16 float lanes". */
    public String hardware() {
        String vectors = VectorSupport.AVAILABLE ? "Vector API " + VectorSupport.FLOAT_LANES + " float lanes"
                : "plain Java, jdk.incubator.vector absent";
        String threads = Parallel.THREADS + (Parallel.THREADS == 1 ? " thread" : " threads");
        return Processor.current().describe() + "; " + threads + ", " + vectors;
    }

    // ---- memory -------------------------------------------------------------------------------------------

    @Override public Buffer allocate(DType dtype, long length) { return new CpuBuffer(dtype, length, true); }

    @Override public Buffer allocateUnfilled(DType dtype, long length) { return new CpuBuffer(dtype, length, false); }

    @Override public void fill(Buffer buffer, float value) {
        CpuBuffer b = (CpuBuffer) buffer;
        if (b.dtype() == DType.I32) java.util.Arrays.fill(b.i(), 0, (int) b.length(), (int) value);
        else java.util.Arrays.fill(b.f(), 0, (int) b.length(), value);
    }

    @Override public void upload(float[] src, Buffer dst) { System.arraycopy(src, 0, f(dst), 0, fits(src.length, dst)); }

    @Override public void upload(int[] src, Buffer dst) { System.arraycopy(src, 0, i(dst), 0, fits(src.length, dst)); }

    /** count, if a buffer of dst's length holds it: its pooled array may be longer, and would take the rest silently. */
    private static int fits(int count, Buffer dst) {
        if (count > dst.length()) throw new IllegalArgumentException("upload of " + count + " elements into a buffer of " + dst.length());
        return count;
    }

    // A pooled array may be longer than its buffer (CpuArrayPool's size classes): only the buffer's length is copied.
    @Override public float[] downloadFloats(Buffer src) { return java.util.Arrays.copyOf(f(src), (int) src.length()); }

    @Override public int[] downloadInts(Buffer src) { return java.util.Arrays.copyOf(i(src), (int) src.length()); }

    @Override public void copyBlock(Buffer src, long srcOffset, long srcStride, Buffer dst, long dstOffset,
                                    long dstStride, long rows, long cols) {
        Object s = ((CpuBuffer) src).array(), d = ((CpuBuffer) dst).array();
        if (s.getClass() != d.getClass()) throw new IllegalArgumentException("copyBlock between " + src.dtype() + " and " + dst.dtype());
        // Large copies are spread over the pool (a plain copy, so the thread count cannot change a bit): a
        // gradient's first copy into its leaf was GPT-2's longest serial pass after the norm.
        if (rows == 1 || (srcStride == cols && dstStride == cols)) {
            int so = Math.toIntExact(srcOffset), dO = Math.toIntExact(dstOffset);
            Parallel.forRange(Math.toIntExact(rows * cols), LARGE, (from, to) -> System.arraycopy(s, so + from, d, dO + from, to - from));
            return;
        }
        Parallel.forRange(Math.toIntExact(rows), (int) Math.max(1, LARGE / Math.max(1, cols)), (from, to) -> {
            for (long r = from; r < to; r++)
                System.arraycopy(s, (int) (srcOffset + r * srcStride), d, (int) (dstOffset + r * dstStride), (int) cols);
        });
    }

    @Override public void transpose12(Buffer x, Buffer out, int d0, int d1, int d2, int d3) {
        Object s = ((CpuBuffer) x).array(), d = ((CpuBuffer) out).array();
        // (d0, d1) slabs spread over the pool: a plain copy, so the thread count cannot change a bit.
        Parallel.forRange(d0 * d1, Math.max(1, ROW_COPY_TASK / Math.max(1, d2 * d3)), (from, to) -> {
            for (int ab = from; ab < to; ab++) {
                int a = ab / d1, b = ab % d1;
                for (int c = 0; c < d2; c++)
                    System.arraycopy(s, ((a * d1 + b) * d2 + c) * d3, d, ((a * d2 + c) * d1 + b) * d3, d3);
            }
        });
    }

    @Override public void splitHeads(Buffer qkv, int part, Buffer out, int b, int t, int heads, int d) {
        moveHeads(f(qkv), part, f(out), b, t, heads, d, true);
    }

    @Override public void mergeHeads(Buffer x, int part, Buffer qkv, int b, int t, int heads, int d) {
        moveHeads(f(qkv), part, f(x), b, t, heads, d, false);
    }

    /**
     * Rows of d floats between part {@code part} of a packed (B, T, 3C) tensor and a (B, heads, T, d) one, into
     * the latter when toHeads, else back. One pass spread over the pool by (batch, head): Backend's default (a
     * column copy, then a transpose) ran its copy on one thread (the demo's 3072 x 96 parts are below the copies'
     * split size) and read the copy again.
     */
    private static void moveHeads(float[] packed, int part, float[] split, int b, int t, int heads, int d,
                                  boolean toHeads) {
        int c = heads * d;
        Parallel.forRange(b * heads, Math.max(1, ROW_COPY_TASK / Math.max(1, t * d)), (from, to) -> {
            for (int bh = from; bh < to; bh++) {
                int bi = bh / heads, h = bh % heads;
                for (int i = 0; i < t; i++) {
                    int p = (bi * t + i) * 3 * c + part * c + h * d, q = (bh * t + i) * d;
                    if (toHeads) System.arraycopy(packed, p, split, q, d);
                    else System.arraycopy(split, q, packed, p, d);
                }
            }
        });
    }

    // ---- matrix products ----------------------------------------------------------------------------------

    @Override public void gemm(boolean transA, boolean transB, int batch, int m, int n, int k, float alpha,
                               Buffer a, long strideA, Buffer b, long strideB, float beta, Buffer c, long strideC) {
        CpuGemm.gemm(transA, transB, batch, m, n, k, alpha, f(a), (int) strideA, f(b), (int) strideB, beta, f(c), (int) strideC);
    }

    @Override public void gemmBias(int m, int n, int k, Buffer a, Buffer b, Buffer bias, Buffer c) {
        CpuGemm.gemmBias(m, n, k, f(a), f(b), f(bias), f(c));
    }

    // ---- elementwise --------------------------------------------------------------------------------------

    @Override public void add(Buffer a, Buffer b, Buffer out, long n, long bPeriod) {
        CpuElementwise.add(f(a), f(b), f(out), (int) n, (int) bPeriod);
    }

    @Override public void mul(Buffer a, Buffer b, Buffer out, long n, long bPeriod) {
        CpuElementwise.mul(f(a), f(b), f(out), (int) n, (int) bPeriod);
    }

    @Override public void axpby(float alpha, Buffer x, float beta, Buffer y, Buffer out, long n) {
        CpuElementwise.axpby(alpha, f(x), beta, y == null ? null : f(y), f(out), (int) n);
    }

    @Override public void sumRows(Buffer x, Buffer out, long rows, long cols) {
        CpuElementwise.sumRows(f(x), f(out), (int) rows, (int) cols);
    }

    @Override public void sum(Buffer x, Buffer out, long n) { f(out)[0] = (float) CpuElementwise.sum(f(x), (int) n); }

    @Override public void broadcastScalar(Buffer scalar, float factor, Buffer out, long n) {
        java.util.Arrays.fill(f(out), 0, (int) n, f(scalar)[0] * factor);
    }

    @Override public void sumSquares(Buffer x, Buffer out, long n) {
        f(out)[0] = (float) CpuElementwise.sumSquares(f(x), (int) n);
    }

    @Override public void sumSquaresEach(Buffer[] xs, Buffer out) {
        // A sum in double is a chain of dependent adds (GPT-2's 124M gradients took 0.1 s on one core, which puts
        // the demo model's 0.4 M at about 0.3 ms); two chains run side by side when whole buffers go to
        // different threads, each claimed on its own, and the order inside each is kept. Run on one thread, the
        // demo's sums also sent the helper to sleep, and the AdamW step after them started without it.
        float[] o = f(out);
        long total = 0;
        for (Buffer x : xs) total += x.length();
        Parallel.RangeBody sums = (from, to) -> {
            for (int i = from; i < to; i++) o[i] = (float) CpuElementwise.sumSquares(f(xs[i]), (int) xs[i].length());
        };
        if (total < SMALL_SUMS) sums.run(0, xs.length);
        else Parallel.forEachItem(xs.length, sums);
    }

    @Override public void gelu(Buffer x, Buffer out, long n) { CpuElementwise.gelu(f(x), f(out), (int) n); }

    /** The tanh is most of a gelu's and of its derivative's cost: the backward reads the forward's. */
    @Override public boolean keepsGeluTanh() { return true; }

    @Override public void geluKeepingTanh(Buffer x, Buffer out, Buffer tanh, long n) {
        CpuElementwise.geluKeepingTanh(f(x), f(out), f(tanh), (int) n);
    }

    @Override public void geluBackwardFromTanh(Buffer x, Buffer tanh, Buffer dout, Buffer dx, long n) {
        CpuElementwise.geluBackwardFromTanh(f(x), f(tanh), f(dout), f(dx), (int) n);
    }

    @Override public void geluBackward(Buffer x, Buffer dout, Buffer dx, long n) {
        CpuElementwise.geluBackward(f(x), f(dout), f(dx), (int) n);
    }

    @Override public void dropout(Buffer x, Buffer out, long n, float p, long seed) {
        CpuElementwise.dropout(f(x), f(out), (int) n, p, seed);
    }

    // ---- normalisation and softmax ------------------------------------------------------------------------

    @Override public void layerNorm(Buffer x, Buffer weight, Buffer bias, Buffer out, Buffer mean, Buffer rstd,
                                    int rows, int cols, float eps) {
        CpuNorm.layerNorm(f(x), f(weight), f(bias), f(out), f(mean), f(rstd), rows, cols, eps);
    }

    @Override public void layerNormBackward(Buffer dout, Buffer x, Buffer weight, Buffer mean, Buffer rstd,
                                            Buffer dx, Buffer dweight, Buffer dbias, int rows, int cols) {
        CpuNorm.layerNormBackward(f(dout), f(x), f(weight), f(mean), f(rstd), f(dx), f(dweight), f(dbias), rows, cols);
    }

    @Override public void softmax(Buffer x, Buffer out, int rows, int cols) { CpuNorm.softmax(f(x), f(out), rows, cols); }

    @Override public void softmaxBackward(Buffer y, Buffer dy, Buffer dx, int rows, int cols) {
        CpuNorm.softmaxBackward(f(y), f(dy), f(dx), rows, cols);
    }

    // ---- attention ----------------------------------------------------------------------------------------

    @Override public void attention(Buffer q, Buffer k, Buffer v, Buffer out, Buffer lse, int[] start,
                                    int batch, int heads, int tq, int tk, int headDim, float scale) {
        CpuAttention.forward(f(q), f(k), f(v), f(out), f(lse), start, batch, heads, tq, tk, tk, headDim, scale);
    }

    @Override public void attentionInCache(Buffer q, Buffer kCache, Buffer vCache, Buffer out, Buffer lse, int[] start,
                                           int batch, int heads, int tq, int tk, int kvCapacity, int headDim, float scale) {
        CpuAttention.forward(f(q), f(kCache), f(vCache), f(out), f(lse), start, batch, heads, tq, tk, kvCapacity, headDim, scale);
    }

    @Override public void attentionBackward(Buffer q, Buffer k, Buffer v, Buffer out, Buffer lse, Buffer dout,
                                            Buffer dq, Buffer dk, Buffer dv, int[] start,
                                            int batch, int heads, int tq, int tk, int headDim, float scale) {
        CpuAttention.backward(f(q), f(k), f(v), f(out), f(lse), f(dout), f(dq), f(dk), f(dv), start,
                batch, heads, tq, tk, headDim, scale);
    }

    // ---- embedding, cross-entropy -------------------------------------------------------------------------

    @Override public void embedding(Buffer table, Buffer ids, Buffer out, int n, int dim) {
        CpuEmbedding.lookup(f(table), i(ids), f(out), n, dim, (int) (table.length() / dim));
    }

    @Override public void embeddingBackward(Buffer dout, Buffer ids, Buffer dtable, int n, int dim, int vocab) {
        CpuEmbedding.backward(f(dout), i(ids), f(dtable), n, dim, vocab);
    }

    @Override public void crossEntropy(Buffer logits, Buffer targets, Buffer loss, Buffer lse, int rows, int vocab) {
        CpuLosses.crossEntropy(f(logits), i(targets), f(loss), f(lse), rows, vocab);
    }

    @Override public void crossEntropyBackward(Buffer logits, Buffer targets, Buffer lse, Buffer dloss,
                                               Buffer dlogits, int rows, int vocab) {
        CpuLosses.crossEntropyBackward(f(logits), i(targets), f(lse), f(dloss), f(dlogits), rows, vocab);
    }

    // ---- optimizer ----------------------------------------------------------------------------------------

    @Override public void adamw(Buffer param, Buffer master, Buffer grad, Buffer m, Buffer v, long n, float lr, float beta1,
                                float beta2, float eps, float weightDecay, int t, float gradScale) {
        if (master != null) throw new IllegalArgumentException("adamw: CPU parameters are F32 and have no master weight");
        CpuAdamW.step(f(param), f(grad), f(m), f(v), (int) n, lr, beta1, beta2, eps, weightDecay, t, gradScale);
    }
}
