// Softmax cross-entropy over the vocab dim of rows x V logits, with I32 targets (negative = ignored).
// Probabilities are never written to memory: each thread keeps an online (max, sum of exp) over its share of
// the row, and the block merges the pairs. One block of 256 threads per row.
//   forward:  lse = logsumexp(row), loss = lse - row[target] (0 when ignored). Reads V elements per row, ~4 FLOPs
//             and one exp each; writes 2 floats per row.
//   backward: dlogits = dloss * (exp(row - lse) - onehot(target)), zero for ignored rows. Reads V, writes V.
// Logits of -inf (masked tokens) add nothing, wherever they are in the row, a row's start included.
#include "common.cuh"

// Merges (m, s) with (om, os): both are "sum of exp(x - m)" over disjoint sets.
__device__ __forceinline__ void online_merge(float& m, float& s, float om, float os) {
    if (om == NEG_INF) return;
    if (m == NEG_INF) { m = om; s = os; return; }
    float nm = fmaxf(m, om);
    s = s * expf(m - nm) + os * expf(om - nm);
    m = nm;
}

template <typename T>
__device__ float row_logsumexp(const T* row, int vocab) {
    float m = NEG_INF, s = 0.f;
    for (int c = threadIdx.x; c < vocab; c += blockDim.x) {
        float x = to_float(row[c]);
        if (x > m) { s = s * expf(m - x) + 1.f; m = x; }
        else if (x != NEG_INF) s += expf(x - m);  // x = m = -inf would add exp(-inf + inf) = NaN
    }
    for (int o = 16; o > 0; o >>= 1) {
        float om = __shfl_xor_sync(0xffffffffu, m, o), os = __shfl_xor_sync(0xffffffffu, s, o);
        online_merge(m, s, om, os);
    }
    __shared__ float wm[32], ws[32];
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    if (lane == 0) { wm[warp] = m; ws[warp] = s; }
    __syncthreads();
    m = NEG_INF; s = 0.f;
    for (int w = 0; w < warps; w++) online_merge(m, s, wm[w], ws[w]);  // same order in every thread
    __syncthreads();
    return m + logf(s);
}

template <typename T>
__device__ void crossentropy_forward_impl(const T* logits, const int* targets, float* loss, float* lse, int rows, int vocab) {
    int row = blockIdx.x;
    if (row >= rows) return;
    const T* r = logits + (long long) row * vocab;
    float l = row_logsumexp(r, vocab);
    if (threadIdx.x == 0) {
        int t = targets[row];
        lse[row] = l;
        loss[row] = t < 0 ? 0.f : (t < vocab ? l - to_float(r[t]) : __int_as_float(0x7fc00000));  // NaN flags a bad target
    }
}

template <typename T>
__device__ void crossentropy_backward_impl(const T* logits, const int* targets, const float* lse, const float* dloss,
                                           T* dlogits, int rows, int vocab) {
    int row = blockIdx.x;
    if (row >= rows) return;
    long long o = (long long) row * vocab;
    int t = targets[row];
    float g = t < 0 ? 0.f : dloss[row], l = lse[row];
    for (int c = threadIdx.x; c < vocab; c += blockDim.x) {
        float d = t < 0 ? 0.f : g * expf(to_float(logits[o + c]) - l) - (c == t ? g : 0.f);
        dlogits[o + c] = from_float<T>(d);
    }
}

#define CROSSENTROPY_KERNELS(S, T)                                                                                 \
    extern "C" __global__ void crossentropy_forward_##S(const T* logits, const int* targets, float* loss,          \
                                                        float* lse, int rows, int vocab) {                          \
        crossentropy_forward_impl<T>(logits, targets, loss, lse, rows, vocab);                                      \
    }                                                                                                               \
    extern "C" __global__ void crossentropy_backward_##S(const T* logits, const int* targets, const float* lse,    \
                                                         const float* dloss, T* dlogits, int rows, int vocab) {     \
        crossentropy_backward_impl<T>(logits, targets, lse, dloss, dlogits, rows, vocab);                           \
    }

FOR_EACH_FLOAT_TYPE(CROSSENTROPY_KERNELS)
