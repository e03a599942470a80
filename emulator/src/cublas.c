/* The emulated device's libcublas.so.13: the cuBLAS calls the engine makes (CuBlas.java), with cuBLAS's
 * column-major semantics: C = alpha op(A) op(B) + beta C for each of batchCount strided matrices, A m x k after
 * op, B k x n, C m x n with leading dimensions lda, ldb, ldc. Storage F32 or BF16, compute F32
 * (CUBLAS_COMPUTE_32F), the type combinations cuBLAS accepts for it; C is not read when beta is 0. Operand
 * extents are checked against the device buffers they point into. The enums follow cuBLAS's documented
 * values; the CUDA toolkit here ships no cuBLAS header, so the prototypes are written out below. */
#include <cuda.h>
#include <library_types.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu_runtime.h"

#define EXPORT __attribute__((visibility("default")))

typedef enum {
    CUBLAS_STATUS_SUCCESS = 0,
    CUBLAS_STATUS_NOT_INITIALIZED = 1,
    CUBLAS_STATUS_ALLOC_FAILED = 3,
    CUBLAS_STATUS_INVALID_VALUE = 7,
    CUBLAS_STATUS_NOT_SUPPORTED = 15,
} cublasStatus_t;
typedef enum { CUBLAS_OP_N = 0, CUBLAS_OP_T = 1 } cublasOperation_t;
typedef enum { CUBLAS_COMPUTE_32F = 68 } cublasComputeType_t;
typedef enum { CUBLAS_GEMM_DEFAULT = -1 } cublasGemmAlgo_t;
typedef struct cublasContext { CUstream stream; void *workspace; size_t workspace_bytes; } *cublasHandle_t;

static char detail[512];

static cublasStatus_t fail(cublasStatus_t status, const char *what) {
    snprintf(detail, sizeof detail, "%s", what);
    return status;
}

EXPORT cublasStatus_t cublasCreate_v2(cublasHandle_t *handle) {
    *handle = calloc(1, sizeof **handle);
    return *handle ? CUBLAS_STATUS_SUCCESS : CUBLAS_STATUS_ALLOC_FAILED;
}

EXPORT cublasStatus_t cublasDestroy_v2(cublasHandle_t handle) {
    free(handle);
    return CUBLAS_STATUS_SUCCESS;
}

EXPORT cublasStatus_t cublasSetStream_v2(cublasHandle_t handle, CUstream stream) {
    if (!handle) return CUBLAS_STATUS_NOT_INITIALIZED;
    handle->stream = stream;
    return CUBLAS_STATUS_SUCCESS;
}

EXPORT cublasStatus_t cublasSetWorkspace_v2(cublasHandle_t handle, void *workspace, size_t bytes) {
    if (!handle) return CUBLAS_STATUS_NOT_INITIALIZED;
    if (bytes > 0 && !emu_allocation_holding(workspace)) return fail(CUBLAS_STATUS_INVALID_VALUE, "the workspace is not device memory");
    handle->workspace = workspace;
    handle->workspace_bytes = bytes;
    return CUBLAS_STATUS_SUCCESS;
}

EXPORT const char *cublasGetStatusString(cublasStatus_t status) {
    static char message[640];
    const char *name = status == CUBLAS_STATUS_SUCCESS ? "success" : status == CUBLAS_STATUS_NOT_INITIALIZED ? "not initialized"
            : status == CUBLAS_STATUS_ALLOC_FAILED ? "allocation failed" : status == CUBLAS_STATUS_INVALID_VALUE ? "invalid value"
            : status == CUBLAS_STATUS_NOT_SUPPORTED ? "not supported" : "unknown status";
    if (status == CUBLAS_STATUS_SUCCESS || !detail[0]) return name;
    snprintf(message, sizeof message, "%s: %s [emulated device]", name, detail);
    return message;
}

static float load(const void *base, cudaDataType type, long long index) {
    if (type == CUDA_R_32F) return ((const float *) base)[index];
    uint32_t bits = (uint32_t) ((const uint16_t *) base)[index] << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static void store(void *base, cudaDataType type, long long index, float value) {
    if (type == CUDA_R_32F) { ((float *) base)[index] = value; return; }
    uint32_t u;
    memcpy(&u, &value, 4);
    uint16_t bits = (u & 0x7fffffffu) > 0x7f800000u ? 0x7fc0 : (uint16_t) ((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
    ((uint16_t *) base)[index] = bits;
}

static int bytes_of(cudaDataType type) { return type == CUDA_R_32F ? 4 : 2; }

/* Whether a rows x cols column-major operand with leading dimension ld, batch of them stride apart, lies in
 * the device buffer holding base. */
static int fits(const char *name, const void *base, cudaDataType type, int rows, int cols, int ld, long long stride,
                int batch, char *why, size_t why_size) {
    if (ld < (rows > 1 ? rows : 1)) { snprintf(why, why_size, "%s: leading dimension %d < %d rows", name, ld, rows); return 0; }
    const emu_allocation *a = emu_allocation_holding(base);
    if (!a) { snprintf(why, why_size, "%s at %p is not device memory", name, base); return 0; }
    long long last = (long long) (batch - 1) * stride + (long long) (cols - 1) * ld + rows - 1;
    size_t end = (size_t) ((const unsigned char *) base - a->data) + (size_t) (last + 1) * (size_t) bytes_of(type);
    if (end > a->size) {
        snprintf(why, why_size, "%s (%d x %d, ld %d, %d of them %lld apart) runs %zu bytes past the end of its %zu-byte device buffer",
                 name, rows, cols, ld, batch, stride, end - a->size, a->size);
        return 0;
    }
    return 1;
}

EXPORT cublasStatus_t cublasGemmStridedBatchedEx(
        cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb, int m, int n, int k,
        const void *alpha, const void *A, cudaDataType Atype, int lda, long long strideA,
        const void *B, cudaDataType Btype, int ldb, long long strideB, const void *beta,
        void *C, cudaDataType Ctype, int ldc, long long strideC, int batchCount,
        cublasComputeType_t computeType, cublasGemmAlgo_t algo) {
    (void) algo;
    if (!handle) return CUBLAS_STATUS_NOT_INITIALIZED;
    if (m < 0 || n < 0 || k < 0 || batchCount < 0 || (transa != CUBLAS_OP_N && transa != CUBLAS_OP_T)
            || (transb != CUBLAS_OP_N && transb != CUBLAS_OP_T))
        return fail(CUBLAS_STATUS_INVALID_VALUE, "negative size or an unknown operation");
    if (computeType != CUBLAS_COMPUTE_32F) return fail(CUBLAS_STATUS_NOT_SUPPORTED, "only CUBLAS_COMPUTE_32F is emulated");
    int inputs_ok = Atype == Btype && (Atype == CUDA_R_32F || Atype == CUDA_R_16BF);
    int output_ok = Ctype == Atype || (Atype == CUDA_R_16BF && Ctype == CUDA_R_32F);
    if (!inputs_ok || !output_ok)
        return fail(CUBLAS_STATUS_NOT_SUPPORTED, "cuBLAS has no F32-compute GEMM for these A, B, C types");
    if (m == 0 || n == 0 || batchCount == 0) return CUBLAS_STATUS_SUCCESS;
    float a = *(const float *) alpha, b = *(const float *) beta;
    char why[400];
    emu_lock();
    int ok = (k == 0 || (fits("A", A, Atype, transa == CUBLAS_OP_N ? m : k, transa == CUBLAS_OP_N ? k : m, lda, strideA, batchCount, why, sizeof why)
                         && fits("B", B, Btype, transb == CUBLAS_OP_N ? k : n, transb == CUBLAS_OP_N ? n : k, ldb, strideB, batchCount, why, sizeof why)))
             && fits("C", C, Ctype, m, n, ldc, strideC, batchCount, why, sizeof why);
    if (!ok) { emu_unlock(); return fail(CUBLAS_STATUS_INVALID_VALUE, why); }
    /* op(A) as m rows of k and op(B) as n columns of k, in float, so each element of C is one dot product */
    float *rows = malloc((size_t) m * (size_t) (k > 0 ? k : 1) * sizeof(float));
    float *cols = malloc((size_t) n * (size_t) (k > 0 ? k : 1) * sizeof(float));
    for (int batch = 0; batch < batchCount; batch++) {
        const void *Ab = (const unsigned char *) A + (size_t) batch * strideA * bytes_of(Atype);
        const void *Bb = (const unsigned char *) B + (size_t) batch * strideB * bytes_of(Btype);
        long long c0 = (long long) batch * strideC;
        for (int i = 0; i < m; i++)
            for (int l = 0; l < k; l++)
                rows[(size_t) i * k + l] = load(Ab, Atype, transa == CUBLAS_OP_N ? (long long) l * lda + i : (long long) i * lda + l);
        for (int j = 0; j < n; j++)
            for (int l = 0; l < k; l++)
                cols[(size_t) j * k + l] = load(Bb, Btype, transb == CUBLAS_OP_N ? (long long) j * ldb + l : (long long) l * ldb + j);
        for (int j = 0; j < n; j++)
            for (int i = 0; i < m; i++) {
                const float *x = rows + (size_t) i * k, *y = cols + (size_t) j * k;
                float s = 0.f;
                for (int l = 0; l < k; l++) s += x[l] * y[l];
                long long at = c0 + (long long) j * ldc + i;
                float value = a * s;
                if (b != 0.f) value += b * load(C, Ctype, at);
                store(C, Ctype, at, value);
            }
    }
    free(rows);
    free(cols);
    emu_unlock();
    return CUBLAS_STATUS_SUCCESS;
}
