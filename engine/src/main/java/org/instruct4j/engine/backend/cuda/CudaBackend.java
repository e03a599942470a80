package org.instruct4j.engine.backend.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.instruct4j.engine.Bf16;
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
    private static final long CUBLAS_WORKSPACE = 32L << 20;
    /** Static plus dynamic shared memory a block may use without opting in (cuFuncSetAttribute). */
    static final int DEFAULT_SHARED_LIMIT = 48 * 1024;
    private static volatile Boolean available;

    private final CudaDriver driver;
    private final int ordinal;
    private final String name, arch;
    private final MemorySegment stream, context;
    /** The context each platform thread last made current: the driver's current context is per OS thread. */
    private static final ThreadLocal<MemorySegment> CURRENT = new ThreadLocal<>();
    /**
     * -Dinstruct4j.cuda.syncLaunches=true: wait for every kernel as it is launched, so that a fault names the kernel
     * that made it. A GPU reports a kernel's illegal address at some later call instead (the emulated device at the
     * launch itself). Slow: for first contact with a GPU and for debugging.
     */
    private static final boolean SYNC_LAUNCHES = Boolean.getBoolean("instruct4j.cuda.syncLaunches");
    private final CachingAllocator allocator;
    private final KernelCache kernelCache;
    private final Map<String, MemorySegment> modules = new HashMap<>();
    private final Map<String, MemorySegment> functions = new HashMap<>();
    /** Per kernel: its static shared memory (read once) and the dynamic size it is opted in for. */
    private final Map<String, Integer> staticShared = new HashMap<>(), optedIn = new HashMap<>();
    private final CuBlas cublas;
    private final MemorySegment cublasHandle;
    private final AttentionPlan attentionPlan = new AttentionPlan();
    private final String nvrtcRelease;
    private final int driverVersion;

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
            @Override public long allocate(long bytes) { return driver().malloc(bytes); }
            @Override public void free(long pointer) { driver().free(pointer); }
        });
        this.driverVersion = driver.driverVersion();
        Nvrtc nvrtc = Nvrtc.forDriver(driverVersion);
        this.nvrtcRelease = nvrtc.release();
        this.kernelCache = new KernelCache(KernelCache.defaultDirectory(), nvrtc);
        this.cublas = CuBlas.forDriver(driverVersion);
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

    /**
     * Makes this backend's context current on the calling thread (the driver keeps one per OS thread). A virtual
     * thread may resume on another carrier thread between any two calls, so it sets the context every time.
     */
    private void current() {
        if (Thread.currentThread().isVirtual()) {
            driver.setCurrent(context);
        } else if (CURRENT.get() != context) {
            driver.setCurrent(context);
            CURRENT.set(context);
        }
    }

    /**
     * The driver, with this backend's context current on the calling thread. Every driver call after the
     * constructor goes through here: a thread that never launched a kernel (a data loader uploading a batch,
     * a checkpoint writer downloading weights) would otherwise copy with no context or another device's.
     */
    private CudaDriver driver() {
        current();
        return driver;
    }

    CachingAllocator allocator() { return allocator; }

    public AllocatorStats memoryStats() { return allocator.stats(); }

    public KernelCache kernelCache() { return kernelCache; }

    /** Waits for all queued work. */
    public void synchronize() { driver().synchronize(stream); }

    @Override public Device device() { return Device.cuda(ordinal); }

    @Override public String describe() { return "cuda:" + ordinal + " (" + name + ", " + arch + ")"; }

    // ---- launching --------------------------------------------------------------------------------------------

    private synchronized MemorySegment function(String module, String kernel) {
        MemorySegment f = functions.get(kernel);
        if (f != null) return f;
        MemorySegment m = modules.computeIfAbsent(module, mod -> loadModule(kernelCache.image(KernelSources.load(mod), arch), mod));
        f = driver().function(m, kernel);
        functions.put(kernel, f);
        return f;
    }

    private MemorySegment loadModule(byte[] image, String module) {
        try {
            return driver().loadModule(image);
        } catch (CudaException e) {
            throw new CudaException("the driver (CUDA " + driverVersion / 1000 + "." + (driverVersion % 1000) / 10 + ") refused "
                    + module + ".cu as compiled by " + nvrtcRelease + " for " + arch + " (cached in " + KernelCache.defaultDirectory()
                    + "): " + e.getMessage(), e.status());
        }
    }

    /**
     * Whether a block with this static and dynamic shared memory needs the opt-in attribute: the default limit
     * holds both together, so a kernel with static shared memory opts in below 48 KB of dynamic memory.
     */
    static boolean needsSharedOptIn(int staticBytes, int dynamicBytes) {
        return staticBytes + dynamicBytes > DEFAULT_SHARED_LIMIT;
    }

    /** Runs a launch on the stream (an empty one is skipped); every kernel the backend runs goes through here. */
    private void run(KernelLaunch l) {
        if (l.isEmpty()) return;
        MemorySegment f = function(l.module(), l.kernel());
        optInSharedMemory(l.kernel(), f, l.sharedBytes());
        try (Arena arena = Arena.ofConfined()) {
            driver().launch(l.kernel(), f, l.grid(), l.block(), l.sharedBytes(), stream, KernelArgs.pack(arena, l.args()));
        }
        if (SYNC_LAUNCHES) {
            try {
                driver().synchronize(stream);
            } catch (CudaException e) {
                if (!CudaException.isKernelFault(e.status())) throw e;
                throw new CudaException(l.kernel() + " (kernels/src/" + l.module() + ".cu, grid " + Arrays.toString(l.grid())
                        + ", block " + Arrays.toString(l.block()) + ") faulted: " + driver.describe(e.status())
                        + "; the process's CUDA context is lost: restart it", e.status());
            }
        }
    }

    private synchronized void optInSharedMemory(String kernel, MemorySegment f, int dynamicBytes) {
        int fixed = staticShared.computeIfAbsent(kernel, k -> driver().functionAttribute(f, CudaDriver.FUNC_ATTR_SHARED_SIZE_BYTES));
        if (!needsSharedOptIn(fixed, dynamicBytes) || optedIn.getOrDefault(kernel, 0) >= dynamicBytes) return;
        driver().setFunctionAttribute(f, CudaDriver.FUNC_ATTR_MAX_DYNAMIC_SHARED_SIZE_BYTES, dynamicBytes);
        optedIn.put(kernel, dynamicBytes);
    }

    /**
     * b as this backend's buffer. Another backend's is refused, even on the same device: each backend has its own
     * stream, and two streams are not ordered against each other on a GPU (the emulated device runs every call in order).
     */
    CudaBuffer cuda(Buffer b) {
        if (!(b instanceof CudaBuffer c))
            throw new IllegalArgumentException("expected a CUDA buffer, got " + (b == null ? "null" : b.getClass().getSimpleName() + " on " + b.backend().device()));
        if (c.backend() != this)
            throw new IllegalArgumentException("a buffer of another CUDA backend on " + c.backend().device() + " (opened twice?): its work"
                    + " is on another stream; take the device's one backend from Backends");
        return c;
    }

    private DType floating(Buffer b) {
        DType d = cuda(b).dtype();
        if (!d.isFloating()) throw new IllegalArgumentException("expected an F32 or BF16 buffer, got I32");
        return d;
    }

    private CudaBuffer ints(Buffer b) {
        CudaBuffer c = cuda(b);
        if (c.dtype() != DType.I32) throw new IllegalArgumentException("expected an I32 buffer (ids, targets), got " + c.dtype());
        return c;
    }

    private CudaBuffer newBuffer(DType dtype, long length) {
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
        run(Launches.convert(src, dst, n));
    }

    // ---- memory -------------------------------------------------------------------------------------------

    @Override public Buffer allocate(DType dtype, long length) {
        CudaBuffer b = newBuffer(dtype, length);
        driver().memsetAsync(b.pointer(), 0, Math.max(1, b.bytes()), stream);
        return b;
    }

    @Override public void fill(Buffer buffer, float value) {
        CudaBuffer b = cuda(buffer);
        run(Launches.fill(b, value, b.length()));
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
            driver().copyToDevice(d.pointer(), host, host.byteSize());
        }
    }

    @Override public void upload(int[] src, Buffer dst) {
        CudaBuffer d = ints(dst);
        checkFits(src.length, d, "upload");
        if (src.length == 0) return;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocateFrom(Native.INT, src);
            driver().copyToDevice(d.pointer(), host, host.byteSize());
        }
    }

    @Override public float[] downloadFloats(Buffer src) {
        CudaBuffer s = cuda(src);
        int n = Math.toIntExact(s.length());
        float[] out = new float[n];
        if (n == 0) return out;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate(s.bytes());
            driver().copyToHost(host, s.pointer(), s.bytes());
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
            driver().copyToHost(host, s.pointer(), s.bytes());
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
            driver().copyDeviceAsync(d.pointer() + dstOffset * bytes, s.pointer() + srcOffset * bytes, rows * cols * bytes, stream);
            return;
        }
        run(Launches.copyBlock(s, srcOffset, srcStride, d, dstOffset, dstStride, rows, cols));
    }

    @Override public void transpose12(Buffer x, Buffer out, int d0, int d1, int d2, int d3) {
        CudaBuffer s = cuda(x);
        try (Operands ops = new Operands()) {
            CudaBuffer o = s.dtype().isFloating() ? ops.out(out, s.dtype()) : ints(out);
            run(Launches.transpose12(s, o, d0, d1, d2, d3));
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
            current();  // cuBLAS runs in the calling thread's current context
            cublas.gemm(cublasHandle, GemmOperands.rowMajor(transA, transB, m, n, k), batch, alpha,
                    ca.pointer(), dt, strideA, cb.pointer(), dt, strideB, beta, cc.pointer(), ct, strideC);
        }
    }

    // ---- elementwise --------------------------------------------------------------------------------------

    @Override public void add(Buffer a, Buffer b, Buffer out, long n, long bPeriod) {
        DType dt = floating(a);
        try (Operands ops = new Operands()) {
            run(Launches.add(cuda(a), ops.in(b, dt), ops.out(out, dt), n, bPeriod));
        }
    }

    @Override public void mul(Buffer a, Buffer b, Buffer out, long n, long bPeriod) {
        DType dt = floating(a);
        try (Operands ops = new Operands()) {
            run(Launches.mul(cuda(a), ops.in(b, dt), ops.out(out, dt), n, bPeriod));
        }
    }

    @Override public void axpby(float alpha, Buffer x, float beta, Buffer y, Buffer out, long n) {
        DType dt = floating(x);
        try (Operands ops = new Operands()) {
            run(Launches.axpby(alpha, cuda(x), beta, y == null || beta == 0f ? null : ops.in(y, dt), ops.out(out, dt), n));
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
            else run(Launches.sumRowsPartial(cuda(x), partial, rows, (int) cols, rowsPerChunk, (int) chunks));
            run(Launches.sumRowsFinal(partial, (int) chunks, (int) cols, ops.out(out, dt)));
        }
    }

    @Override public void sum(Buffer x, Buffer out, long n) { fullSum(x, out, n, false); }

    @Override public void sumSquares(Buffer x, Buffer out, long n) { fullSum(x, out, n, true); }

    /** Two passes with a block count fixed by n, so the result is deterministic. */
    private void fullSum(Buffer x, Buffer out, long n, boolean squares) {
        DType dt = floating(x);
        int blocks = (int) Math.max(1, Math.min(1024, (n + Launches.THREADS - 1) / Launches.THREADS));
        try (Operands ops = new Operands()) {
            CudaBuffer partial = ops.temp(DType.F32, blocks);
            run(Launches.sumPartial(cuda(x), partial, n, squares, blocks));
            CudaBuffer o = cuda(out);
            run(Launches.sumFinal(partial, blocks, ops.out(out, o.dtype().isFloating() ? o.dtype() : dt)));
        }
    }

    @Override public void broadcastScalar(Buffer scalar, float factor, Buffer out, long n) {
        DType dt = floating(out);
        try (Operands ops = new Operands()) {
            run(Launches.broadcastScalar(ops.in(scalar, dt), factor, cuda(out), n));
        }
    }

    @Override public void gelu(Buffer x, Buffer out, long n) {
        DType dt = floating(x);
        try (Operands ops = new Operands()) {
            run(Launches.gelu(cuda(x), ops.out(out, dt), n));
        }
    }

    @Override public void geluBackward(Buffer x, Buffer dout, Buffer dx, long n) {
        DType dt = floating(x);
        try (Operands ops = new Operands()) {
            run(Launches.geluBackward(cuda(x), ops.in(dout, dt), ops.out(dx, dt), n));
        }
    }

    @Override public void dropout(Buffer x, Buffer out, long n, float p, long seed) {
        DType dt = floating(x);
        try (Operands ops = new Operands()) {
            run(Launches.dropout(cuda(x), ops.out(out, dt), n, p, seed));
        }
    }

    // ---- normalisation and softmax ------------------------------------------------------------------------

    @Override public void layerNorm(Buffer x, Buffer weight, Buffer bias, Buffer out, Buffer mean, Buffer rstd,
                                    int rows, int cols, float eps) {
        DType dt = floating(x);
        try (Operands ops = new Operands()) {
            run(Launches.layerNorm(cuda(x), ops.in(weight, dt), ops.in(bias, dt), ops.out(out, dt), ops.out(mean, DType.F32),
                    ops.out(rstd, DType.F32), rows, cols, eps));
        }
    }

    @Override public void layerNormBackward(Buffer dout, Buffer x, Buffer weight, Buffer mean, Buffer rstd,
                                            Buffer dx, Buffer dweight, Buffer dbias, int rows, int cols) {
        DType dt = floating(x);
        if (Launches.layerNormBackwardSharedBytes(cols) > 96 * 1024)
            throw new IllegalArgumentException("layerNormBackward: " + cols + " columns is more than the kernel's shared memory holds");
        int chunks = Math.max(1, Math.min(rows, 512));
        int rowsPerChunk = (rows + chunks - 1) / chunks;
        chunks = Math.max(1, (rows + rowsPerChunk - 1) / Math.max(1, rowsPerChunk));
        try (Operands ops = new Operands()) {
            CudaBuffer pdw = ops.temp(DType.F32, (long) chunks * cols), pdb = ops.temp(DType.F32, (long) chunks * cols);
            run(Launches.layerNormBackward(ops.in(dout, dt), cuda(x), ops.in(weight, dt), ops.in(mean, DType.F32),
                    ops.in(rstd, DType.F32), ops.out(dx, dt), pdw, pdb, rows, cols, chunks, Math.max(1, rowsPerChunk)));
            run(Launches.layerNormBackwardFinish(pdw, pdb, ops.out(dweight, dt), ops.out(dbias, dt), chunks, cols));
        }
    }

    @Override public void softmax(Buffer x, Buffer out, int rows, int cols) {
        DType dt = floating(x);
        try (Operands ops = new Operands()) {
            run(Launches.softmax(cuda(x), ops.out(out, dt), rows, cols));
        }
    }

    @Override public void softmaxBackward(Buffer y, Buffer dy, Buffer dx, int rows, int cols) {
        DType dt = floating(y);
        try (Operands ops = new Operands()) {
            run(Launches.softmaxBackward(cuda(y), ops.in(dy, dt), ops.out(dx, dt), rows, cols));
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
            runPlan(attentionPlan.forward(dt, batch, heads, tq, tk, headDim), bind);
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
            CudaBuffer delta = ops.temp(DType.F32, AttentionPlan.deltaBytes(batch, heads, tq) / Float.BYTES);
            driver().memsetAsync(delta.pointer(), 0, delta.bytes(), stream);
            bind.put(AttentionArg.WORKSPACE_DELTA, delta);
            runPlan(attentionPlan.backward(dt, batch, heads, tq, tk, headDim), bind);
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

    /** Binds every argument of the plan's launches and runs them in order. */
    private void runPlan(List<KernelLaunch> launches, Map<AttentionArg, Object> bind) {
        for (KernelLaunch l : launches) run(bind(l, bind));
    }

    /** The launch with each AttentionArg replaced by its value. */
    static KernelLaunch bind(KernelLaunch l, Map<AttentionArg, Object> bind) {
        List<Object> values = new ArrayList<>();
        for (Object a : l.args()) {
            Object value = bind.get((AttentionArg) a);
            if (value == null) throw new IllegalStateException("attention kernel " + l.kernel() + " needs " + a + ", which is not bound");
            values.add(value);
        }
        return new KernelLaunch(l.module(), l.kernel(), l.grid(), l.block(), l.sharedBytes(), values);
    }

    // ---- embedding, cross-entropy -------------------------------------------------------------------------

    @Override public void embedding(Buffer table, Buffer ids, Buffer out, int n, int dim) {
        DType dt = floating(table);
        int vocab = (int) (cuda(table).length() / Math.max(1, dim));
        try (Operands ops = new Operands()) {
            run(Launches.embedding(cuda(table), ints(ids), ops.out(out, dt), n, dim, vocab));
        }
    }

    @Override public void embeddingBackward(Buffer dout, Buffer ids, Buffer dtable, int n, int dim, int vocab) {
        DType dt = floating(dout);
        int[] hostIds = downloadInts(ids);  // small (n ints); lets each table row be owned by one block
        EmbeddingBuckets buckets = EmbeddingBuckets.of(hostIds, n, vocab);
        try (Operands ops = new Operands()) {
            CudaBuffer d = ops.out(dtable, dt);
            run(Launches.fill(d, 0f, (long) vocab * dim));
            if (buckets.count() == 0) return;
            run(Launches.embeddingBackward(cuda(dout), ops.ints(buckets.positions()), ops.ints(buckets.bucketStart()),
                    ops.ints(buckets.bucketId()), d, dim, buckets.count()));
        }
    }

    @Override public void crossEntropy(Buffer logits, Buffer targets, Buffer loss, Buffer lse, int rows, int vocab) {
        DType dt = floating(logits);
        try (Operands ops = new Operands()) {
            run(Launches.crossEntropy(cuda(logits), ints(targets), ops.out(loss, DType.F32), ops.out(lse, DType.F32), rows, vocab));
        }
    }

    @Override public void crossEntropyBackward(Buffer logits, Buffer targets, Buffer lse, Buffer dloss, Buffer dlogits,
                                               int rows, int vocab) {
        DType dt = floating(logits);
        try (Operands ops = new Operands()) {
            run(Launches.crossEntropyBackward(cuda(logits), ints(targets), ops.in(lse, DType.F32), ops.in(dloss, DType.F32),
                    ops.out(dlogits, dt), rows, vocab));
        }
    }

    // ---- optimizer ----------------------------------------------------------------------------------------

    /**
     * F32 parameters update in place. A BF16 parameter's update is carried by its F32 master weight (the optimizer's
     * state, so checkpoints hold it); the parameter gets its rounding. Moments are F32.
     */
    @Override public void adamw(Buffer param, Buffer master, Buffer grad, Buffer m, Buffer v, long n, float lr, float beta1,
                                float beta2, float eps, float weightDecay, int t, float gradScale) {
        CudaBuffer p = cuda(param);
        var step = new Launches.AdamWStep(lr, beta1, beta2, eps, weightDecay, 1f - (float) StrictMath.pow(beta1, t),
                1f - (float) StrictMath.pow(beta2, t), gradScale);
        try (Operands ops = new Operands()) {
            CudaBuffer mm = ops.inout(m, DType.F32), vv = ops.inout(v, DType.F32);
            if (floating(p) == DType.F32) {
                run(Launches.adamw(p, ops.in(grad, DType.F32), mm, vv, n, step));
            } else {
                if (master == null) throw new IllegalArgumentException("adamw: the BF16 parameter " + p + " needs its F32 master weight");
                run(Launches.adamwMaster(ops.inout(master, DType.F32), p, ops.in(grad, DType.BF16), mm, vv, n, step));
            }
        }
    }
}
