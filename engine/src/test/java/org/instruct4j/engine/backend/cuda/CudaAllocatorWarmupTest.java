package org.instruct4j.engine.backend.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.instruct4j.engine.DType;
import org.instruct4j.engine.backend.Buffer;
import org.junit.jupiter.api.Test;

/** A training-like sequence of allocations and frees makes no cuMemAlloc once the first step has warmed the cache. */
class CudaAllocatorWarmupTest {
    @Test void noDeviceAllocationsAfterWarmUp() {
        assumeTrue(CudaBackend.isAvailable(), "no CUDA GPU on this machine (libcuda or a device is missing): allocator warm-up test skipped");
        CudaBackend gpu = (CudaBackend) CudaBackend.open(0);
        int rows = 64, cols = 256, vocab = 512;
        try (Buffer w = gpu.allocate(DType.BF16, (long) cols * vocab); Buffer ids = gpu.allocate(DType.I32, rows)) {
            long afterFirst = -1;
            for (int step = 0; step < 4; step++) {
                try (Buffer x = gpu.allocate(DType.BF16, (long) rows * cols);
                     Buffer logits = gpu.allocate(DType.BF16, (long) rows * vocab);
                     Buffer loss = gpu.allocate(DType.F32, rows); Buffer lse = gpu.allocate(DType.F32, rows);
                     Buffer total = gpu.allocate(DType.F32, 1)) {
                    gpu.fill(x, 0.5f);
                    gpu.gemm(false, false, 1, rows, vocab, cols, 1f, x, 0, w, 0, 0f, logits, 0);
                    gpu.crossEntropy(logits, ids, loss, lse, rows, vocab);
                    gpu.sum(loss, total, rows);
                    gpu.downloadFloats(total);
                }
                if (step == 0) afterFirst = gpu.memoryStats().deviceAllocations();
            }
            assertThat(gpu.memoryStats().deviceAllocations()).as(gpu.memoryStats().toString()).isEqualTo(afterFirst);
        }
    }
}
