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
import org.instruct4j.engine.DType;

/**
 * cuBLAS (libcublas.so.13, then .12): one handle bound to the backend's stream and workspace, and the batched
 * strided GEMM in F32 or BF16 storage with F32 compute (CUBLAS_COMPUTE_32F: no TF32, so F32 results match the CPU).
 * cuBLAS is column-major; GemmOperands turns the engine's row-major product into its arguments.
 */
public final class CuBlas {
    static final int OP_N = 0, OP_T = 1;
    static final int CUDA_R_32F = 0, CUDA_R_16BF = 14;
    static final int COMPUTE_32F = 68;
    static final int GEMM_DEFAULT = -1;

    private static volatile CuBlas instance;

    private final NativeLibraries.Loaded lib;
    private final MethodHandle cublasCreate, cublasSetStream, cublasSetWorkspace, cublasGemmStridedBatchedEx,
            cublasGetStatusString;

    private CuBlas(NativeLibraries.Loaded lib) {
        this.lib = lib;
        cublasCreate = require(lib, "cublasCreate_v2", status(PTR));
        cublasSetStream = require(lib, "cublasSetStream_v2", status(PTR, PTR));
        cublasSetWorkspace = Native.find(lib, "cublasSetWorkspace_v2", status(PTR, LONG, LONG));
        cublasGemmStridedBatchedEx = require(lib, "cublasGemmStridedBatchedEx", status(
                PTR, INT, INT, INT, INT, INT,
                PTR, LONG, INT, INT, LONG,
                LONG, INT, INT, LONG,
                PTR, LONG, INT, INT, LONG,
                INT, INT, INT));
        cublasGetStatusString = Native.find(lib, "cublasGetStatusString", FunctionDescriptor.of(PTR, INT));
    }

    /**
     * cuBLAS of the driver's major version or older, newest first: a cuBLAS 13 found first would not start on a
     * CUDA 12 driver, where a cuBLAS 12 beside it would.
     */
    public static CuBlas forDriver(int driverVersion) {
        CuBlas c = instance;
        if (c != null) return c;
        synchronized (CuBlas.class) {
            if (instance == null) instance = new CuBlas(NativeLibraries.load("cuBLAS", sonames(driverVersion)));
            return instance;
        }
    }

    static List<String> sonames(int driverVersion) { return NativeLibraries.forDriver("libcublas.so", List.of(13, 12), driverVersion); }

    public String loadedFrom() { return lib.from(); }

    String describe(int status) {
        String name = StatusNames.cublas(status);
        if (cublasGetStatusString == null) return name;
        String s = Native.string((MemorySegment) Native.call(cublasGetStatusString, status));
        return s == null ? name : name + " / " + s;
    }

    private void check(String call, int status) { CudaException.check("cuBLAS", call, status, this::describe); }

    /** A handle whose work goes to stream, with a workspace of workspaceBytes at workspace (0: cuBLAS's own). */
    public MemorySegment createHandle(MemorySegment stream, long workspace, long workspaceBytes) {
        MemorySegment handle;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(PTR);
            check("cublasCreate_v2", callStatus(cublasCreate, out));
            handle = out.get(PTR, 0);
        }
        check("cublasSetStream_v2", callStatus(cublasSetStream, handle, stream));
        if (cublasSetWorkspace != null && workspaceBytes > 0)
            check("cublasSetWorkspace_v2", callStatus(cublasSetWorkspace, handle, workspace, workspaceBytes));
        return handle;
    }

    static int dataType(DType dtype) {
        return switch (dtype) {
            case F32 -> CUDA_R_32F;
            case BF16 -> CUDA_R_16BF;
            case I32 -> throw new IllegalArgumentException("gemm of I32 buffers");
        };
    }

    /** The engine's row-major batched product, given as column-major cuBLAS operands by GemmOperands. */
    public void gemm(MemorySegment handle, GemmOperands g, int batch, float alpha, long a, DType aType, long strideA,
                     long b, DType bType, long strideB, float beta, long c, DType cType, long strideC) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment al = arena.allocateFrom(Native.FLOAT, alpha), be = arena.allocateFrom(Native.FLOAT, beta);
            // first operand is B, second is A (C^T = op(B)^T op(A)^T in column-major terms)
            check("cublasGemmStridedBatchedEx", callStatus(cublasGemmStridedBatchedEx, handle,
                    g.transFirst() ? OP_T : OP_N, g.transSecond() ? OP_T : OP_N, g.m(), g.n(), g.k(),
                    al, b, dataType(bType), g.ldFirst(), strideB,
                    a, dataType(aType), g.ldSecond(), strideA,
                    be, c, dataType(cType), g.ldc(), strideC,
                    batch, COMPUTE_32F, GEMM_DEFAULT));
        }
    }
}
