// Reductions. All are two-pass with a fixed launch shape, so the order of additions, and the result, is the
// same on every run (no float atomics).
//   sum / sum_squares: pass 1, a fixed number of blocks (256 threads) each sums a grid-stride share of x into
//       one float partial; pass 2, one block sums the partials in double. Reads n elements, ~1-2 FLOPs each.
//   sum_rows: column sums of a rows x cols matrix (bias gradients). Pass 1: grid (ceil(cols/32), chunks),
//       block (32, 8); each block sums rows_per_chunk rows of 32 columns into partial[chunk][col]. Pass 2: one
//       thread per column sums the chunks in order. Reads rows * cols elements, 1 FLOP each.
//   broadcast_scalar: out[i] = scalar[0] * factor; 1 write per element.
#include "common.cuh"

template <typename T>
__device__ void sum_partial_impl(const T* x, float* partial, long long n, int squares) {
    float s = 0.f;
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < n; i += (long long) gridDim.x * blockDim.x) {
        float v = to_float(x[i]);
        s += squares ? v * v : v;
    }
    s = block_sum(s);
    if (threadIdx.x == 0) partial[blockIdx.x] = s;
}

template <typename T>
__device__ void sum_final_impl(const float* partial, int count, T* out) {
    __shared__ double acc[256];
    double s = 0.0;
    for (int k = threadIdx.x; k < count; k += blockDim.x) s += partial[k];
    acc[threadIdx.x] = s;
    __syncthreads();
    for (int half = blockDim.x / 2; half > 0; half >>= 1) {
        if (threadIdx.x < half) acc[threadIdx.x] += acc[threadIdx.x + half];
        __syncthreads();
    }
    if (threadIdx.x == 0) out[0] = from_float<T>((float) acc[0]);
}

template <typename T>
__device__ void sum_rows_partial_impl(const T* x, float* partial, long long rows, int cols, int rows_per_chunk) {
    __shared__ float acc[8][33];
    int c = blockIdx.x * 32 + threadIdx.x;
    long long first = (long long) blockIdx.y * rows_per_chunk;
    long long last = min(rows, first + rows_per_chunk);
    float s = 0.f;
    if (c < cols)
        for (long long r = first + threadIdx.y; r < last; r += 8) s += to_float(x[r * cols + c]);
    acc[threadIdx.y][threadIdx.x] = s;
    __syncthreads();
    if (threadIdx.y == 0 && c < cols) {
        float t = 0.f;
        for (int k = 0; k < 8; k++) t += acc[k][threadIdx.x];
        partial[(long long) blockIdx.y * cols + c] = t;
    }
}

template <typename T>
__device__ void sum_rows_final_impl(const float* partial, int chunks, int cols, T* out) {
    int c = blockIdx.x * blockDim.x + threadIdx.x;
    if (c >= cols) return;
    float s = 0.f;
    for (int k = 0; k < chunks; k++) s += partial[(long long) k * cols + c];
    out[c] = from_float<T>(s);
}

template <typename T>
__device__ void broadcast_scalar_impl(const T* scalar, float factor, T* out, long long n) {
    T v = from_float<T>(to_float(scalar[0]) * factor);
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < n; i += (long long) gridDim.x * blockDim.x)
        out[i] = v;
}

#define REDUCE_KERNELS(S, T)                                                                                       \
    extern "C" __global__ void sum_partial_##S(const T* x, float* partial, long long n, int squares) {           \
        sum_partial_impl<T>(x, partial, n, squares);                                                                \
    }                                                                                                               \
    extern "C" __global__ void sum_final_##S(const float* partial, int count, T* out) {                           \
        sum_final_impl<T>(partial, count, out);                                                                     \
    }                                                                                                               \
    extern "C" __global__ void sum_rows_partial_##S(const T* x, float* partial, long long rows, int cols,         \
                                                    int rows_per_chunk) {                                           \
        sum_rows_partial_impl<T>(x, partial, rows, cols, rows_per_chunk);                                           \
    }                                                                                                               \
    extern "C" __global__ void sum_rows_final_##S(const float* partial, int chunks, int cols, T* out) {           \
        sum_rows_final_impl<T>(partial, chunks, cols, out);                                                         \
    }                                                                                                               \
    extern "C" __global__ void broadcast_scalar_##S(const T* scalar, float factor, T* out, long long n) {         \
        broadcast_scalar_impl<T>(scalar, factor, out, n);                                                           \
    }

FOR_EACH_FLOAT_TYPE(REDUCE_KERNELS)
