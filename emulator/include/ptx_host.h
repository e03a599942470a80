// Host versions of the PTX helpers of kernels/src/ptx.cuh, with the same names and signatures: conversions to
// bf16 round to nearest even as cvt.rn does; ldmatrix, mma.sync and cp.async are warp collectives or queued
// copies in the runtime, which follows the PTX ISA's fragment layouts.
#pragma once

inline unsigned short f32_to_bf16(float x) {
    unsigned int u = __float_as_uint(x);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (unsigned short) 0x7fff;  // cvt.rn.bf16.f32 gives the canonical NaN
    u += 0x7fffu + ((u >> 16) & 1u);
    return (unsigned short) (u >> 16);
}

inline unsigned int pack_bf16x2(float lo, float hi) {
    return ((unsigned int) f32_to_bf16(hi) << 16) | f32_to_bf16(lo);
}

inline float fast_exp2(float x) { return exp2f(x); }

inline unsigned int smem_u32(const void *p) { return emu_shared_offset(p); }

inline void cp_async16(unsigned int dst, const void *src, int src_bytes) { emu_cp_async(dst, src, src_bytes, 16); }
inline void cp_async_commit() { emu_cp_async_commit(); }
template <int N> inline void cp_async_wait() { emu_cp_async_wait(N); }

inline void ldsm_x4(unsigned int addr, unsigned int &r0, unsigned int &r1, unsigned int &r2, unsigned int &r3) {
    unsigned int r[4];
    emu_ldmatrix_x4(addr, r, 0);
    r0 = r[0]; r1 = r[1]; r2 = r[2]; r3 = r[3];
}

inline void ldsm_x4_trans(unsigned int addr, unsigned int &r0, unsigned int &r1, unsigned int &r2, unsigned int &r3) {
    unsigned int r[4];
    emu_ldmatrix_x4(addr, r, 1);
    r0 = r[0]; r1 = r[1]; r2 = r[2]; r3 = r[3];
}

inline void mma_bf16(float (&c)[4], const unsigned int (&a)[4], unsigned int b0, unsigned int b1) {
    emu_mma_bf16_16816(c, a, b0, b1);
}
