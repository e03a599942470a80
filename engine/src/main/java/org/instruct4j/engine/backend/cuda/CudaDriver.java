package org.instruct4j.engine.backend.cuda;

import static org.instruct4j.engine.backend.cuda.Native.INT;
import static org.instruct4j.engine.backend.cuda.Native.LONG;
import static org.instruct4j.engine.backend.cuda.Native.PTR;
import static org.instruct4j.engine.backend.cuda.Native.callStatus;
import static org.instruct4j.engine.backend.cuda.Native.require;
import static org.instruct4j.engine.backend.cuda.Native.status;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.List;

/**
 * The CUDA driver API (libcuda.so.1) through java.lang.foreign: devices, the primary context, streams,
 * memory, modules and kernel launches. Every call's CUresult is checked and turned into a CudaException with
 * cuGetErrorName / cuGetErrorString. Device pointers are plain longs; handles are MemorySegments.
 */
public final class CudaDriver {
    public static final int ATTR_MULTIPROCESSOR_COUNT = 16;
    public static final int ATTR_COMPUTE_CAPABILITY_MAJOR = 75;
    public static final int ATTR_COMPUTE_CAPABILITY_MINOR = 76;
    /** CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES: a kernel's static shared memory. */
    public static final int FUNC_ATTR_SHARED_SIZE_BYTES = 1;
    public static final int FUNC_ATTR_MAX_DYNAMIC_SHARED_SIZE_BYTES = 8;
    static final int ERROR_OUT_OF_MEMORY = 2;

    private static volatile CudaDriver instance;

    private final NativeLibraries.Loaded lib;
    private final MethodHandle cuInit, cuDriverGetVersion, cuDeviceGetCount, cuDeviceGet, cuDeviceGetName,
            cuDeviceGetAttribute, cuDeviceTotalMem, cuDevicePrimaryCtxRetain, cuCtxSetCurrent, cuStreamCreate,
            cuStreamSynchronize, cuMemAlloc, cuMemFree, cuMemcpyHtoD, cuMemcpyDtoH, cuMemcpyDtoDAsync, cuMemsetD8Async,
            cuModuleLoadData, cuModuleGetFunction, cuFuncGetAttribute, cuFuncSetAttribute, cuLaunchKernel, cuGetErrorName,
            cuGetErrorString;

    private CudaDriver(NativeLibraries.Loaded lib) {
        this.lib = lib;
        cuInit = require(lib, "cuInit", status(INT));
        cuDriverGetVersion = require(lib, "cuDriverGetVersion", status(PTR));
        cuDeviceGetCount = require(lib, "cuDeviceGetCount", status(PTR));
        cuDeviceGet = require(lib, "cuDeviceGet", status(PTR, INT));
        cuDeviceGetName = require(lib, "cuDeviceGetName", status(PTR, INT, INT));
        cuDeviceGetAttribute = require(lib, "cuDeviceGetAttribute", status(PTR, INT, INT));
        cuDeviceTotalMem = require(lib, "cuDeviceTotalMem_v2", status(PTR, INT));
        cuDevicePrimaryCtxRetain = require(lib, "cuDevicePrimaryCtxRetain", status(PTR, INT));
        cuCtxSetCurrent = require(lib, "cuCtxSetCurrent", status(PTR));
        cuStreamCreate = require(lib, "cuStreamCreate", status(PTR, INT));
        cuStreamSynchronize = require(lib, "cuStreamSynchronize", status(PTR));
        cuMemAlloc = require(lib, "cuMemAlloc_v2", status(PTR, LONG));
        cuMemFree = require(lib, "cuMemFree_v2", status(LONG));
        cuMemcpyHtoD = require(lib, "cuMemcpyHtoD_v2", status(LONG, PTR, LONG));
        cuMemcpyDtoH = require(lib, "cuMemcpyDtoH_v2", status(PTR, LONG, LONG));
        cuMemcpyDtoDAsync = require(lib, "cuMemcpyDtoDAsync_v2", status(LONG, LONG, LONG, PTR));
        cuMemsetD8Async = require(lib, "cuMemsetD8Async", status(LONG, Native.INT, LONG, PTR));
        cuModuleLoadData = require(lib, "cuModuleLoadData", status(PTR, PTR));
        cuModuleGetFunction = require(lib, "cuModuleGetFunction", status(PTR, PTR, PTR));
        cuFuncGetAttribute = require(lib, "cuFuncGetAttribute", status(PTR, INT, PTR));
        cuFuncSetAttribute = require(lib, "cuFuncSetAttribute", status(PTR, INT, INT));
        cuLaunchKernel = require(lib, "cuLaunchKernel",
                status(PTR, INT, INT, INT, INT, INT, INT, INT, PTR, PTR, PTR));
        cuGetErrorName = require(lib, "cuGetErrorName", status(INT, PTR));
        cuGetErrorString = require(lib, "cuGetErrorString", status(INT, PTR));
    }

    /** Loads libcuda.so.1 and calls cuInit(0), once per JVM. */
    public static CudaDriver get() {
        CudaDriver d = instance;
        if (d != null) return d;
        synchronized (CudaDriver.class) {
            if (instance == null) {
                CudaDriver driver = new CudaDriver(NativeLibraries.load("the CUDA driver (libcuda)", List.of("libcuda.so.1", "libcuda.so")));
                driver.check("cuInit", callStatus(driver.cuInit, 0));
                instance = driver;
            }
            return instance;
        }
    }

    public String loadedFrom() { return lib.from(); }

    /** "CUDA_ERROR_X (description)" for a CUresult. */
    String describe(int status) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment name = arena.allocate(PTR), text = arena.allocate(PTR);
            String n = callStatus(cuGetErrorName, status, name) == 0 ? Native.string(name.get(PTR, 0)) : null;
            String s = callStatus(cuGetErrorString, status, text) == 0 ? Native.string(text.get(PTR, 0)) : null;
            if (n == null) n = StatusNames.driver(status);
            return s == null ? n : n + " (" + s + ")";
        }
    }

    void check(String call, int status) { CudaException.check("CUDA driver", call, status, this::describe); }

    private int intOut(String call, MethodHandle h, Object... rest) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(INT);
            Object[] args = prepend(out, rest);
            check(call, callStatus(h, args));
            return out.get(INT, 0);
        }
    }

    private long longOut(String call, MethodHandle h, Object... rest) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(LONG);
            check(call, callStatus(h, prepend(out, rest)));
            return out.get(LONG, 0);
        }
    }

    private MemorySegment handleOut(String call, MethodHandle h, Object... rest) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(PTR);
            check(call, callStatus(h, prepend(out, rest)));
            return out.get(PTR, 0);
        }
    }

    private static Object[] prepend(Object first, Object[] rest) {
        Object[] all = new Object[rest.length + 1];
        all[0] = first;
        System.arraycopy(rest, 0, all, 1, rest.length);
        return all;
    }

    // ---- devices and contexts -------------------------------------------------------------------------------

    /** The driver's CUDA version as major * 1000 + minor * 10 (e.g. 13000). */
    public int driverVersion() { return intOut("cuDriverGetVersion", cuDriverGetVersion); }

    public int deviceCount() { return intOut("cuDeviceGetCount", cuDeviceGetCount); }

    public int device(int ordinal) { return intOut("cuDeviceGet", cuDeviceGet, ordinal); }

    public String deviceName(int device) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(256);
            check("cuDeviceGetName", callStatus(cuDeviceGetName, buf, 256, device));
            return buf.getString(0);
        }
    }

    public int attribute(int attribute, int device) { return intOut("cuDeviceGetAttribute", cuDeviceGetAttribute, attribute, device); }

    public long totalMemory(int device) { return longOut("cuDeviceTotalMem_v2", cuDeviceTotalMem, device); }

    public MemorySegment retainPrimaryContext(int device) {
        return handleOut("cuDevicePrimaryCtxRetain", cuDevicePrimaryCtxRetain, device);
    }

    public void setCurrent(MemorySegment context) { check("cuCtxSetCurrent", callStatus(cuCtxSetCurrent, context)); }

    // ---- streams --------------------------------------------------------------------------------------------

    /** A stream that synchronises with the legacy default stream (flags 0), so blocking copies stay ordered. */
    public MemorySegment createStream() { return handleOut("cuStreamCreate", cuStreamCreate, 0); }

    public void synchronize(MemorySegment stream) { check("cuStreamSynchronize", callStatus(cuStreamSynchronize, stream)); }

    // ---- memory ---------------------------------------------------------------------------------------------

    public long malloc(long bytes) { return longOut("cuMemAlloc_v2", cuMemAlloc, bytes); }

    public void free(long pointer) { check("cuMemFree_v2", callStatus(cuMemFree, pointer)); }

    /** Blocking copy from host memory; ordered after earlier work on blocking streams. */
    public void copyToDevice(long dst, MemorySegment src, long bytes) {
        check("cuMemcpyHtoD_v2", callStatus(cuMemcpyHtoD, dst, src, bytes));
    }

    /** Blocking copy to host memory; waits for earlier work on blocking streams. */
    public void copyToHost(MemorySegment dst, long src, long bytes) {
        check("cuMemcpyDtoH_v2", callStatus(cuMemcpyDtoH, dst, src, bytes));
    }

    public void copyDeviceAsync(long dst, long src, long bytes, MemorySegment stream) {
        check("cuMemcpyDtoDAsync_v2", callStatus(cuMemcpyDtoDAsync, dst, src, bytes, stream));
    }

    public void memsetAsync(long dst, int value, long bytes, MemorySegment stream) {
        check("cuMemsetD8Async", callStatus(cuMemsetD8Async, dst, value & 0xff, bytes, stream));
    }

    // ---- modules and launches -------------------------------------------------------------------------------

    public MemorySegment loadModule(byte[] image) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment img = arena.allocate(image.length + 1L);
            MemorySegment.copy(image, 0, img, Native.BYTE, 0, image.length);
            return handleOut("cuModuleLoadData", cuModuleLoadData, img);
        }
    }

    public MemorySegment function(MemorySegment module, String name) {
        try (Arena arena = Arena.ofConfined()) {
            return handleOut("cuModuleGetFunction(" + name + ")", cuModuleGetFunction, module, arena.allocateFrom(name));
        }
    }

    public int functionAttribute(MemorySegment function, int attribute) {
        return intOut("cuFuncGetAttribute", cuFuncGetAttribute, attribute, function);
    }

    public void setFunctionAttribute(MemorySegment function, int attribute, int value) {
        check("cuFuncSetAttribute", callStatus(cuFuncSetAttribute, function, attribute, value));
    }

    /**
     * params is a void*[] holding one pointer per kernel argument to that argument's value. The one driver call of
     * every op, so it is called exactly typed: invokeWithArguments boxes its arguments into an array at every call (a
     * one-argument libc call in a loop on this project's 2-core Zen 5: 90-520 ns against 10 exactly typed; a JVM
     * figure, not a GPU one), and the call's name is put together only when it failed.
     */
    public void launch(String name, MemorySegment function, int[] grid, int[] block, int sharedBytes, MemorySegment stream,
                       MemorySegment params) {
        int status;
        try {
            status = (int) cuLaunchKernel.invokeExact(function, grid[0], grid[1], grid[2], block[0], block[1], block[2], sharedBytes,
                    stream, params, MemorySegment.NULL);
        } catch (Throwable t) {
            throw Native.failed(t);
        }
        if (status != 0) check("cuLaunchKernel(" + name + ")", status);
    }
}
