// Fused AdamW step, one thread per element (grid-stride loop, 256 threads per block).
//   g = grad * grad_scale (global-norm clipping folded in); m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
//   p -= lr * (m / bc1 / (sqrt(v / bc2) + eps) + wd * p), with bc1 = 1 - b1^t and bc2 = 1 - b2^t from the host.
// f32: params, grads and moments in F32: reads 4 and writes 3 floats per element (28 bytes), ~15 FLOPs.
// bf16: the F32 master weight is updated and rounded into the BF16 parameter the model uses; grads BF16:
//   reads 2 + 3*4 bytes and writes 2 + 3*4 bytes per element.
#include "common.cuh"

__device__ __forceinline__ float adamw_update(float p, float g, float* m, float* v, long long i, float lr, float b1,
                                              float b2, float eps, float wd, float bc1, float bc2) {
    float mi = b1 * m[i] + (1.f - b1) * g;
    float vi = b2 * v[i] + (1.f - b2) * g * g;
    m[i] = mi;
    v[i] = vi;
    float mhat = mi / bc1, vhat = vi / bc2;
    return p - lr * (mhat / (sqrtf(vhat) + eps) + wd * p);
}

extern "C" __global__ void adamw_f32(float* param, const float* grad, float* m, float* v, long long n, float lr,
                                     float b1, float b2, float eps, float wd, float bc1, float bc2, float grad_scale) {
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < n; i += (long long) gridDim.x * blockDim.x)
        param[i] = adamw_update(param[i], grad[i] * grad_scale, m, v, i, lr, b1, b2, eps, wd, bc1, bc2);
}

extern "C" __global__ void adamw_bf16(float* master, bf16_t* param, const bf16_t* grad, float* m, float* v,
                                      long long n, float lr, float b1, float b2, float eps, float wd, float bc1,
                                      float bc2, float grad_scale) {
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < n; i += (long long) gridDim.x * blockDim.x) {
        float p = adamw_update(master[i], to_float(grad[i]) * grad_scale, m, v, i, lr, b1, b2, eps, wd, bc1, bc2);
        master[i] = p;
        param[i] = from_float<bf16_t>(p);
    }
}
