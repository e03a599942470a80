// Softmax over the last dim of a rows x cols matrix and its backward dx = y (dy - sum(dy y)).
// One block of 256 threads per row. forward: reads x twice (the second from cache) and writes y, ~5 FLOPs per
// element plus one exp; backward: 2 reads + 1 write per element, ~4 FLOPs.
#include "common.cuh"

template <typename T>
__device__ void softmax_forward_impl(const T* x, T* out, int rows, int cols) {
    int row = blockIdx.x;
    if (row >= rows) return;
    long long o = (long long) row * cols;
    float m = NEG_INF;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) m = fmaxf(m, to_float(x[o + c]));
    m = block_max(m);
    float s = 0.f;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) s += expf(to_float(x[o + c]) - m);
    float inv = 1.f / block_sum(s);
    for (int c = threadIdx.x; c < cols; c += blockDim.x) out[o + c] = from_float<T>(expf(to_float(x[o + c]) - m) * inv);
}

template <typename T>
__device__ void softmax_backward_impl(const T* y, const T* dy, T* dx, int rows, int cols) {
    int row = blockIdx.x;
    if (row >= rows) return;
    long long o = (long long) row * cols;
    float d = 0.f;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) d += to_float(dy[o + c]) * to_float(y[o + c]);
    d = block_sum(d);
    for (int c = threadIdx.x; c < cols; c += blockDim.x)
        dx[o + c] = from_float<T>(to_float(y[o + c]) * (to_float(dy[o + c]) - d));
}

#define SOFTMAX_KERNELS(S, T)                                                                                    \
    extern "C" __global__ void softmax_forward_##S(const T* x, T* out, int rows, int cols) {                     \
        softmax_forward_impl<T>(x, out, rows, cols);                                                              \
    }                                                                                                             \
    extern "C" __global__ void softmax_backward_##S(const T* y, const T* dy, T* dx, int rows, int cols) {        \
        softmax_backward_impl<T>(y, dy, dx, rows, cols);                                                          \
    }

FOR_EACH_FLOAT_TYPE(SOFTMAX_KERNELS)
