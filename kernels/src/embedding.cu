// Token embedding lookup and its deterministic backward.
//   forward:  out[i] = table[ids[i]], rows of dim elements; an id outside [0, vocab) gives a row of NaN so the
//             error shows up in the loss. Grid-stride over n * dim, 256 threads; 1 read + 1 write per element.
//   backward: dtable[id] = sum of dout[i] over the positions i holding id, added in increasing i. The host
//             groups positions by id (a counting sort of the ids, EmbeddingBuckets), so each block owns one
//             table row: no atomics, the same order of additions as the CPU, bit-identical in f32. The rows of
//             ids that do not occur are zeroed with a memset first. Launch: one block per distinct id,
//             256 threads over dim. Reads n * dim elements of dout, writes distinct * dim elements.
#include "common.cuh"

template <typename T>
__device__ void embedding_forward_impl(const T* table, const int* ids, T* out, int n, int dim, int vocab) {
    long long total = (long long) n * dim;
    for (long long e = blockIdx.x * (long long) blockDim.x + threadIdx.x; e < total; e += (long long) gridDim.x * blockDim.x) {
        long long i = e / dim, c = e - i * dim;
        int id = ids[i];
        out[e] = (id >= 0 && id < vocab) ? table[(long long) id * dim + c] : from_float<T>(__int_as_float(0x7fc00000));
    }
}

template <typename T>
__device__ void embedding_backward_impl(const T* dout, const int* positions, const int* bucket_start,
                                        const int* bucket_id, T* dtable, int dim) {
    int bucket = blockIdx.x;
    int from = bucket_start[bucket], to = bucket_start[bucket + 1];
    long long row = (long long) bucket_id[bucket] * dim;
    for (int c = threadIdx.x; c < dim; c += blockDim.x) {
        float s = 0.f;
        for (int k = from; k < to; k++) s += to_float(dout[(long long) positions[k] * dim + c]);
        dtable[row + c] = from_float<T>(s);
    }
}

#define EMBEDDING_KERNELS(S, T)                                                                                  \
    extern "C" __global__ void embedding_forward_##S(const T* table, const int* ids, T* out, int n, int dim,     \
                                                     int vocab) {                                                 \
        embedding_forward_impl<T>(table, ids, out, n, dim, vocab);                                                \
    }                                                                                                             \
    extern "C" __global__ void embedding_backward_##S(const T* dout, const int* positions,                       \
                                                      const int* bucket_start, const int* bucket_id, T* dtable,  \
                                                      int dim) {                                                  \
        embedding_backward_impl<T>(dout, positions, bucket_start, bucket_id, dtable, dim);                        \
    }

FOR_EACH_FLOAT_TYPE(EMBEDDING_KERNELS)
