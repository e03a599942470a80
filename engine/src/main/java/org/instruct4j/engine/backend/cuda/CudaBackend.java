package org.instruct4j.engine.backend.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.instruct4j.engine.DType;
import org.instruct4j.engine.Device;
import org.instruct4j.engine.backend.Backend;
import org.instruct4j.engine.backend.Buffer;

/**
 * The CUDA backend: every primitive is a kernel from kernels/src (compiled by NVRTC for this GPU and cached on disk)
 * or a cuBLAS call, all on one stream. Buffers hold F32, BF16 or I32; in mixed precision activations and weights
 * are BF16 while statistics (mean, rstd, lse, losses) stay F32. A primitive runs in the dtype of its main input;
 * an operand of another floating dtype is converted through a temporary (rare, and correct, just slower).
 */
public final class CudaBackend implements Backend {
    private static final int THREADS = 256;
    private static final int MAX_BLOCKS = 8192;
    private static final long CUBLAS_WORKSPACE = 32L << 20;
    private static volatile Boolean available;

    private final CudaDriver driver;
    private final int ordinal;
    private final String name, arch;
    private final MemorySegment stream, context;
    /** The context each thread last made current: the driver's current context is per thread. */
    private static final ThreadLocal<MemorySegment> CURRENT = new ThreadLocal<>();
    private final CachingAllocator allocator;
    private final KernelCache kernelCache;
    private final Map<String, MemorySegment> modules = new HashMap<>();
    private final Map<String, MemorySegment> functions = new HashMap<>();
    private final CuBlas cublas;
    private final MemorySegment cublasHandle;
    private final AttentionPlanner attentionPlanner = new AttentionPlan();

    private CudaBackend(int ordinal) {
        this.driver = CudaDriver.get();
        int count = driver.deviceCount();
        if (ordinal < 0 || ordinal >= count)
            throw new CudaException("no CUDA device cuda:" + ordinal + " (this machine has " + count + ")");
        this.ordinal = ordinal;
        int dev = driver.device(ordinal);
        this.name = driver.deviceName(dev);
        this.arch = "sm_" + driver.attribute(CudaDriver.ATTR_COMPUTE_CAPABILITY_MAJOR, dev)
                + driver.attribute(CudaDriver.ATTR_COMPUTE_CAPABILITY_MINOR, dev);
        this.context = driver.retainPrimaryContext(dev);
        current();
        this.stream = driver.createStream();
        this.allocator = new CachingAllocator(new DeviceMemory() {
            @Override public long allocate(long bytes) { return driver.malloc(bytes); }
            @Override public void free(long pointer) { driver.free(pointer); }
        });
        this.kernelCache = new KernelCache(KernelCache.defaultDirectory(), Nvrtc.get());
        this.cublas = CuBlas.get();
        long workspace = allocator.allocate(CUBLAS_WORKSPACE, stream.address()).pointer();  // kept for the backend's life
        this.cublasHandle = cublas.createHandle(stream, workspace, CUBLAS_WORKSPACE);
    }

    /** The backend of CUDA device `device`; throws CudaException naming what is missing when there is none. */
    public static Backend open(int device) { return new CudaBackend(device); }

    /** Whether a CUDA device can be opened here (driver loaded, at least one device). Never throws. */
    public static boolean isAvailable() {
        Boolean a = available;
        if (a == null) {
            try {
                a = CudaDriver.get().deviceCount() > 0;
            } catch (Throwable t) {
                a = false;
            }
            available = a;
        }
        return a;
    }

    /** Makes this backend's context current on the calling thread (the driver keeps one per thread). */
    private void current() {
        if (CURRENT.get() != context) {
            driver.setCurrent(context);
            CURRENT.set(context);
        }
    }

    CachingAllocator allocator() { return allocator; }

    public AllocatorStats memoryStats() { return allocator.stats(); }

    public KernelCache kernelCache() { return kernelCache; }

    /** Waits for all queued work. */
    public void synchronize() {
        current();
        driver.synchronize(stream);
    }

    @Override public Device device() { return Device.cuda(ordinal); }

    @Override public String describe() { return "cuda:" + ordinal + " (" + name + ", " + arch + ")"; }

    // ---- launching --------------------------------------------------------------------------------------------

    private synchronized MemorySegment function(String module, String kernel) {
        MemorySegment f = functions.get(kernel);
        if (f != null) return f;
        MemorySegment m = modules.computeIfAbsent(module, mod -> driver.loadModule(kernelCache.image(KernelSources.load(mod), arch)));
        f = driver.function(m, kernel);
        functions.put(kernel, f);
        return f;
    }

    void launch(String module, String kernel, int[] grid, int[] block, int sharedBytes, Object... args) {
        current();
        MemorySegment f = function(module, kernel);
        if (sharedBytes > 48 * 1024)
            driver.setFunctionAttribute(f, CudaDriver.FUNC_ATTR_MAX_DYNAMIC_SHARED_SIZE_BYTES, sharedBytes);
        try (Arena arena = Arena.ofConfined()) {
            driver.launch(kernel, f, grid, block, sharedBytes, stream, KernelArgs.pack(arena, args));
        }
    }

    /** A grid-stride elementwise kernel over n elements. */
    private void launchFlat(String module, String kernel, long n, Object... args) {
        if (n <= 0) return;
        int blocks = (int) Math.min(MAX_BLOCKS, (n + THREADS - 1) / THREADS);
        launch(module, kernel, new int[] {blocks, 1, 1}, new int[] {THREADS, 1, 1}, 0, args);
    }

    /** One block of 256 threads per row. */
    private void launchRows(String module, String kernel, int rows, Object... args) {
        if (rows <= 0) return;
        launch(module, kernel, new int[] {rows, 1, 1}, new int[] {THREADS, 1, 1}, 0, args);
    }

    static String suffix(DType dtype) {
        return switch (dtype) {
            case F32 -> "f32";
            case BF16 -> "bf16";
            case I32 -> throw new IllegalArgumentException("a floating primitive got an I32 buffer");
        };
    }

    static CudaBuffer cuda(Buffer b) {
        if (b instanceof CudaBuffer c) return c;
        throw new IllegalArgumentException("expected a CUDA buffer, got " + (b == null ? "null" : b.getClass().getSimpleName() + " on " + b.backend().device()));
    }

    private static DType floating(Buffer b) {
        DType d = cuda(b).dtype();
        if (!d.isFloating()) throw new IllegalArgumentException("expected an F32 or BF16 buffer, got I32");
        return d;
    }

    private static CudaBuffer ints(Buffer b) {
        CudaBuffer c = cuda(b);
        if (c.dtype() != DType.I32) throw new IllegalArgumentException("expected an I32 buffer (ids, targets), got " + c.dtype());
        return c;
    }

    private CudaBuffer newBuffer(DType dtype, long length) {
        current();
        return new CudaBuffer(this, dtype, length, allocator.allocate(length * dtype.bytes(), stream.address()));
    }

    /**
     * The operands of one primitive in the dtype its kernel runs in: in() converts an input into a temporary when its
     * dtype differs, out() gives a temporary that close() converts back into the real output, inout() both.
     */
    private final class Operands implements AutoCloseable {
        private final List<CudaBuffer> temps = new ArrayList<>();
        private final List<CudaBuffer[]> writeBacks = new ArrayList<>();

        CudaBuffer in(Buffer b, DType dtype) {
            CudaBuffer c = cuda(b);
            if (c.dtype() == dtype) return c;
            CudaBuffer t = temp(dtype, c.length());
            convert(c, t, c.length());
            return t;
        }

        CudaBuffer out(Buffer b, DType dtype) {
            CudaBuffer c = cuda(b);
            if (c.dtype() == dtype) return c;
            CudaBuffer t = temp(dtype, c.length());
            writeBacks.add(new CudaBuffer[] {t, c});
            return t;
        }

        CudaBuffer inout(Buffer b, DType dtype) {
            CudaBuffer c = cuda(b);
            if (c.dtype() == dtype) return c;
            CudaBuffer t = in(c, dtype);
            writeBacks.add(new CudaBuffer[] {t, c});
            return t;
        }

        CudaBuffer temp(DType dtype, long length) {
            CudaBuffer t = newBuffer(dtype, length);
            temps.add(t);
            return t;
        }

        CudaBuffer ints(int[] values) {
            CudaBuffer t = temp(DType.I32, Math.max(1, values.length));
            upload(values, t);
            return t;
        }

        @Override public void close() {
            for (CudaBuffer[] wb : writeBacks) convert(wb[0], wb[1], wb[1].length());
            for (CudaBuffer t : temps) t.close();  // stream order keeps reuse after the kernels above
        }
    }

    private void convert(CudaBuffer src, CudaBuffer dst, long n) {
        if (src.dtype() == dst.dtype()) { copyBlock(src, 0, n, dst, 0, n, 1, n); return; }
        if (!src.dtype().isFloating() || !dst.dtype().isFloating())
            throw new IllegalArgumentException("cannot convert " + src.dtype() + " to " + dst.dtype());
        launchFlat("elementwise", src.dtype() == DType.F32 ? "convert_f32_to_bf16" : "convert_bf16_to_f32", n, src, dst, n);
    }

    // ---- memory -------------------------------------------------------------------------------------------

    @Override public Buffer allocate(DType dtype, long length) {
        CudaBuffer b = newBuffer(dtype, length);
        driver.memsetAsync(b.pointer(), 0, Math.max(1, b.bytes()), stream);
        return b;
    }

    @Override public void fill(Buffer buffer, float value) {
        CudaBuffer b = cuda(buffer);
        if (b.dtype() == DType.I32) launchFlat("elementwise", "fill_i32", b.length(), b, (int) value, b.length());
        else launchFlat("elementwise", "fill_" + suffix(b.dtype()), b.length(), b, value, b.length());
    }

    private void checkFits(long count, CudaBuffer dst, String what) {
        if (count > dst.length()) throw new IllegalArgumentException(what + " of " + count + " elements into " + dst);
    }

    @Override public void upload(float[] src, Buffer dst) {
        CudaBuffer d = cuda(dst);
        checkFits(src.length, d, "upload");
        if (src.length == 0) return;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host;
            switch (d.dtype()) {
                case F32 -> host = arena.allocateFrom(Native.FLOAT, src);
                case BF16 -> {
                    short[] bits = new short[src.length];
                    for (int i = 0; i < src.length; i++) bits[i] = Bf16.fromFloat(src[i]);
                    host = arena.allocateFrom(java.lang.foreign.ValueLayout.JAVA_SHORT, bits);
                }
                default -> throw new IllegalArgumentException("upload of floats into an I32 buffer");
            }
            driver.copyToDevice(d.pointer(), host, host.byteSize());
        }
    }

    @Override public void upload(int[] src, Buffer dst) {
        CudaBuffer d = ints(dst);
        checkFits(src.length, d, "upload");
        if (src.length == 0) return;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocateFrom(Native.INT, src);
            driver.copyToDevice(d.pointer(), host, host.byteSize());
        }
    }

    @Override public float[] downloadFloats(Buffer src) {
        CudaBuffer s = cuda(src);
        int n = Math.toIntExact(s.length());
        float[] out = new float[n];
        if (n == 0) return out;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate(s.bytes());
            driver.copyToHost(host, s.pointer(), s.bytes());
            switch (s.dtype()) {
                case F32 -> MemorySegment.copy(host, Native.FLOAT, 0, out, 0, n);
                case BF16 -> { for (int i = 0; i < n; i++) out[i] = Bf16.toFloat(host.getAtIndex(java.lang.foreign.ValueLayout.JAVA_SHORT, i)); }
                default -> throw new IllegalArgumentException("downloadFloats of an I32 buffer");
            }
        }
        return out;
    }

    @Override public int[] downloadInts(Buffer src) {
        CudaBuffer s = ints(src);
        int n = Math.toIntExact(s.length());
        int[] out = new int[n];
        if (n == 0) return out;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate(s.bytes());
            driver.copyToHost(host, s.pointer(), s.bytes());
            MemorySegment.copy(host, Native.INT, 0, out, 0, n);
        }
        return out;
    }

    @Override public void copyBlock(Buffer src, long srcOffset, long srcStride, Buffer dst, long dstOffset, long dstStride,
                                    long rows, long cols) {
        CudaBuffer s = cuda(src), d = cuda(dst);
        if (rows * cols == 0) return;
        if (s.dtype() != d.dtype()) {
            if (!s.dtype().isFloating() || !d.dtype().isFloating())
                throw new IllegalArgumentException("copyBlock between " + s.dtype() + " and " + d.dtype());
            try (Operands ops = new Operands()) {
                copyBlock(ops.in(s, d.dtype()), srcOffset, srcStride, d, dstOffset, dstStride, rows, cols);
            }
            return;
        }
        if (srcStride == cols && dstStride == cols) {
            int bytes = s.dtype().bytes();
            driver.copyDeviceAsync(d.pointer() + dstOffset * bytes, s.pointer() + srcOffset * bytes, rows * cols * bytes, stream);
            return;
        }
        launchFlat("elementwise", "copy_block_" + (s.dtype().bytes() == 2 ? "b16" : "b32"), rows * cols,
                s, srcOffset, srcStride, d, dstOffset, dstStride, rows, cols);
    }

    @Override public void transpose12(Buffer x, Buffer out, int d0, int d1, int d2, int d3) {
        CudaBuffer s = cuda(x);
        try (Operands ops = new Operands()) {
            CudaBuffer o = s.dtype().isFloating() ? ops.out(out, s.dtype()) : ints(out);
            launchFlat("elementwise", "transpose12_" + (s.dtype().bytes() == 2 ? "b16" : "b32"), (long) d0 * d1 * d2 * d3,
                    s, o, d0, d1, d2, d3);
        }
    }

    // ---- matrix products ----------------------------------------------------------------------------------

    @Override public void gemm(boolean transA, boolean transB, int batch, int m, int n, int k, float alpha,
                               Buffer a, long strideA, Buffer b, long strideB, float beta, Buffer c, long strideC) {
        if (batch == 0 || m == 0 || n == 0) return;
        DType dt = floating(a);
        try (Operands ops = new Operands()) {
            CudaBuffer ca = cuda(a), cb = ops.in(b, dt);
            // cuBLAS takes BF16 inputs with an F32 output; any other mismatch goes through a temporary
            DType ct = floating(c) == dt || floating(c) == DType.F32 ? floating(c) : dt;
            CudaBuffer cc = beta == 0f ? ops.out(c, ct) : ops.inout(c, ct);
            if (k == 0) {  // the product is empty: C = beta * C
                if (beta == 0f) fill(cc, 0f);
                else axpby(beta, cc, 0f, null, cc, cc.length());
                return;
            }
            current();
            cublas.gemm(cublasHandle, GemmOperands.rowMajor(transA, transB, m, n, k), batch, alpha,
                    ca.pointer(), dt, strideA, cb.pointer(), dt, strideB, beta, cc.pointer(), ct, strideC);
        }
    }

    // ---- elementwise --------------------------------------------------------------------------------------

    @Override public void add(Buffer a, Buffer b, Buffer out, long n, long bPeriod) { binary("add_", a, b, out, n, bPeriod); }

    @Override public void mul(Buffer a, Buffer b, Buffer out, long n, long bPeriod) { binary("mul_", a, b, out, n, bPeriod); }

    private void binary(String kernel, Buffer a, Buffer b, Buffer out, long n, long period) {
        DType dt = floating(a);
        try (Operands ops = new Operands()) {
            launchFlat("elementwise", kernel + suffix(dt), n, cuda(a), ops.in(b, dt), ops.out(out, dt), n, period);
        }
    }

    @Override public void axpby(float alpha, Buffer x, float beta, Buffer y, Buffer out, long n) {
        DType dt = floating(x);
        try (Operands ops = new Operands()) {
            Object yArg = y == null || beta == 0f ? (Object) 0L : ops.in(y, dt);
            launchFlat("elementwise", "axpby_" + suffix(dt), n, alpha, cuda(x), y == null ? 0f : beta, yArg, ops.out(out, dt), n);
        }
    }

    @Override public void sumRows(Buffer x, Buffer out, long rows, long cols) {
        DType dt = floating(x);
        if (cols == 0) return;
        int rowsPerChunk = 64;
        long chunks = Math.max(1, (rows + rowsPerChunk - 1) / rowsPerChunk);
        while (chunks > 65535) { rowsPerChunk *= 2; chunks = (rows + rowsPerChunk - 1) / rowsPerChunk; }
        try (Operands ops = new Operands()) {
            CudaBuffer partial = ops.temp(DType.F32, chunks * cols);
            if (rows == 0) fill(partial, 0f);
            else launch("reduce", "sum_rows_partial_" + suffix(dt), new int[] {(int) ((cols + 31) / 32), (int) chunks, 1},
                    new int[] {32, 8, 1}, 0, cuda(x), partial, rows, (int) cols, rowsPerChunk);
            launch("reduce", "sum_rows_final_" + suffix(dt), new int[] {(int) ((cols + THREADS - 1) / THREADS), 1, 1},
                    new int[] {THREADS, 1, 1}, 0, partial, (int) chunks, (int) cols, ops.out(out, dt));
        }
    }

    @Override public void sum(Buffer x, Buffer out, long n) { fullSum(x, out, n, false); }

    @Override public void sumSquares(Buffer x, Buffer out, long n) { fullSum(x, out, n, true); }

    /** Two passes with a block count fixed by n, so the result is deterministic. */
    private void fullSum(Buffer x, Buffer out, long n, boolean squares) {
        DType dt = floating(x);
        int blocks = (int) Math.max(1, Math.min(1024, (n + THREADS - 1) / THREADS));
        try (Operands ops = new Operands()) {
            CudaBuffer partial = ops.temp(DType.F32, blocks);
            launch("reduce", "sum_partial_" + suffix(dt), new int[] {blocks, 1, 1}, new int[] {THREADS, 1, 1}, 0,
                    cuda(x), partial, n, squares ? 1 : 0);
            CudaBuffer o = cuda(out);
            DType ot = o.dtype().isFloating() ? o.dtype() : dt;
            launch("reduce", "sum_final_" + suffix(ot), new int[] {1, 1, 1}, new int[] {THREADS, 1, 1}, 0,
                    partial, blocks, ops.out(out, ot));
        }
    }

    @Override public void broadcastScalar(Buffer scalar, float factor, Buffer out, long n) {
        DType dt = floating(out);
        try (Operands ops = new Operands()) {
            launchFlat("reduce", "broadcast_scalar_" + suffix(dt), n, ops.in(scalar, dt), factor, cuda(out), n);
        }
    }

    @Override public void gelu(Buffer x, Buffer out, long n) {
        DType dt = floating(x);
        try (Operands ops = new Operands()) {
            launchFlat("gelu", "gelu_forward_" + suffix(dt), n, cuda(x), ops.out(out, dt), n);
        }
    }

    @Override public void geluBackward(Buffer x, Buffer dout, Buffer dx, long n) {
        DType dt = floating(x);
        try (Operands ops = new Operands()) {
            launchFlat("gelu", "gelu_backward_" + suffix(dt), n, cuda(x), ops.in(dout, dt), ops.out(dx, dt), n);
        }
    }

    @Override public void dropout(Buffer x, Buffer out, long n, float p, long seed) {
        DType dt = floating(x);
        try (Operands ops = new Operands()) {
            launchFlat("elementwise", "dropout_" + suffix(dt), n, cuda(x), ops.out(out, dt), n, p, seed);
        }
    }

    // ---- normalisation and softmax ------------------------------------------------------------------------

    @Override public void layerNorm(Buffer x, Buffer weight, Buffer bias, Buffer out, Buffer mean, Buffer rstd,
                                    int rows, int cols, float eps) {
        DType dt = floating(x);
        try (Operands ops = new Operands()) {
            launchRows("layernorm", "layernorm_forward_" + suffix(dt), rows, cuda(x), ops.in(weight, dt), ops.in(bias, dt),
                    ops.out(out, dt), ops.out(mean, DType.F32), ops.out(rstd, DType.F32), rows, cols, eps);
        }
    }

    @Override public void layerNormBackward(Buffer dout, Buffer x, Buffer weight, Buffer mean, Buffer rstd,
                                            Buffer dx, Buffer dweight, Buffer dbias, int rows, int cols) {
        DType dt = floating(x);
        int shared = 2 * cols * Float.BYTES;
        if (shared > 96 * 1024) throw new IllegalArgumentException("layerNormBackward: " + cols + " columns is more than the kernel's shared memory holds");
        int chunks = Math.max(1, Math.min(rows, 512));
        int rowsPerChunk = (rows + chunks - 1) / chunks;
        chunks = Math.max(1, (rows + rowsPerChunk - 1) / Math.max(1, rowsPerChunk));
        try (Operands ops = new Operands()) {
            CudaBuffer pdw = ops.temp(DType.F32, (long) chunks * cols), pdb = ops.temp(DType.F32, (long) chunks * cols);
            launch("layernorm", "layernorm_backward_" + suffix(dt), new int[] {chunks, 1, 1}, new int[] {THREADS, 1, 1}, shared,
                    ops.in(dout, dt), cuda(x), ops.in(weight, dt), ops.in(mean, DType.F32), ops.in(rstd, DType.F32),
                    ops.out(dx, dt), pdw, pdb, rows, cols, Math.max(1, rowsPerChunk));
            launch("layernorm", "layernorm_backward_finish_" + suffix(dt), new int[] {(cols + THREADS - 1) / THREADS, 1, 1},
                    new int[] {THREADS, 1, 1}, 0, pdw, pdb, ops.out(dweight, dt), ops.out(dbias, dt), chunks, cols);
        }
    }

    @Override public void softmax(Buffer x, Buffer out, int rows, int cols) {
        DType dt = floating(x);
        try (Operands ops = new Operands()) {
            launchRows("softmax", "softmax_forward_" + suffix(dt), rows, cuda(x), ops.out(out, dt), rows, cols);
        }
    }

    @Override public void softmaxBackward(Buffer y, Buffer dy, Buffer dx, int rows, int cols) {
        DType dt = floating(y);
        try (Operands ops = new Operands()) {
            launchRows("softmax", "softmax_backward_" + suffix(dt), rows, cuda(y), ops.in(dy, dt), ops.out(dx, dt), rows, cols);
        }
    }

    // ---- attention ----------------------------------------------------------------------------------------

    @Override public void attention(Buffer q, Buffer k, Buffer v, Buffer out, Buffer lse, int[] start,
                                    int batch, int heads, int tq, int tk, int headDim, float scale) {
        DType dt = floating(q);
        try (Operands ops = new Operands()) {
            Map<AttentionArg, Object> bind = shapes(batch, heads, tq, tk, headDim, scale);
            bind.put(AttentionArg.Q, cuda(q));
            bind.put(AttentionArg.K, ops.in(k, dt));
            bind.put(AttentionArg.V, ops.in(v, dt));
            bind.put(AttentionArg.OUT, ops.out(out, dt));
            bind.put(AttentionArg.LSE, ops.out(lse, DType.F32));
            bind.put(AttentionArg.START, start == null ? (Object) 0L : ops.ints(start));
            runPlan(attentionPlanner.forward(dt, batch, heads, tq, tk, headDim), bind, ops, dt, batch, heads, tq, tk, headDim);
        }
    }

    @Override public void attentionBackward(Buffer q, Buffer k, Buffer v, Buffer out, Buffer lse, Buffer dout,
                                            Buffer dq, Buffer dk, Buffer dv, int[] start,
                                            int batch, int heads, int tq, int tk, int headDim, float scale) {
        DType dt = floating(q);
        try (Operands ops = new Operands()) {
            Map<AttentionArg, Object> bind = shapes(batch, heads, tq, tk, headDim, scale);
            bind.put(AttentionArg.Q, cuda(q));
            bind.put(AttentionArg.K, ops.in(k, dt));
            bind.put(AttentionArg.V, ops.in(v, dt));
            bind.put(AttentionArg.OUT, ops.in(out, dt));
            bind.put(AttentionArg.LSE, ops.in(lse, DType.F32));
            bind.put(AttentionArg.DOUT, ops.in(dout, dt));
            bind.put(AttentionArg.DQ, ops.out(dq, dt));
            bind.put(AttentionArg.DK, ops.out(dk, dt));
            bind.put(AttentionArg.DV, ops.out(dv, dt));
            bind.put(AttentionArg.START, start == null ? (Object) 0L : ops.ints(start));
            runPlan(attentionPlanner.backward(dt, batch, heads, tq, tk, headDim), bind, ops, dt, batch, heads, tq, tk, headDim);
        }
    }

    private static Map<AttentionArg, Object> shapes(int batch, int heads, int tq, int tk, int headDim, float scale) {
        Map<AttentionArg, Object> bind = new EnumMap<>(AttentionArg.class);
        bind.put(AttentionArg.BATCH, batch);
        bind.put(AttentionArg.HEADS, heads);
        bind.put(AttentionArg.TQ, tq);
        bind.put(AttentionArg.TK, tk);
        bind.put(AttentionArg.HEAD_DIM, headDim);
        bind.put(AttentionArg.SCALE, scale);
        return bind;
    }

    /** Allocates the plan's workspaces (zero-filled), binds every argument and runs the launches in order. */
    private void runPlan(List<KernelLaunch> launches, Map<AttentionArg, Object> bind, Operands ops, DType dt,
                         int batch, int heads, int tq, int tk, int headDim) {
        for (AttentionArg w : List.of(AttentionArg.WORKSPACE_DELTA, AttentionArg.WORKSPACE_DQ_F32)) {
            long bytes = attentionPlanner.workspaceBytes(w, dt, batch, heads, tq, tk, headDim);
            if (bytes <= 0) continue;
            CudaBuffer ws = ops.temp(DType.F32, (bytes + 3) / 4);
            driver.memsetAsync(ws.pointer(), 0, ws.bytes(), stream);
            bind.put(w, ws);
        }
        for (KernelLaunch l : launches) {
            Object[] args = new Object[l.args().size()];
            for (int i = 0; i < args.length; i++) {
                AttentionArg a = l.args().get(i);
                args[i] = bind.get(a);
                if (args[i] == null) throw new IllegalStateException("attention kernel " + l.kernel() + " needs " + a + ", which is not bound");
            }
            launch(l.module(), l.kernel(), l.grid(), l.block(), l.sharedBytes(), args);
        }
    }

    // ---- embedding, cross-entropy -------------------------------------------------------------------------

    @Override public void embedding(Buffer table, Buffer ids, Buffer out, int n, int dim) {
        DType dt = floating(table);
        int vocab = (int) (cuda(table).length() / Math.max(1, dim));
        try (Operands ops = new Operands()) {
            launchFlat("embedding", "embedding_forward_" + suffix(dt), (long) n * dim, cuda(table), ints(ids), ops.out(out, dt), n, dim, vocab);
        }
    }

    @Override public void embeddingBackward(Buffer dout, Buffer ids, Buffer dtable, int n, int dim, int vocab) {
        DType dt = floating(dout);
        int[] hostIds = downloadInts(ids);  // small (n ints); lets each table row be owned by one block
        EmbeddingBuckets buckets = EmbeddingBuckets.of(hostIds, n, vocab);
        try (Operands ops = new Operands()) {
            CudaBuffer d = ops.out(dtable, dt);
            launchFlat("elementwise", "fill_" + suffix(dt), (long) vocab * dim, d, 0f, (long) vocab * dim);
            if (buckets.count() == 0) return;
            launch("embedding", "embedding_backward_" + suffix(dt), new int[] {buckets.count(), 1, 1}, new int[] {THREADS, 1, 1}, 0,
                    cuda(dout), ops.ints(buckets.positions()), ops.ints(buckets.bucketStart()), ops.ints(buckets.bucketId()), d, dim);
        }
    }

    @Override public void crossEntropy(Buffer logits, Buffer targets, Buffer loss, Buffer lse, int rows, int vocab) {
        DType dt = floating(logits);
        try (Operands ops = new Operands()) {
            launchRows("crossentropy", "crossentropy_forward_" + suffix(dt), rows, cuda(logits), ints(targets),
                    ops.out(loss, DType.F32), ops.out(lse, DType.F32), rows, vocab);
        }
    }

    @Override public void crossEntropyBackward(Buffer logits, Buffer targets, Buffer lse, Buffer dloss, Buffer dlogits,
                                               int rows, int vocab) {
        DType dt = floating(logits);
        try (Operands ops = new Operands()) {
            launchRows("crossentropy", "crossentropy_backward_" + suffix(dt), rows, cuda(logits), ints(targets),
                    ops.in(lse, DType.F32), ops.in(dloss, DType.F32), ops.out(dlogits, dt), rows, vocab);
        }
    }

    // ---- optimizer ----------------------------------------------------------------------------------------

    /**
     * F32 parameters update in place. A BF16 parameter gets an F32 master copy (made from it on the first step and
     * closed with it) that carries the update; the parameter is its rounding. Moments are F32.
     */
    @Override public void adamw(Buffer param, Buffer grad, Buffer m, Buffer v, long n, float lr, float beta1, float beta2,
                                float eps, float weightDecay, int t, float gradScale) {
        CudaBuffer p = cuda(param);
        float bc1 = 1f - (float) Math.pow(beta1, t), bc2 = 1f - (float) Math.pow(beta2, t);
        try (Operands ops = new Operands()) {
            CudaBuffer mm = ops.inout(m, DType.F32), vv = ops.inout(v, DType.F32);
            if (floating(p) == DType.F32) {
                launchFlat("adamw", "adamw_f32", n, p, ops.in(grad, DType.F32), mm, vv, n, lr, beta1, beta2, eps, weightDecay,
                        bc1, bc2, gradScale);
            } else {
                CudaBuffer master = p.attached();
                if (master == null) {
                    master = newBuffer(DType.F32, p.length());
                    convert(p, master, p.length());
                    p.attach(master);
                }
                launchFlat("adamw", "adamw_bf16", n, master, p, ops.in(grad, DType.BF16), mm, vv, n, lr, beta1, beta2, eps,
                        weightDecay, bc1, bc2, gradScale);
            }
        }
    }
}
