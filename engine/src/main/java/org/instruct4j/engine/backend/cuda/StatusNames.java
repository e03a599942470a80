package org.instruct4j.engine.backend.cuda;

/** Names of the status codes the libraries may not describe themselves (old versions, or a failed lookup). */
final class StatusNames {
    private StatusNames() {}

    /** cublasStatus_t, as in cublas_api.h. */
    static String cublas(int status) {
        return switch (status) {
            case 0 -> "CUBLAS_STATUS_SUCCESS";
            case 1 -> "CUBLAS_STATUS_NOT_INITIALIZED (the handle was not created)";
            case 3 -> "CUBLAS_STATUS_ALLOC_FAILED (cuBLAS could not allocate memory)";
            case 7 -> "CUBLAS_STATUS_INVALID_VALUE (an unsupported value or parameter)";
            case 8 -> "CUBLAS_STATUS_ARCH_MISMATCH (the GPU lacks a feature this call needs)";
            case 11 -> "CUBLAS_STATUS_MAPPING_ERROR (GPU memory access failed)";
            case 13 -> "CUBLAS_STATUS_EXECUTION_FAILED (the kernel failed to run)";
            case 14 -> "CUBLAS_STATUS_INTERNAL_ERROR";
            case 15 -> "CUBLAS_STATUS_NOT_SUPPORTED (this combination of types or options is not supported)";
            case 16 -> "CUBLAS_STATUS_LICENSE_ERROR";
            default -> "CUBLAS status " + status;
        };
    }

    /** The CUresult codes seen most often, for when cuGetErrorName itself cannot be called. */
    static String driver(int status) {
        return switch (status) {
            case 0 -> "CUDA_SUCCESS";
            case 1 -> "CUDA_ERROR_INVALID_VALUE";
            case 2 -> "CUDA_ERROR_OUT_OF_MEMORY";
            case 3 -> "CUDA_ERROR_NOT_INITIALIZED";
            case 4 -> "CUDA_ERROR_DEINITIALIZED";
            case 100 -> "CUDA_ERROR_NO_DEVICE";
            case 101 -> "CUDA_ERROR_INVALID_DEVICE";
            case 200 -> "CUDA_ERROR_INVALID_IMAGE";
            case 201 -> "CUDA_ERROR_INVALID_CONTEXT";
            case 209 -> "CUDA_ERROR_NO_BINARY_FOR_GPU";
            case 218 -> "CUDA_ERROR_INVALID_PTX";
            case 400 -> "CUDA_ERROR_INVALID_HANDLE";
            case 500 -> "CUDA_ERROR_NOT_FOUND";
            case 700 -> "CUDA_ERROR_ILLEGAL_ADDRESS";
            case 701 -> "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES";
            case 719 -> "CUDA_ERROR_LAUNCH_FAILED";
            default -> "CUresult " + status;
        };
    }
}
