// Elementwise kernels, grid-stride loops of 256 threads per block. Each moves its operands once:
//   add / mul:   out[i] = a[i] op b[i % period]        2 reads + 1 write per element, 1 FLOP
//   axpby:       out[i] = alpha x[i] + beta y[i]       2 reads (1 when y is null) + 1 write, 3 FLOPs
//   fill:        out[i] = value                        1 write
//   dropout:     out[i] = keep(seed, i) ? x[i] / (1-p) : 0, with the same counter-based hash as the CPU
//                backend (CpuElementwise.keep), so masks match bit for bit; 1 read + 1 write, ~10 integer ops
//   convert:     f32 <-> bf16 storage                  1 read + 1 write
//   copy_block:  rows x cols block between two strided layouts (slice, concat, contiguous copy); by element
//                size (b32 for F32 and I32, b16 for BF16), 1 read + 1 write
//   transpose12: out[a][c][b][d] = x[a][b][c][d]; one thread per element, 1 read + 1 write
#include "common.cuh"

#define GRID_STRIDE(i, n) \
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < (n); i += (long long) gridDim.x * blockDim.x)

__device__ __forceinline__ bool dropout_keep(unsigned long long seed, long long i, float p) {
    unsigned long long z = seed + (unsigned long long) (i + 1) * 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (float) (z >> 40) * 5.9604644775390625e-8f >= p;  // (z >> 40) * 2^-24
}

template <typename T>
__device__ void add_impl(const T* a, const T* b, T* out, long long n, long long period) {
    GRID_STRIDE(i, n) out[i] = from_float<T>(to_float(a[i]) + to_float(b[period == n ? i : i % period]));
}

template <typename T>
__device__ void mul_impl(const T* a, const T* b, T* out, long long n, long long period) {
    GRID_STRIDE(i, n) out[i] = from_float<T>(to_float(a[i]) * to_float(b[period == n ? i : i % period]));
}

template <typename T>
__device__ void axpby_impl(float alpha, const T* x, float beta, const T* y, T* out, long long n) {
    if (y == 0 || beta == 0.f) { GRID_STRIDE(i, n) out[i] = from_float<T>(alpha * to_float(x[i])); }
    else { GRID_STRIDE(i, n) out[i] = from_float<T>(alpha * to_float(x[i]) + beta * to_float(y[i])); }
}

template <typename T>
__device__ void fill_impl(T* out, float value, long long n) {
    T v = from_float<T>(value);
    GRID_STRIDE(i, n) out[i] = v;
}

template <typename T>
__device__ void dropout_impl(const T* x, T* out, long long n, float p, unsigned long long seed) {
    float keep_scale = 1.f / (1.f - p);
    GRID_STRIDE(i, n) out[i] = from_float<T>(dropout_keep(seed, i, p) ? to_float(x[i]) * keep_scale : 0.f);
}

#define ELEMENTWISE_KERNELS(S, T)                                                                                  \
    extern "C" __global__ void add_##S(const T* a, const T* b, T* out, long long n, long long period) {           \
        add_impl<T>(a, b, out, n, period);                                                                          \
    }                                                                                                               \
    extern "C" __global__ void mul_##S(const T* a, const T* b, T* out, long long n, long long period) {           \
        mul_impl<T>(a, b, out, n, period);                                                                          \
    }                                                                                                               \
    extern "C" __global__ void axpby_##S(float alpha, const T* x, float beta, const T* y, T* out, long long n) {  \
        axpby_impl<T>(alpha, x, beta, y, out, n);                                                                   \
    }                                                                                                               \
    extern "C" __global__ void fill_##S(T* out, float value, long long n) { fill_impl<T>(out, value, n); }        \
    extern "C" __global__ void dropout_##S(const T* x, T* out, long long n, float p, unsigned long long seed) {   \
        dropout_impl<T>(x, out, n, p, seed);                                                                        \
    }

FOR_EACH_FLOAT_TYPE(ELEMENTWISE_KERNELS)

extern "C" __global__ void fill_i32(int* out, int value, long long n) { GRID_STRIDE(i, n) out[i] = value; }

extern "C" __global__ void convert_f32_to_bf16(const float* x, bf16_t* out, long long n) {
    GRID_STRIDE(i, n) out[i] = from_float<bf16_t>(x[i]);
}

extern "C" __global__ void convert_bf16_to_f32(const bf16_t* x, float* out, long long n) {
    GRID_STRIDE(i, n) out[i] = to_float(x[i]);
}

template <typename E>
__device__ void copy_block_impl(const E* src, long long src_offset, long long src_stride, E* dst, long long dst_offset,
                                long long dst_stride, long long rows, long long cols) {
    GRID_STRIDE(e, rows * cols) {
        long long r = e / cols, c = e - r * cols;
        dst[dst_offset + r * dst_stride + c] = src[src_offset + r * src_stride + c];
    }
}

template <typename E>
__device__ void transpose12_impl(const E* x, E* out, int d0, int d1, int d2, int d3) {
    long long n = (long long) d0 * d1 * d2 * d3;
    GRID_STRIDE(e, n) {  // e indexes out, shaped (d0, d2, d1, d3), so the writes are coalesced
        long long d = e % d3, t = e / d3;
        long long b = t % d1; t /= d1;
        long long c = t % d2, a = t / d2;
        out[e] = x[((a * d1 + b) * d2 + c) * d3 + d];
    }
}

#define COPY_KERNELS(S, E)                                                                                         \
    extern "C" __global__ void copy_block_##S(const E* src, long long src_offset, long long src_stride, E* dst,    \
                                              long long dst_offset, long long dst_stride, long long rows,           \
                                              long long cols) {                                                     \
        copy_block_impl<E>(src, src_offset, src_stride, dst, dst_offset, dst_stride, rows, cols);                   \
    }                                                                                                               \
    extern "C" __global__ void transpose12_##S(const E* x, E* out, int d0, int d1, int d2, int d3) {              \
        transpose12_impl<E>(x, out, d0, d1, d2, d3);                                                                \
    }

COPY_KERNELS(b32, unsigned int)
COPY_KERNELS(b16, unsigned short)
