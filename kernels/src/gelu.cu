// GELU, the tanh approximation GPT-2 uses: y = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), and its
// derivative for the backward. Elementwise, grid-stride, 256 threads per block.
// forward: 1 read + 1 write per element, ~20 FLOPs (tanh counted as ~10); backward: 2 reads + 1 write, ~30 FLOPs.
#include "common.cuh"

#define GELU_K 0.7978845608028654f  // sqrt(2 / pi)

template <typename T>
__device__ void gelu_forward_impl(const T* x, T* out, long long n) {
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < n; i += (long long) gridDim.x * blockDim.x) {
        float v = to_float(x[i]);
        float u = GELU_K * (v + 0.044715f * v * v * v);
        out[i] = from_float<T>(0.5f * v * (1.f + tanhf(u)));
    }
}

template <typename T>
__device__ void gelu_backward_impl(const T* x, const T* dout, T* dx, long long n) {
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < n; i += (long long) gridDim.x * blockDim.x) {
        float v = to_float(x[i]);
        float u = GELU_K * (v + 0.044715f * v * v * v);
        float t = tanhf(u);
        float du = GELU_K * (1.f + 3.f * 0.044715f * v * v);
        float local = 0.5f * (1.f + t) + 0.5f * v * (1.f - t * t) * du;
        dx[i] = from_float<T>(to_float(dout[i]) * local);
    }
}

#define GELU_KERNELS(S, T)                                                                                  \
    extern "C" __global__ void gelu_forward_##S(const T* x, T* out, long long n) { gelu_forward_impl<T>(x, out, n); } \
    extern "C" __global__ void gelu_backward_##S(const T* x, const T* dout, T* dx, long long n) {           \
        gelu_backward_impl<T>(x, dout, dx, n);                                                               \
    }

FOR_EACH_FLOAT_TYPE(GELU_KERNELS)
