// LayerNorm over the last dim of a rows x cols matrix, forward and backward side by side.
//   forward:  out = (x - mean) * rstd * w + b; mean and rstd (F32, one per row) are saved for the backward.
//             Moves 1 read + 1 write per element (the second pass over a row hits the cache) plus 2*cols
//             parameters; about 8 FLOPs per element.
//             Launch: one block of 256 threads per row.
//   backward: with xhat = (x - mean) * rstd and g = dout * w: dx = rstd * (g - mean(g) - xhat * mean(g * xhat)).
//             One kernel gives dx and, per chunk of rows, partial sums of dweight and dbias; each thread owns
//             fixed columns, so there are no atomics and the result is deterministic. A small finishing
//             kernel sums the chunks in order. Moves 3 reads + 1 write per element; ~12 FLOPs per element.
//             Launch: grid = chunks, 256 threads, dynamic shared memory 2 * cols floats. With the block
//             reductions' static shared memory this passes the default 48 KB from 6129 columns on, so the
//             backend opts in (cuFuncSetAttribute) whenever static + dynamic is over 48 KB.
#include "common.cuh"
#include "ptx.cuh"

template <typename T>
__device__ void layernorm_forward_impl(const T* x, const T* w, const T* b, T* out, float* mean, float* rstd,
                                       int rows, int cols, float eps) {
    int row = blockIdx.x;
    if (row >= rows) return;
    const T* xr = x + (long long) row * cols;
    T* yr = out + (long long) row * cols;
    float s = 0.f;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) s += to_float(xr[c]);
    float mu = block_sum(s) / cols;
    float v = 0.f;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) { float d = to_float(xr[c]) - mu; v += d * d; }
    float rs = 1.f / sqrtf(block_sum(v) / cols + eps);
    for (int c = threadIdx.x; c < cols; c += blockDim.x)
        yr[c] = from_float<T>((to_float(xr[c]) - mu) * rs * to_float(w[c]) + to_float(b[c]));
    if (threadIdx.x == 0) { mean[row] = mu; rstd[row] = rs; }
}

template <typename T>
__device__ void layernorm_backward_impl(const T* dout, const T* x, const T* w, const float* mean, const float* rstd,
                                        T* dx, float* partial_dw, float* partial_db, int rows, int cols,
                                        int rows_per_chunk) {
    DYNAMIC_SHARED(float, acc);  // [0, cols): dweight, [cols, 2 cols): dbias; thread t owns columns t + k*blockDim
    float* acc_dw = acc;
    float* acc_db = acc + cols;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) { acc_dw[c] = 0.f; acc_db[c] = 0.f; }
    int first = blockIdx.x * rows_per_chunk, last = min(rows, first + rows_per_chunk);
    for (int row = first; row < last; row++) {
        long long o = (long long) row * cols;
        float mu = mean[row], rs = rstd[row];
        float sg = 0.f, sgx = 0.f;
        for (int c = threadIdx.x; c < cols; c += blockDim.x) {
            float g = to_float(dout[o + c]) * to_float(w[c]);
            sg += g;
            sgx += g * ((to_float(x[o + c]) - mu) * rs);
        }
        float mg = block_sum(sg) / cols, mgx = block_sum(sgx) / cols;
        for (int c = threadIdx.x; c < cols; c += blockDim.x) {
            float d = to_float(dout[o + c]);
            float xhat = (to_float(x[o + c]) - mu) * rs;
            dx[o + c] = from_float<T>(rs * (d * to_float(w[c]) - mg - xhat * mgx));
            acc_dw[c] += d * xhat;
            acc_db[c] += d;
        }
    }
    long long po = (long long) blockIdx.x * cols;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) { partial_dw[po + c] = acc_dw[c]; partial_db[po + c] = acc_db[c]; }
}

// dweight[c] = sum over chunks of partial_dw[chunk][c], in chunk order; likewise dbias.
template <typename T>
__device__ void layernorm_backward_finish_impl(const float* partial_dw, const float* partial_db, T* dw, T* db,
                                               int chunks, int cols) {
    int c = blockIdx.x * blockDim.x + threadIdx.x;
    if (c >= cols) return;
    float sw = 0.f, sb = 0.f;
    for (int k = 0; k < chunks; k++) { sw += partial_dw[(long long) k * cols + c]; sb += partial_db[(long long) k * cols + c]; }
    dw[c] = from_float<T>(sw);
    db[c] = from_float<T>(sb);
}

#define LAYERNORM_KERNELS(S, T)                                                                                   \
    extern "C" __global__ void layernorm_forward_##S(const T* x, const T* w, const T* b, T* out, float* mean,      \
                                                     float* rstd, int rows, int cols, float eps) {                 \
        layernorm_forward_impl<T>(x, w, b, out, mean, rstd, rows, cols, eps);                                      \
    }                                                                                                              \
    extern "C" __global__ void layernorm_backward_##S(const T* dout, const T* x, const T* w, const float* mean,     \
                                                      const float* rstd, T* dx, float* partial_dw,                 \
                                                      float* partial_db, int rows, int cols, int rows_per_chunk) { \
        layernorm_backward_impl<T>(dout, x, w, mean, rstd, dx, partial_dw, partial_db, rows, cols, rows_per_chunk); \
    }                                                                                                              \
    extern "C" __global__ void layernorm_backward_finish_##S(const float* partial_dw, const float* partial_db,      \
                                                             T* dw, T* db, int chunks, int cols) {                 \
        layernorm_backward_finish_impl<T>(partial_dw, partial_db, dw, db, chunks, cols);                           \
    }

FOR_EACH_FLOAT_TYPE(LAYERNORM_KERNELS)
