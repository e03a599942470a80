// Causal attention with left padding: forward, backward and decode, for Backend.attention.
//
// What it computes. q is (B,H,Tq,D), k and v are (B,H,Tk,D), Tq <= Tk; query i sits at key position
// Tk-Tq+i and sees keys start[b] <= j <= Tk-Tq+i (start may be a null pointer: no padding). out = softmax(
// scale q k^T) v per row, lse (B,H,Tq) fp32 = the row's natural log-sum-exp (-inf, with out = 0, for a row
// that sees no key). The backward recomputes the probabilities from q, k and lse: delta_i = dout_i . out_i,
// p_ij = exp(scale q_i.k_j - lse_i), ds_ij = p_ij (dout_i.v_j - delta_i), dq_i = scale sum_j ds_ij k_j,
// dk_j = scale sum_i ds_ij q_i, dv_j = sum_i p_ij dout_i. Nothing of size T x T ever reaches memory.
//
// Work. With V = the visible (query, key) pairs (about Tq*Tk/2 when causal and Tq = Tk): forward
// 4*B*H*V*D FLOPs (two matrix products); backward 10*B*H*V*D as flash attention counts it (2.5x), here 14*B*H*V*D
// executed because dq has its own pass that recomputes q k^T and dout v^T (deterministic, no atomics).
// Bytes: forward reads q, k, v once per query block (k, v: Tq/BM times) and writes out, lse.
//
// Flash kernels (bf16 storage, fp32 accumulation, tensor cores: mma.sync m16n8k16 bf16 and ldmatrix):
//   attention_forward_bf16_d{64,128}:  grid (ceil(Tq/BM), H, B), WARPS = BM/16 warps, each warp owns 16 query
//       rows. Q goes shared -> registers once; K and V tiles of BN keys stream through shared memory,
//       double-buffered with cp.async. Online softmax in fp32 in the log2 domain. Key tiles wholly above the
//       diagonal of the block's last row, or wholly before start[b], are skipped; tiles that touch the diagonal,
//       the padding or the ends are masked element by element (tile_needs_mask).
//         D=64:  BM=128, BN=64, 8 warps: Q 16 KB + K 2x8 KB + V 2x8 KB = 48 KB dynamic shared memory
//         D=128: BM=64,  BN=32, 4 warps: Q 16 KB + K 2x8 KB + V 2x8 KB = 48 KB
//   attention_backward_delta_{f32,bf16}: one warp per row, delta = rowsum(dout * out), fp32 workspace.
//   attention_backward_dq_bf16_d{64,128}: grid (ceil(Tq/BM), H, B), 4 warps own 16 query rows each; Q and dO in
//       registers; per key tile S = Q K^T, P = exp(S - lse), dP = dO V^T, dS = P (dP - delta), dQ += dS K.
//         D=64:  BM=64, BN=64: Q 8 + dO 8 + K 8 + V 8 = 32 KB;  D=128: BM=64, BN=32: 16+16+8+8 = 48 KB
//   attention_backward_dkdv_bf16_d{64,128}: grid (ceil(Tk/BN), H, B), 4 warps own 16 key rows each; per query
//       tile S^T = K Q^T, P^T, dV += P^T dO, dP^T = V dO^T, dS^T, dK += dS^T Q (dK, dV in registers).
//         D=64:  BN=64, BM=64: K 8 + V 8 + Q 8 + dO 8 = 32 KB;  D=128: BN=64, BM=32: 16+16+8+8 = 48 KB
//   No launch exceeds 48 KB of dynamic shared memory, so none needs cudaFuncAttributeMaxDynamicSharedMemorySize.
//
// Row kernels (any dtype, D <= 256, fp32 math; the F32 path, other head dims, decode, and an oracle):
//   attention_forward_rows_{f32,bf16}: grid (Tq, H, B), one CTA per query row; its warps take every WARPS-th
//       key (flash-decoding inside a CTA: each warp keeps its own running max/sum/accumulator), then merge
//       them in shared memory (WARPS*(D+2)*4 bytes). A decode step (Tq <= 4) runs it with 8 warps.
//   attention_backward_dq_rows_{f32,bf16}:   grid (ceil(Tq/4), H, B), 128 threads, one warp per query row.
//   attention_backward_dkdv_rows_{f32,bf16}: grid (ceil(Tk/4), H, B), 128 threads, one warp per key row.
//
// The tiling bounds mirror engine/.../backend/cuda/AttentionTiling.java (unit-tested and emulated there).
// The inline PTX sits in ptx.cuh, which the emulated device replaces. bf16 is carried as its raw 16 bits
// (unsigned short).
#include "ptx.cuh"

typedef unsigned short bf16_t;

#define ATTN_LOG2E 1.4426950408889634f
#define ATTN_LN2 0.6931471805599453f
#define ATTN_NEG_INF (-__int_as_float(0x7f800000))

// ---- scalar helpers ---------------------------------------------------------------------------------------

__device__ __forceinline__ float to_f32(float x) { return x; }
__device__ __forceinline__ float to_f32(bf16_t x) { return __uint_as_float(((unsigned int)x) << 16); }

__device__ __forceinline__ void store_f32(float* p, float x) { *p = x; }
__device__ __forceinline__ void store_f32(bf16_t* p, float x) { *p = f32_to_bf16(x); }

__device__ __forceinline__ float warp_sum(float x) {
    for (int o = 16; o > 0; o >>= 1) x += __shfl_xor_sync(0xffffffffu, x, o);
    return x;
}

__device__ __forceinline__ int ceil_div(int a, int b) { return (a + b - 1) / b; }

// Query i sees key j (twin of AttentionTiling.visible plus the bounds of partial tiles).
__device__ __forceinline__ bool visible(int i, int j, int s0, int tq, int tk) {
    return i < tq && j >= s0 && j - i <= tk - tq;
}

// A tile of query rows [m0, m0+bm) x keys [n0, n0+bn) needs the element mask when it touches the padding,
// either end, or the diagonal (twin of AttentionTiling.tileNeedsMask).
__device__ __forceinline__ bool tile_needs_mask(int m0, int bm, int n0, int bn, int s0, int tq, int tk) {
    return n0 < s0 || n0 + bn > tk || m0 + bm > tq || (n0 + bn - 1) - m0 > tk - tq;
}

// ---- tensor-core helpers ------------------------------------------------------------------------------------

// Shared tiles are rows of D bf16 in 16-byte chunks; chunk c of row r lives at chunk c ^ (r & 7), so the 8 row
// addresses of one ldmatrix hit 8 different bank groups (no padding, no conflicts).
template <int D> __device__ __forceinline__ int swz(int row, int chunk) { return row * D + ((chunk ^ (row & 7)) << 3); }

// ROWS x D bf16 rows [row0, row0+ROWS) of a (nrows x D) matrix into a swizzled tile; rows past nrows read as 0.
template <int D, int ROWS, int THREADS>
__device__ __forceinline__ void load_tile(bf16_t* tile, const bf16_t* g, int row0, int nrows) {
    constexpr int CHUNKS = D / 8;
#pragma unroll
    for (int idx = threadIdx.x; idx < ROWS * CHUNKS; idx += THREADS) {
        int r = idx / CHUNKS, c = idx % CHUNKS, gr = row0 + r;
        bool ok = gr < nrows;
        cp_async16(smem_u32(tile + swz<D>(r, c)), g + (long long)(ok ? gr : 0) * D + c * 8, ok ? 16 : 0);
    }
}

// A fragments of the 16 x K stripe at rows r0 of a swizzled tile (K = D here), for a warp.
template <int D, int KSTEPS>
__device__ __forceinline__ void load_a_frags(unsigned int (&a)[KSTEPS][4], const bf16_t* tile, int r0, int lane) {
#pragma unroll
    for (int kk = 0; kk < KSTEPS; kk++)
        ldsm_x4(smem_u32(tile + swz<D>(r0 + (lane & 15), kk * 2 + (lane >> 4))), a[kk][0], a[kk][1], a[kk][2], a[kk][3]);
}

// acc (16 x N) += A (16 x D, registers) * B^T, B an N x D tile stored [n][k] (K tiles in S = Q K^T).
template <int D, int N>
__device__ __forceinline__ void gemm_areg_bnk(float (&acc)[N / 8][4], const unsigned int (&a)[D / 16][4],
                                              const bf16_t* b, int lane) {
#pragma unroll
    for (int kk = 0; kk < D / 16; kk++)
#pragma unroll
        for (int nn = 0; nn < N / 16; nn++) {
            unsigned int b0, b1, b2, b3;
            ldsm_x4(smem_u32(b + swz<D>(nn * 16 + (lane & 7) + ((lane >> 4) << 3), kk * 2 + ((lane >> 3) & 1))), b0, b1, b2, b3);
            mma_bf16(acc[2 * nn], a[kk], b0, b1);
            mma_bf16(acc[2 * nn + 1], a[kk], b2, b3);
        }
}

// acc (16 x N) += A (16 x D from shared rows r0) * B^T, B stored [n][k]: as above with A read per k step.
template <int D, int N>
__device__ __forceinline__ void gemm_asmem_bnk(float (&acc)[N / 8][4], const bf16_t* a_tile, int r0,
                                               const bf16_t* b, int lane) {
#pragma unroll
    for (int kk = 0; kk < D / 16; kk++) {
        unsigned int a[4];
        ldsm_x4(smem_u32(a_tile + swz<D>(r0 + (lane & 15), kk * 2 + (lane >> 4))), a[0], a[1], a[2], a[3]);
#pragma unroll
        for (int nn = 0; nn < N / 16; nn++) {
            unsigned int b0, b1, b2, b3;
            ldsm_x4(smem_u32(b + swz<D>(nn * 16 + (lane & 7) + ((lane >> 4) << 3), kk * 2 + ((lane >> 3) & 1))), b0, b1, b2, b3);
            mma_bf16(acc[2 * nn], a, b0, b1);
            mma_bf16(acc[2 * nn + 1], a, b2, b3);
        }
    }
}

// acc (16 x D) += A (16 x K, registers) * B, B a K x D tile stored [k][n] (V in O += P V), read transposed.
template <int D, int K>
__device__ __forceinline__ void gemm_areg_bkn(float (&acc)[D / 8][4], const unsigned int (&a)[K / 16][4],
                                              const bf16_t* b, int lane) {
#pragma unroll
    for (int kk = 0; kk < K / 16; kk++)
#pragma unroll
        for (int nn = 0; nn < D / 16; nn++) {
            unsigned int b0, b1, b2, b3;
            ldsm_x4_trans(smem_u32(b + swz<D>(kk * 16 + (lane & 7) + (((lane >> 3) & 1) << 3), nn * 2 + (lane >> 4))), b0, b1, b2, b3);
            mma_bf16(acc[2 * nn], a[kk], b0, b1);
            mma_bf16(acc[2 * nn + 1], a[kk], b2, b3);
        }
}

// The 16 x N fp32 accumulator of one product as the bf16 A operand (16 x N) of the next: the m16n8 C layout of
// two neighbouring n tiles is the m16k16 A layout.
template <int N>
__device__ __forceinline__ void acc_to_a(unsigned int (&a)[N / 16][4], const float (&c)[N / 8][4]) {
#pragma unroll
    for (int kk = 0; kk < N / 16; kk++) {
        a[kk][0] = pack_bf16x2(c[2 * kk][0], c[2 * kk][1]);
        a[kk][1] = pack_bf16x2(c[2 * kk][2], c[2 * kk][3]);
        a[kk][2] = pack_bf16x2(c[2 * kk + 1][0], c[2 * kk + 1][1]);
        a[kk][3] = pack_bf16x2(c[2 * kk + 1][2], c[2 * kk + 1][3]);
    }
}

template <int N> __device__ __forceinline__ void zero_acc(float (&c)[N / 8][4]) {
#pragma unroll
    for (int n = 0; n < N / 8; n++) c[n][0] = c[n][1] = c[n][2] = c[n][3] = 0.f;
}

// Writes a warp's 16 x D accumulator (times row_scale) as bf16 rows r0.. of a (nrows x D) matrix.
template <int D>
__device__ __forceinline__ void store_rows_bf16(bf16_t* g, const float (&c)[D / 8][4], int r0, int nrows,
                                                float scale_lo, float scale_hi, int lane) {
    int row = r0 + (lane >> 2), col = 2 * (lane & 3);
#pragma unroll
    for (int n = 0; n < D / 8; n++) {
        if (row < nrows)
            *(unsigned int*)(g + (long long)row * D + n * 8 + col) = pack_bf16x2(c[n][0] * scale_lo, c[n][1] * scale_lo);
        if (row + 8 < nrows)
            *(unsigned int*)(g + (long long)(row + 8) * D + n * 8 + col) = pack_bf16x2(c[n][2] * scale_hi, c[n][3] * scale_hi);
    }
}

// ---- flash forward ------------------------------------------------------------------------------------------

template <int D, int BM, int BN>
__device__ __forceinline__ void flash_forward(const bf16_t* __restrict__ q, const bf16_t* __restrict__ k,
                                              const bf16_t* __restrict__ v, bf16_t* __restrict__ out,
                                              float* __restrict__ lse, const int* __restrict__ start, int heads,
                                              int tq, int tk, float scale) {
    constexpr int THREADS = BM / 16 * 32;
    DYNAMIC_SHARED(unsigned char, smem);
    bf16_t* sq = (bf16_t*)smem;
    bf16_t* sk = sq + BM * D;       // two buffers of BN x D
    bf16_t* sv = sk + 2 * BN * D;   // two buffers of BN x D

    const int b = blockIdx.z, bh = b * heads + blockIdx.y, m0 = blockIdx.x * BM;
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    const int s0 = start ? start[b] : 0;
    const bf16_t* qg = q + (long long)bh * tq * D;
    const bf16_t* kg = k + (long long)bh * tk * D;
    const bf16_t* vg = v + (long long)bh * tk * D;

    // Key tiles: from the one holding start[b] to the one holding the block's last row's last key.
    const int first = s0 / BN;
    const int end = ceil_div(tk - tq + min(m0 + BM, tq), BN);

    load_tile<D, BM, THREADS>(sq, qg, m0, tq);
    cp_async_commit();
    if (first < end) {
        load_tile<D, BN, THREADS>(sk, kg, first * BN, tk);
        load_tile<D, BN, THREADS>(sv, vg, first * BN, tk);
    }
    cp_async_commit();
    cp_async_wait<1>();
    __syncthreads();
    unsigned int qf[D / 16][4];
    load_a_frags<D, D / 16>(qf, sq, warp * 16, lane);

    float o[D / 8][4];
    zero_acc<D>(o);
    float row_max[2] = {ATTN_NEG_INF, ATTN_NEG_INF}, row_sum[2] = {0.f, 0.f};
    const float scale2 = scale * ATTN_LOG2E;
    const int row_lo = m0 + warp * 16 + (lane >> 2);

    for (int t = first; t < end; t++) {
        const int buf = (t - first) & 1, n0 = t * BN;
        if (t + 1 < end) {
            load_tile<D, BN, THREADS>(sk + (buf ^ 1) * BN * D, kg, n0 + BN, tk);
            load_tile<D, BN, THREADS>(sv + (buf ^ 1) * BN * D, vg, n0 + BN, tk);
        }
        cp_async_commit();
        cp_async_wait<1>();
        __syncthreads();
        const bf16_t* kt = sk + buf * BN * D;
        const bf16_t* vt = sv + buf * BN * D;

        float s[BN / 8][4];
        zero_acc<BN>(s);
        gemm_areg_bnk<D, BN>(s, qf, kt, lane);

        const bool masked = tile_needs_mask(m0, BM, n0, BN, s0, tq, tk);
        float tile_max[2] = {row_max[0], row_max[1]};
#pragma unroll
        for (int n = 0; n < BN / 8; n++)
#pragma unroll
            for (int e = 0; e < 4; e++) {
                int row = row_lo + (e >> 1) * 8, col = n0 + n * 8 + 2 * (lane & 3) + (e & 1);
                float x = s[n][e] * scale2;
                if (masked && !visible(row, col, s0, tq, tk)) x = ATTN_NEG_INF;
                s[n][e] = x;
                tile_max[e >> 1] = fmaxf(tile_max[e >> 1], x);
            }
        float alpha[2], base[2];
#pragma unroll
        for (int r = 0; r < 2; r++) {
            // The 4 lanes of a quad hold the same two rows.
            tile_max[r] = fmaxf(tile_max[r], __shfl_xor_sync(0xffffffffu, tile_max[r], 1));
            tile_max[r] = fmaxf(tile_max[r], __shfl_xor_sync(0xffffffffu, tile_max[r], 2));
            base[r] = tile_max[r] == ATTN_NEG_INF ? 0.f : tile_max[r];   // a row with nothing visible yet
            alpha[r] = fast_exp2(row_max[r] - base[r]);
            row_max[r] = tile_max[r];
            row_sum[r] *= alpha[r];
        }
#pragma unroll
        for (int n = 0; n < BN / 8; n++)
#pragma unroll
            for (int e = 0; e < 4; e++) {
                float p = fast_exp2(s[n][e] - base[e >> 1]);
                s[n][e] = p;
                row_sum[e >> 1] += p;
            }
#pragma unroll
        for (int n = 0; n < D / 8; n++) {
            o[n][0] *= alpha[0]; o[n][1] *= alpha[0];
            o[n][2] *= alpha[1]; o[n][3] *= alpha[1];
        }
        unsigned int pf[BN / 16][4];
        acc_to_a<BN>(pf, s);
        gemm_areg_bkn<D, BN>(o, pf, vt, lane);
        __syncthreads();   // this buffer is refilled by the next iteration's prefetch
    }

    float inv[2], row_lse[2];
#pragma unroll
    for (int r = 0; r < 2; r++) {
        float l = row_sum[r];
        l += __shfl_xor_sync(0xffffffffu, l, 1);
        l += __shfl_xor_sync(0xffffffffu, l, 2);
        inv[r] = l > 0.f ? 1.f / l : 0.f;
        row_lse[r] = l > 0.f ? (row_max[r] + __log2f(l)) * ATTN_LN2 : ATTN_NEG_INF;
    }
    store_rows_bf16<D>(out + (long long)bh * tq * D, o, m0 + warp * 16, tq, inv[0], inv[1], lane);
    if ((lane & 3) == 0) {
        if (row_lo < tq) lse[(long long)bh * tq + row_lo] = row_lse[0];
        if (row_lo + 8 < tq) lse[(long long)bh * tq + row_lo + 8] = row_lse[1];
    }
}

extern "C" __global__ void __launch_bounds__(256, 2)
attention_forward_bf16_d64(const bf16_t* q, const bf16_t* k, const bf16_t* v, bf16_t* out, float* lse,
                           const int* start, int batch, int heads, int tq, int tk, int head_dim, float scale) {
    flash_forward<64, 128, 64>(q, k, v, out, lse, start, heads, tq, tk, scale);
}

extern "C" __global__ void __launch_bounds__(128, 2)
attention_forward_bf16_d128(const bf16_t* q, const bf16_t* k, const bf16_t* v, bf16_t* out, float* lse,
                            const int* start, int batch, int heads, int tq, int tk, int head_dim, float scale) {
    flash_forward<128, 64, 32>(q, k, v, out, lse, start, heads, tq, tk, scale);
}

// ---- flash backward: dq pass (warps own query rows) ------------------------------------------------------------

template <int D, int BM, int BN>
__device__ __forceinline__ void flash_backward_dq(const bf16_t* __restrict__ q, const bf16_t* __restrict__ k,
                                                  const bf16_t* __restrict__ v, const float* __restrict__ lse,
                                                  const int* __restrict__ start, const bf16_t* __restrict__ dout,
                                                  const float* __restrict__ delta, bf16_t* __restrict__ dq,
                                                  int heads, int tq, int tk, float scale) {
    constexpr int THREADS = BM / 16 * 32;
    DYNAMIC_SHARED(unsigned char, smem);
    bf16_t* sq = (bf16_t*)smem;
    bf16_t* sdo = sq + BM * D;
    bf16_t* sk = sdo + BM * D;
    bf16_t* sv = sk + BN * D;

    const int b = blockIdx.z, bh = b * heads + blockIdx.y, m0 = blockIdx.x * BM;
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    const int s0 = start ? start[b] : 0;
    const bf16_t* kg = k + (long long)bh * tk * D;
    const bf16_t* vg = v + (long long)bh * tk * D;
    const int first = s0 / BN;
    const int end = ceil_div(tk - tq + min(m0 + BM, tq), BN);

    load_tile<D, BM, THREADS>(sq, q + (long long)bh * tq * D, m0, tq);
    load_tile<D, BM, THREADS>(sdo, dout + (long long)bh * tq * D, m0, tq);
    cp_async_commit();
    cp_async_wait<0>();
    __syncthreads();
    unsigned int qf[D / 16][4], dof[D / 16][4];
    load_a_frags<D, D / 16>(qf, sq, warp * 16, lane);
    load_a_frags<D, D / 16>(dof, sdo, warp * 16, lane);

    const float scale2 = scale * ATTN_LOG2E;
    const int row_lo = m0 + warp * 16 + (lane >> 2);
    float lse2[2], row_delta[2];
#pragma unroll
    for (int r = 0; r < 2; r++) {
        int row = row_lo + r * 8;
        lse2[r] = row < tq ? lse[(long long)bh * tq + row] * ATTN_LOG2E : 0.f;
        row_delta[r] = row < tq ? delta[(long long)bh * tq + row] : 0.f;
    }
    float acc[D / 8][4];
    zero_acc<D>(acc);

    for (int t = first; t < end; t++) {
        const int n0 = t * BN;
        load_tile<D, BN, THREADS>(sk, kg, n0, tk);
        load_tile<D, BN, THREADS>(sv, vg, n0, tk);
        cp_async_commit();
        cp_async_wait<0>();
        __syncthreads();

        float s[BN / 8][4], dp[BN / 8][4];
        zero_acc<BN>(s);
        zero_acc<BN>(dp);
        gemm_areg_bnk<D, BN>(s, qf, sk, lane);
        gemm_areg_bnk<D, BN>(dp, dof, sv, lane);
        const bool masked = tile_needs_mask(m0, BM, n0, BN, s0, tq, tk);
#pragma unroll
        for (int n = 0; n < BN / 8; n++)
#pragma unroll
            for (int e = 0; e < 4; e++) {
                int row = row_lo + (e >> 1) * 8, col = n0 + n * 8 + 2 * (lane & 3) + (e & 1);
                float p = fast_exp2(s[n][e] * scale2 - lse2[e >> 1]);
                if (masked && !visible(row, col, s0, tq, tk)) p = 0.f;
                s[n][e] = p * (dp[n][e] - row_delta[e >> 1]);   // ds
            }
        unsigned int dsf[BN / 16][4];
        acc_to_a<BN>(dsf, s);
        gemm_areg_bkn<D, BN>(acc, dsf, sk, lane);
        __syncthreads();
    }
    store_rows_bf16<D>(dq + (long long)bh * tq * D, acc, m0 + warp * 16, tq, scale, scale, lane);
}

extern "C" __global__ void __launch_bounds__(128, 2)
attention_backward_dq_bf16_d64(const bf16_t* q, const bf16_t* k, const bf16_t* v, const float* lse,
                               const int* start, const bf16_t* dout, const float* workspace_delta, bf16_t* dq,
                               int batch, int heads, int tq, int tk, int head_dim, float scale) {
    flash_backward_dq<64, 64, 64>(q, k, v, lse, start, dout, workspace_delta, dq, heads, tq, tk, scale);
}

extern "C" __global__ void __launch_bounds__(128, 2)
attention_backward_dq_bf16_d128(const bf16_t* q, const bf16_t* k, const bf16_t* v, const float* lse,
                                const int* start, const bf16_t* dout, const float* workspace_delta, bf16_t* dq,
                                int batch, int heads, int tq, int tk, int head_dim, float scale) {
    flash_backward_dq<128, 64, 32>(q, k, v, lse, start, dout, workspace_delta, dq, heads, tq, tk, scale);
}

// ---- flash backward: dk/dv pass (warps own key rows) -----------------------------------------------------------

template <int D, int BM, int BN>
__device__ __forceinline__ void flash_backward_dkdv(const bf16_t* __restrict__ q, const bf16_t* __restrict__ k,
                                                    const bf16_t* __restrict__ v, const float* __restrict__ lse,
                                                    const int* __restrict__ start, const bf16_t* __restrict__ dout,
                                                    const float* __restrict__ delta, bf16_t* __restrict__ dk,
                                                    bf16_t* __restrict__ dv, int heads, int tq, int tk, float scale) {
    constexpr int THREADS = BN / 16 * 32;
    DYNAMIC_SHARED(unsigned char, smem);
    bf16_t* sk = (bf16_t*)smem;
    bf16_t* sv = sk + BN * D;
    bf16_t* sq = sv + BN * D;
    bf16_t* sdo = sq + BM * D;

    const int b = blockIdx.z, bh = b * heads + blockIdx.y, n0 = blockIdx.x * BN;
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    const int s0 = start ? start[b] : 0;
    const bf16_t* qg = q + (long long)bh * tq * D;
    const bf16_t* dog = dout + (long long)bh * tq * D;
    const float* lseg = lse + (long long)bh * tq;
    const float* deltag = delta + (long long)bh * tq;

    float dk_acc[D / 8][4], dv_acc[D / 8][4];
    zero_acc<D>(dk_acc);
    zero_acc<D>(dv_acc);

    // Query tiles that see any key of this block (none when the block is all left padding).
    const int first = min(n0 + BN, tk) <= s0 ? ceil_div(tq, BM) : max(0, n0 - (tk - tq)) / BM;
    const int end = ceil_div(tq, BM);
    if (first < end) {
        load_tile<D, BN, THREADS>(sk, k + (long long)bh * tk * D, n0, tk);
        load_tile<D, BN, THREADS>(sv, v + (long long)bh * tk * D, n0, tk);
    }
    const float scale2 = scale * ATTN_LOG2E;
    const int key_lo = n0 + warp * 16 + (lane >> 2);

    for (int t = first; t < end; t++) {
        const int m0 = t * BM;
        load_tile<D, BM, THREADS>(sq, qg, m0, tq);
        load_tile<D, BM, THREADS>(sdo, dog, m0, tq);
        cp_async_commit();
        cp_async_wait<0>();
        __syncthreads();

        float st[BM / 8][4], dpt[BM / 8][4];   // keys x queries
        zero_acc<BM>(st);
        zero_acc<BM>(dpt);
        gemm_asmem_bnk<D, BM>(st, sk, warp * 16, sq, lane);
        gemm_asmem_bnk<D, BM>(dpt, sv, warp * 16, sdo, lane);
        const bool masked = tile_needs_mask(m0, BM, n0, BN, s0, tq, tk);
#pragma unroll
        for (int n = 0; n < BM / 8; n++)
#pragma unroll
            for (int c = 0; c < 2; c++) {
                int col = m0 + n * 8 + 2 * (lane & 3) + c;   // query row
                float l2 = col < tq ? lseg[col] * ATTN_LOG2E : 0.f;
                float dl = col < tq ? deltag[col] : 0.f;
#pragma unroll
                for (int r = 0; r < 2; r++) {
                    int e = r * 2 + c, key = key_lo + r * 8;
                    float p = fast_exp2(st[n][e] * scale2 - l2);
                    if (masked && !visible(col, key, s0, tq, tk)) p = 0.f;
                    st[n][e] = p;
                    dpt[n][e] = p * (dpt[n][e] - dl);   // ds^T
                }
            }
        unsigned int af[BM / 16][4];
        acc_to_a<BM>(af, st);
        gemm_areg_bkn<D, BM>(dv_acc, af, sdo, lane);
        acc_to_a<BM>(af, dpt);
        gemm_areg_bkn<D, BM>(dk_acc, af, sq, lane);
        __syncthreads();
    }
    store_rows_bf16<D>(dk + (long long)bh * tk * D, dk_acc, n0 + warp * 16, tk, scale, scale, lane);
    store_rows_bf16<D>(dv + (long long)bh * tk * D, dv_acc, n0 + warp * 16, tk, 1.f, 1.f, lane);
}

extern "C" __global__ void __launch_bounds__(128, 2)
attention_backward_dkdv_bf16_d64(const bf16_t* q, const bf16_t* k, const bf16_t* v, const float* lse,
                                 const int* start, const bf16_t* dout, const float* workspace_delta, bf16_t* dk,
                                 bf16_t* dv, int batch, int heads, int tq, int tk, int head_dim, float scale) {
    flash_backward_dkdv<64, 64, 64>(q, k, v, lse, start, dout, workspace_delta, dk, dv, heads, tq, tk, scale);
}

extern "C" __global__ void __launch_bounds__(128, 2)
attention_backward_dkdv_bf16_d128(const bf16_t* q, const bf16_t* k, const bf16_t* v, const float* lse,
                                  const int* start, const bf16_t* dout, const float* workspace_delta, bf16_t* dk,
                                  bf16_t* dv, int batch, int heads, int tq, int tk, int head_dim, float scale) {
    flash_backward_dkdv<128, 32, 64>(q, k, v, lse, start, dout, workspace_delta, dk, dv, heads, tq, tk, scale);
}

// ---- row kernels (fp32 math, any D <= 256) ---------------------------------------------------------------------

#define ROWS_MAX_PER_LANE 8   // D <= 32 * 8

// Lane l holds elements l, l+32, ... of a D-vector.
template <typename T>
__device__ __forceinline__ void load_row(float (&x)[ROWS_MAX_PER_LANE], const T* g, int d, int lane) {
#pragma unroll
    for (int r = 0; r < ROWS_MAX_PER_LANE; r++) {
        int c = lane + 32 * r;
        x[r] = c < d ? to_f32(g[c]) : 0.f;
    }
}

template <typename T>
__device__ __forceinline__ float dot_row(const float (&x)[ROWS_MAX_PER_LANE], const T* g, int d, int lane) {
    float s = 0.f;
#pragma unroll
    for (int r = 0; r < ROWS_MAX_PER_LANE; r++) {
        int c = lane + 32 * r;
        if (c < d) s += x[r] * to_f32(g[c]);
    }
    return warp_sum(s);
}

template <typename T>
__device__ __forceinline__ void forward_rows(const T* __restrict__ q, const T* __restrict__ k,
                                             const T* __restrict__ v, T* __restrict__ out, float* __restrict__ lse,
                                             const int* __restrict__ start, int heads, int tq, int tk, int d,
                                             float scale) {
    DYNAMIC_SHARED(unsigned char, smem);
    float* part = (float*)smem;   // per warp: max, sum, d accumulators
    const int warps = blockDim.x >> 5, warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    const int i = blockIdx.x, b = blockIdx.z, bh = b * heads + blockIdx.y;
    const int s0 = start ? start[b] : 0, last = tk - tq + i;
    const long long row = (long long)bh * tq + i;
    const T* kg = k + (long long)bh * tk * d;
    const T* vg = v + (long long)bh * tk * d;

    float qr[ROWS_MAX_PER_LANE], acc[ROWS_MAX_PER_LANE];
    load_row(qr, q + row * d, d, lane);
#pragma unroll
    for (int r = 0; r < ROWS_MAX_PER_LANE; r++) acc[r] = 0.f;
    float m = ATTN_NEG_INF, l = 0.f;
    for (int j = s0 + warp; j <= last; j += warps) {
        float x = dot_row(qr, kg + (long long)j * d, d, lane) * scale;
        float m_new = fmaxf(m, x);
        float alpha = __expf(m - m_new), p = __expf(x - m_new);
        l = l * alpha + p;
        m = m_new;
#pragma unroll
        for (int r = 0; r < ROWS_MAX_PER_LANE; r++) {
            int c = lane + 32 * r;
            acc[r] = acc[r] * alpha + (c < d ? p * to_f32(vg[(long long)j * d + c]) : 0.f);
        }
    }
    float* mine = part + warp * (d + 2);
    if (lane == 0) { mine[0] = m; mine[1] = l; }
#pragma unroll
    for (int r = 0; r < ROWS_MAX_PER_LANE; r++) {
        int c = lane + 32 * r;
        if (c < d) mine[2 + c] = acc[r];
    }
    __syncthreads();
    if (warp != 0) return;
    float mx = ATTN_NEG_INF;
    for (int w = 0; w < warps; w++) mx = fmaxf(mx, part[w * (d + 2)]);
    float total = 0.f;
    for (int w = 0; w < warps; w++) {
        float mw = part[w * (d + 2)];
        total += mw == ATTN_NEG_INF ? 0.f : part[w * (d + 2) + 1] * __expf(mw - mx);
    }
    float inv = total > 0.f ? 1.f / total : 0.f;
    for (int c = lane; c < d; c += 32) {
        float o = 0.f;
        for (int w = 0; w < warps; w++) {
            float mw = part[w * (d + 2)];
            if (mw != ATTN_NEG_INF) o += part[w * (d + 2) + 2 + c] * __expf(mw - mx);
        }
        store_f32(out + row * d + c, o * inv);
    }
    if (lane == 0) lse[row] = total > 0.f ? mx + __logf(total) : ATTN_NEG_INF;
}

extern "C" __global__ void __launch_bounds__(256)
attention_forward_rows_f32(const float* q, const float* k, const float* v, float* out, float* lse,
                           const int* start, int batch, int heads, int tq, int tk, int head_dim, float scale) {
    forward_rows<float>(q, k, v, out, lse, start, heads, tq, tk, head_dim, scale);
}

extern "C" __global__ void __launch_bounds__(256)
attention_forward_rows_bf16(const bf16_t* q, const bf16_t* k, const bf16_t* v, bf16_t* out, float* lse,
                            const int* start, int batch, int heads, int tq, int tk, int head_dim, float scale) {
    forward_rows<bf16_t>(q, k, v, out, lse, start, heads, tq, tk, head_dim, scale);
}

// delta[r] = dot(dout[r], out[r]) for the rows r of (B*H*Tq) x D, one warp each.
template <typename T>
__device__ __forceinline__ void backward_delta(const T* __restrict__ out, const T* __restrict__ dout,
                                               float* __restrict__ delta, long long rows, int d) {
    const long long r = (long long)blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
    const int lane = threadIdx.x & 31;
    if (r >= rows) return;
    float s = 0.f;
    for (int c = lane; c < d; c += 32) s += to_f32(out[r * d + c]) * to_f32(dout[r * d + c]);
    s = warp_sum(s);
    if (lane == 0) delta[r] = s;
}

extern "C" __global__ void __launch_bounds__(256)
attention_backward_delta_f32(const float* out, const float* dout, float* workspace_delta, int batch, int heads,
                             int tq, int head_dim) {
    backward_delta<float>(out, dout, workspace_delta, (long long)batch * heads * tq, head_dim);
}

extern "C" __global__ void __launch_bounds__(256)
attention_backward_delta_bf16(const bf16_t* out, const bf16_t* dout, float* workspace_delta, int batch,
                              int heads, int tq, int head_dim) {
    backward_delta<bf16_t>(out, dout, workspace_delta, (long long)batch * heads * tq, head_dim);
}

// dq for one query row per warp.
template <typename T>
__device__ __forceinline__ void backward_dq_rows(const T* __restrict__ q, const T* __restrict__ k,
                                                 const T* __restrict__ v, const float* __restrict__ lse,
                                                 const int* __restrict__ start, const T* __restrict__ dout,
                                                 const float* __restrict__ delta, T* __restrict__ dq, int heads,
                                                 int tq, int tk, int d, float scale) {
    const int i = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5), lane = threadIdx.x & 31;
    if (i >= tq) return;
    const int b = blockIdx.z, bh = b * heads + blockIdx.y;
    const int s0 = start ? start[b] : 0, last = tk - tq + i;
    const long long row = (long long)bh * tq + i;
    const T* kg = k + (long long)bh * tk * d;
    const T* vg = v + (long long)bh * tk * d;
    float qr[ROWS_MAX_PER_LANE], dor[ROWS_MAX_PER_LANE], acc[ROWS_MAX_PER_LANE];
    load_row(qr, q + row * d, d, lane);
    load_row(dor, dout + row * d, d, lane);
#pragma unroll
    for (int r = 0; r < ROWS_MAX_PER_LANE; r++) acc[r] = 0.f;
    const float row_lse = lse[row], row_delta = delta[row];
    for (int j = s0; j <= last; j++) {
        float p = __expf(dot_row(qr, kg + (long long)j * d, d, lane) * scale - row_lse);
        float ds = p * (dot_row(dor, vg + (long long)j * d, d, lane) - row_delta);
#pragma unroll
        for (int r = 0; r < ROWS_MAX_PER_LANE; r++) {
            int c = lane + 32 * r;
            if (c < d) acc[r] += ds * to_f32(kg[(long long)j * d + c]);
        }
    }
#pragma unroll
    for (int r = 0; r < ROWS_MAX_PER_LANE; r++) {
        int c = lane + 32 * r;
        if (c < d) store_f32(dq + row * d + c, acc[r] * scale);
    }
}

extern "C" __global__ void __launch_bounds__(128)
attention_backward_dq_rows_f32(const float* q, const float* k, const float* v, const float* lse, const int* start,
                               const float* dout, const float* workspace_delta, float* dq, int batch, int heads,
                               int tq, int tk, int head_dim, float scale) {
    backward_dq_rows<float>(q, k, v, lse, start, dout, workspace_delta, dq, heads, tq, tk, head_dim, scale);
}

extern "C" __global__ void __launch_bounds__(128)
attention_backward_dq_rows_bf16(const bf16_t* q, const bf16_t* k, const bf16_t* v, const float* lse,
                                const int* start, const bf16_t* dout, const float* workspace_delta, bf16_t* dq,
                                int batch, int heads, int tq, int tk, int head_dim, float scale) {
    backward_dq_rows<bf16_t>(q, k, v, lse, start, dout, workspace_delta, dq, heads, tq, tk, head_dim, scale);
}

// dk and dv for one key row per warp: the queries that see key j are i >= j - (Tk - Tq), when j >= start.
template <typename T>
__device__ __forceinline__ void backward_dkdv_rows(const T* __restrict__ q, const T* __restrict__ k,
                                                   const T* __restrict__ v, const float* __restrict__ lse,
                                                   const int* __restrict__ start, const T* __restrict__ dout,
                                                   const float* __restrict__ delta, T* __restrict__ dk,
                                                   T* __restrict__ dv, int heads, int tq, int tk, int d,
                                                   float scale) {
    const int j = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5), lane = threadIdx.x & 31;
    if (j >= tk) return;
    const int b = blockIdx.z, bh = b * heads + blockIdx.y;
    const int s0 = start ? start[b] : 0;
    const long long key = (long long)bh * tk + j;
    const T* qg = q + (long long)bh * tq * d;
    const T* dog = dout + (long long)bh * tq * d;
    float kr[ROWS_MAX_PER_LANE], vr[ROWS_MAX_PER_LANE], dka[ROWS_MAX_PER_LANE], dva[ROWS_MAX_PER_LANE];
    load_row(kr, k + key * d, d, lane);
    load_row(vr, v + key * d, d, lane);
#pragma unroll
    for (int r = 0; r < ROWS_MAX_PER_LANE; r++) dka[r] = dva[r] = 0.f;
    const int first = j < s0 ? tq : max(0, j - (tk - tq));
    for (int i = first; i < tq; i++) {
        const long long row = (long long)bh * tq + i;
        float p = __expf(dot_row(kr, qg + (long long)i * d, d, lane) * scale - lse[row]);
        float ds = p * (dot_row(vr, dog + (long long)i * d, d, lane) - delta[row]);
#pragma unroll
        for (int r = 0; r < ROWS_MAX_PER_LANE; r++) {
            int c = lane + 32 * r;
            if (c < d) {
                dva[r] += p * to_f32(dog[(long long)i * d + c]);
                dka[r] += ds * to_f32(qg[(long long)i * d + c]);
            }
        }
    }
#pragma unroll
    for (int r = 0; r < ROWS_MAX_PER_LANE; r++) {
        int c = lane + 32 * r;
        if (c < d) {
            store_f32(dk + key * d + c, dka[r] * scale);
            store_f32(dv + key * d + c, dva[r]);
        }
    }
}

extern "C" __global__ void __launch_bounds__(128)
attention_backward_dkdv_rows_f32(const float* q, const float* k, const float* v, const float* lse,
                                 const int* start, const float* dout, const float* workspace_delta, float* dk,
                                 float* dv, int batch, int heads, int tq, int tk, int head_dim, float scale) {
    backward_dkdv_rows<float>(q, k, v, lse, start, dout, workspace_delta, dk, dv, heads, tq, tk, head_dim, scale);
}

extern "C" __global__ void __launch_bounds__(128)
attention_backward_dkdv_rows_bf16(const bf16_t* q, const bf16_t* k, const bf16_t* v, const float* lse,
                                  const int* start, const bf16_t* dout, const float* workspace_delta, bf16_t* dk,
                                  bf16_t* dv, int batch, int heads, int tq, int tk, int head_dim, float scale) {
    backward_dkdv_rows<bf16_t>(q, k, v, lse, start, dout, workspace_delta, dk, dv, heads, tq, tk, head_dim, scale);
}

// ---- tiled F32 kernels (D 32 or 64) ------------------------------------------------------------------------
// The F32 path for head dims 32 and 64: a CTA of 8 warps takes a tile of 32 query rows (forward, dq) or 32 keys
// (dk/dv), each warp 4 of them, and streams the other side through shared memory in tiles of 32, so each key
// (or query) is read from global memory once per tile instead of once per row. Within a tile, lane l owns the
// l-th key (or query) for the scores, a whole dot product over D with no shuffles; the D-vector accumulators
// are spread over the lanes as in the row kernels. Plain FP32 math (no TF32): the same sums as the row kernels
// in another order. Shared rows read across lanes are padded to D + 1 floats, so lane l's row starts in bank l.

#define TILED_ROWS 32       // query rows (forward, dq) or keys (dk/dv) per CTA, and the other side's tile
#define TILED_PER_WARP 4    // rows of a warp: 8 warps x 4 = 32

// Loads rows [r0, r0 + TILED_ROWS) of a (rows x D) matrix into a tile with row stride `stride`; rows past the
// end read as 0.
template <int D>
__device__ __forceinline__ void load_tiled(float* tile, int stride, const float* g, int r0, int rows) {
    for (int e = threadIdx.x; e < TILED_ROWS * D; e += blockDim.x) {
        int r = e / D, c = e - r * D;
        tile[r * stride + c] = r0 + r < rows ? g[(long long)(r0 + r) * D + c] : 0.f;
    }
}

template <int D>
__device__ __forceinline__ float dot_tiled(const float* a, const float* b) {
    float s = 0.f;
#pragma unroll
    for (int c = 0; c < D; c++) s += a[c] * b[c];
    return s;
}

__device__ __forceinline__ float warp_max(float x) {
    for (int o = 16; o > 0; o >>= 1) x = fmaxf(x, __shfl_xor_sync(0xffffffffu, x, o));
    return x;
}

// acc[c] += sum over the tile's rows jj of w_jj * tile[jj][lane + 32 c], where w_jj is lane jj's w: a weighted sum
// of the tile's rows (P V, dS K, P^T dO, dS^T Q), spread over the lanes as the accumulators are.
template <int C>
__device__ __forceinline__ void add_weighted_rows(float (&acc)[C], float w, const float* tile, int stride, int lane) {
    for (int jj = 0; jj < TILED_ROWS; jj++) {
        const float wj = __shfl_sync(0xffffffffu, w, jj);
#pragma unroll
        for (int c = 0; c < C; c++) acc[c] += wj * tile[jj * stride + lane + 32 * c];
    }
}

// For a pair (query i, key j): P = exp(q_i . k_j * scale - lse_i) and dS = P (dO_i . v_j - delta_i); both 0 where
// i does not see j.
template <int D>
__device__ __forceinline__ void pair_grads(float& p, float& ds, bool vis, const float* qi, const float* kj,
                                          const float* doi, const float* vj, float scale, float lse_i, float delta_i) {
    p = vis ? __expf(dot_tiled<D>(qi, kj) * scale - lse_i) : 0.f;
    ds = vis ? p * (dot_tiled<D>(doi, vj) - delta_i) : 0.f;
}

// Writes a warp's R rows of accumulators, times factor, to rows r0 .. r0 + R - 1 of an (n x D) matrix (those < n).
template <int D, int R>
__device__ __forceinline__ void store_tiled_rows(float* g, const float (&acc)[R][D / 32], int r0, int n, float factor,
                                                 int lane) {
#pragma unroll
    for (int r = 0; r < R; r++) {
        if (r0 + r >= n) continue;
#pragma unroll
        for (int c = 0; c < D / 32; c++) g[(long long)(r0 + r) * D + lane + 32 * c] = acc[r][c] * factor;
    }
}

template <int D>
__device__ __forceinline__ void forward_tiled(const float* __restrict__ q, const float* __restrict__ k,
                                              const float* __restrict__ v, float* __restrict__ out,
                                              float* __restrict__ lse, const int* __restrict__ start, int heads,
                                              int tq, int tk, float scale) {
    constexpr int T = TILED_ROWS, P = D + 1, R = TILED_PER_WARP, C = D / 32;
    DYNAMIC_SHARED(unsigned char, smem);
    float* qs = (float*)smem;        // T x D: this CTA's query rows (read by all lanes at once: broadcast)
    float* ks = qs + T * D;          // T x P: a tile of keys, lane l's key in row l
    float* vs = ks + T * P;          // T x D: the same tile's values
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    const int m0 = blockIdx.x * T, b = blockIdx.z, bh = b * heads + blockIdx.y;
    const int s0 = start ? start[b] : 0;
    const float* kg = k + (long long)bh * tk * D;
    const float* vg = v + (long long)bh * tk * D;
    load_tiled<D>(qs, D, q + (long long)bh * tq * D, m0, tq);

    float m[R], l[R], acc[R][C];
#pragma unroll
    for (int r = 0; r < R; r++) {
        m[r] = ATTN_NEG_INF;
        l[r] = 0.f;
#pragma unroll
        for (int c = 0; c < C; c++) acc[r][c] = 0.f;
    }
    const int kend = min(tk, tk - tq + m0 + T);   // past the last key the tile's last row sees
    for (int n0 = s0 / T * T; n0 < kend; n0 += T) {
        __syncthreads();   // the previous tile is no longer read
        load_tiled<D>(ks, P, kg, n0, tk);
        load_tiled<D>(vs, D, vg, n0, tk);
        __syncthreads();
#pragma unroll
        for (int r = 0; r < R; r++) {
            const int row = warp * R + r, i = m0 + row, j = n0 + lane;
            if (i >= tq) continue;   // the same for the whole warp
            const bool vis = visible(i, j, s0, tq, tk);
            const float s = vis ? dot_tiled<D>(qs + row * D, ks + lane * P) * scale : ATTN_NEG_INF;
            const float m_new = fmaxf(m[r], warp_max(s));
            if (m_new == ATTN_NEG_INF) continue;   // nothing visible yet: the same for the whole warp
            const float alpha = __expf(m[r] - m_new), p = vis ? __expf(s - m_new) : 0.f;
            l[r] = l[r] * alpha + warp_sum(p);
            m[r] = m_new;
#pragma unroll
            for (int c = 0; c < C; c++) acc[r][c] *= alpha;
            add_weighted_rows<C>(acc[r], p, vs, D, lane);
        }
    }
#pragma unroll
    for (int r = 0; r < R; r++) {
        const int i = m0 + warp * R + r;
        if (i >= tq) continue;
        const long long row = (long long)bh * tq + i;
        const float inv = l[r] > 0.f ? 1.f / l[r] : 0.f;
#pragma unroll
        for (int c = 0; c < C; c++) out[row * D + lane + 32 * c] = acc[r][c] * inv;
        if (lane == 0) lse[row] = l[r] > 0.f ? m[r] + __logf(l[r]) : ATTN_NEG_INF;
    }
}

template <int D>
__device__ __forceinline__ void backward_dq_tiled(const float* __restrict__ q, const float* __restrict__ k,
                                                  const float* __restrict__ v, const float* __restrict__ lse,
                                                  const int* __restrict__ start, const float* __restrict__ dout,
                                                  const float* __restrict__ delta, float* __restrict__ dq,
                                                  int heads, int tq, int tk, float scale) {
    constexpr int T = TILED_ROWS, P = D + 1, R = TILED_PER_WARP, C = D / 32;
    DYNAMIC_SHARED(unsigned char, smem);
    float* qs = (float*)smem;        // T x D: query rows
    float* dos = qs + T * D;         // T x D: their output gradients
    float* ks = dos + T * D;         // T x P: a tile of keys
    float* vs = ks + T * P;          // T x P: its values
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    const int m0 = blockIdx.x * T, b = blockIdx.z, bh = b * heads + blockIdx.y;
    const int s0 = start ? start[b] : 0;
    const float* kg = k + (long long)bh * tk * D;
    const float* vg = v + (long long)bh * tk * D;
    load_tiled<D>(qs, D, q + (long long)bh * tq * D, m0, tq);
    load_tiled<D>(dos, D, dout + (long long)bh * tq * D, m0, tq);

    float row_lse[R], row_delta[R], acc[R][C];
#pragma unroll
    for (int r = 0; r < R; r++) {
        const int i = m0 + warp * R + r;
        row_lse[r] = i < tq ? lse[(long long)bh * tq + i] : 0.f;
        row_delta[r] = i < tq ? delta[(long long)bh * tq + i] : 0.f;
#pragma unroll
        for (int c = 0; c < C; c++) acc[r][c] = 0.f;
    }
    const int kend = min(tk, tk - tq + m0 + T);
    for (int n0 = s0 / T * T; n0 < kend; n0 += T) {
        __syncthreads();
        load_tiled<D>(ks, P, kg, n0, tk);
        load_tiled<D>(vs, P, vg, n0, tk);
        __syncthreads();
#pragma unroll
        for (int r = 0; r < R; r++) {
            const int row = warp * R + r, i = m0 + row, j = n0 + lane;
            if (i >= tq) continue;
            float p, ds;
            pair_grads<D>(p, ds, visible(i, j, s0, tq, tk), qs + row * D, ks + lane * P, dos + row * D, vs + lane * P,
                          scale, row_lse[r], row_delta[r]);
            add_weighted_rows<C>(acc[r], ds, ks, P, lane);
        }
    }
    store_tiled_rows<D, R>(dq + (long long)bh * tq * D, acc, m0 + warp * R, tq, scale, lane);
}

template <int D>
__device__ __forceinline__ void backward_dkdv_tiled(const float* __restrict__ q, const float* __restrict__ k,
                                                    const float* __restrict__ v, const float* __restrict__ lse,
                                                    const int* __restrict__ start, const float* __restrict__ dout,
                                                    const float* __restrict__ delta, float* __restrict__ dk,
                                                    float* __restrict__ dv, int heads, int tq, int tk, float scale) {
    constexpr int T = TILED_ROWS, P = D + 1, R = TILED_PER_WARP, C = D / 32;
    DYNAMIC_SHARED(unsigned char, smem);
    float* ks = (float*)smem;        // T x D: this CTA's keys
    float* vs = ks + T * D;          // T x D: their values
    float* qs = vs + T * D;          // T x P: a tile of queries, lane l's query in row l
    float* dos = qs + T * P;         // T x P: their output gradients
    float* lses = dos + T * P;       // T: their log-sum-exps
    float* deltas = lses + T;        // T: their deltas
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    const int n0 = blockIdx.x * T, b = blockIdx.z, bh = b * heads + blockIdx.y;
    const int s0 = start ? start[b] : 0;
    const float* qg = q + (long long)bh * tq * D;
    const float* dog = dout + (long long)bh * tq * D;
    load_tiled<D>(ks, D, k + (long long)bh * tk * D, n0, tk);
    load_tiled<D>(vs, D, v + (long long)bh * tk * D, n0, tk);

    float dka[R][C], dva[R][C];
#pragma unroll
    for (int r = 0; r < R; r++)
#pragma unroll
        for (int c = 0; c < C; c++) dka[r][c] = dva[r][c] = 0.f;
    const int first = max(0, n0 - (tk - tq));   // the first query that sees a key of this tile
    for (int m0 = first / T * T; m0 < tq; m0 += T) {
        __syncthreads();
        load_tiled<D>(qs, P, qg, m0, tq);
        load_tiled<D>(dos, P, dog, m0, tq);
        if (threadIdx.x < T) {
            const int i = m0 + threadIdx.x;
            lses[threadIdx.x] = i < tq ? lse[(long long)bh * tq + i] : 0.f;
            deltas[threadIdx.x] = i < tq ? delta[(long long)bh * tq + i] : 0.f;
        }
        __syncthreads();
#pragma unroll
        for (int r = 0; r < R; r++) {
            const int key = warp * R + r, j = n0 + key, i = m0 + lane;
            if (j >= tk) continue;
            float p, ds;
            pair_grads<D>(p, ds, visible(i, j, s0, tq, tk), qs + lane * P, ks + key * D, dos + lane * P, vs + key * D,
                          scale, lses[lane], deltas[lane]);
            add_weighted_rows<C>(dva[r], p, dos, P, lane);
            add_weighted_rows<C>(dka[r], ds, qs, P, lane);
        }
    }
    store_tiled_rows<D, R>(dk + (long long)bh * tk * D, dka, n0 + warp * R, tk, scale, lane);
    store_tiled_rows<D, R>(dv + (long long)bh * tk * D, dva, n0 + warp * R, tk, 1.f, lane);
}

// One kernel per pass for both head dims (AttentionPlan launches them for D 32 and 64 only): the branch on
// head_dim is the same for every thread.
extern "C" __global__ void __launch_bounds__(256)
attention_forward_f32_tiled(const float* q, const float* k, const float* v, float* out, float* lse, const int* start,
                            int batch, int heads, int tq, int tk, int head_dim, float scale) {
    if (head_dim == 32) forward_tiled<32>(q, k, v, out, lse, start, heads, tq, tk, scale);
    else forward_tiled<64>(q, k, v, out, lse, start, heads, tq, tk, scale);
}

extern "C" __global__ void __launch_bounds__(256)
attention_backward_dq_f32_tiled(const float* q, const float* k, const float* v, const float* lse, const int* start,
                                const float* dout, const float* workspace_delta, float* dq, int batch, int heads,
                                int tq, int tk, int head_dim, float scale) {
    if (head_dim == 32) backward_dq_tiled<32>(q, k, v, lse, start, dout, workspace_delta, dq, heads, tq, tk, scale);
    else backward_dq_tiled<64>(q, k, v, lse, start, dout, workspace_delta, dq, heads, tq, tk, scale);
}

extern "C" __global__ void __launch_bounds__(256)
attention_backward_dkdv_f32_tiled(const float* q, const float* k, const float* v, const float* lse, const int* start,
                                  const float* dout, const float* workspace_delta, float* dk, float* dv, int batch,
                                  int heads, int tq, int tk, int head_dim, float scale) {
    if (head_dim == 32) backward_dkdv_tiled<32>(q, k, v, lse, start, dout, workspace_delta, dk, dv, heads, tq, tk, scale);
    else backward_dkdv_tiled<64>(q, k, v, lse, start, dout, workspace_delta, dk, dv, heads, tq, tk, scale);
}
