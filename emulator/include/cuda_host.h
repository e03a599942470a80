// The CUDA execution model for kernels/src/*.cu compiled by g++ for the emulated device. Force-included before
// each kernel file, it turns the CUDA keywords into C++ and gives the built-in variables and intrinsics, backed
// by the runtime (runtime.cpp): every CUDA thread is a fiber, a block's fibers run on one host thread and switch
// at barriers and warp collectives (shuffles, ldmatrix, mma), so the kernels run unchanged. The PTX helpers of
// kernels/src/ptx.cuh are given in software (ptx_host.h), from the PTX ISA's fragment layouts.
#pragma once
#define INSTRUCT4J_EMULATED 1

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "emu_runtime.h"

#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __align__(n) __attribute__((aligned(n)))
// All threads of a block run on one host thread, one block after another: a function-scope static is exactly
// one copy per block in flight, which is what shared memory is.
#define __shared__ static
// The scanner (scan-kernels.sh) preprocesses with EMU_SCAN to find the kernels' names after macro expansion.
#ifdef EMU_SCAN
#define __global__ EMU_KERNEL_MARK
#else
#define __global__
#endif
#define DYNAMIC_SHARED(type, name) type *name = (type *) emu_dynamic_shared()

struct uint3 { unsigned int x, y, z; };

extern "C" {
const uint3 *emu_thread_idx(void);
const uint3 *emu_block_idx(void);
const uint3 *emu_block_dim(void);
const uint3 *emu_grid_dim(void);
void *emu_dynamic_shared(void);
unsigned int emu_shared_offset(const void *p);
void *emu_shared_at(unsigned int offset, unsigned int bytes);
void emu_syncthreads(void);
/* A warp shuffle of a value of `bytes` bytes: kind 0 xor (arg = lane mask), 1 from lane arg, 2 down by arg, 3 up. */
void emu_shuffle(int kind, unsigned mask, const void *value, void *out, int bytes, int arg);
void emu_ldmatrix_x4(unsigned int shared_offset, unsigned int out[4], int transpose);
void emu_mma_bf16_16816(float c[4], const unsigned int a[4], unsigned int b0, unsigned int b1);
void emu_cp_async(unsigned int shared_offset, const void *src, int src_bytes, int bytes);
void emu_cp_async_commit(void);
void emu_cp_async_wait(int pending_groups);
}

#define threadIdx (*emu_thread_idx())
#define blockIdx (*emu_block_idx())
#define blockDim (*emu_block_dim())
#define gridDim (*emu_grid_dim())

inline void __syncthreads() { emu_syncthreads(); }

template <typename T> inline T __shfl_xor_sync(unsigned mask, T v, int lane_mask, int = 32) {
    T r;
    emu_shuffle(0, mask, &v, &r, (int) sizeof(T), lane_mask);
    return r;
}
template <typename T> inline T __shfl_sync(unsigned mask, T v, int lane, int = 32) {
    T r;
    emu_shuffle(1, mask, &v, &r, (int) sizeof(T), lane);
    return r;
}
template <typename T> inline T __shfl_down_sync(unsigned mask, T v, unsigned delta, int = 32) {
    T r;
    emu_shuffle(2, mask, &v, &r, (int) sizeof(T), (int) delta);
    return r;
}
template <typename T> inline T __shfl_up_sync(unsigned mask, T v, unsigned delta, int = 32) {
    T r;
    emu_shuffle(3, mask, &v, &r, (int) sizeof(T), (int) delta);
    return r;
}

inline float __int_as_float(int i) { float f; memcpy(&f, &i, 4); return f; }
inline float __uint_as_float(unsigned int u) { float f; memcpy(&f, &u, 4); return f; }
inline unsigned int __float_as_uint(float f) { unsigned int u; memcpy(&u, &f, 4); return u; }
inline int __float_as_int(float f) { int i; memcpy(&i, &f, 4); return i; }
inline float __expf(float x) { return expf(x); }
inline float __logf(float x) { return logf(x); }
inline float __log2f(float x) { return log2f(x); }
inline float __fdividef(float a, float b) { return a / b; }

template <typename A, typename B> inline auto min(A a, B b) -> decltype(a + b) { return a < b ? a : b; }
template <typename A, typename B> inline auto max(A a, B b) -> decltype(a + b) { return a < b ? b : a; }

// Threads of one block never run at the same time and a fiber switches only at a barrier or a warp collective,
// so a plain read-modify-write is atomic here.
template <typename T> inline T atomicAdd(T *p, T v) { T old = *p; *p = old + v; return old; }
template <typename T> inline T atomicMax(T *p, T v) { T old = *p; *p = old < v ? v : old; return old; }
template <typename T> inline T atomicMin(T *p, T v) { T old = *p; *p = v < old ? v : old; return old; }
template <typename T> inline T atomicExch(T *p, T v) { T old = *p; *p = v; return old; }
template <typename T> inline T atomicCAS(T *p, T compare, T v) { T old = *p; if (old == compare) *p = v; return old; }

inline size_t __cvta_generic_to_shared(const void *p) { return emu_shared_offset(p); }

#include "ptx_host.h"
