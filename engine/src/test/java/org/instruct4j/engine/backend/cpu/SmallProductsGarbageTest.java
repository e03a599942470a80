package org.instruct4j.engine.backend.cpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.instruct4j.engine.backend.cpu.ProfileFreeRows.fewestBytesPerCall;
import static org.instruct4j.engine.backend.cpu.ProfileFreeRows.gaussian;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Attention multiplies thousands of small blocks a training step on the calling thread; each call once left a
 * Problem and a task lambda to the collector, most of a step's garbage (0.9 of 1.1 MB a demo step). Once compiled,
 * such calls allocate nothing: the shapes of the demo's attention (32 query rows, 96 keys, 32-wide heads), through
 * both GEMM paths (one column panel, and columns split into tasks), with B packed beforehand and with A
 * transposed (packed by the call). Measured as VectorMathProfileFreeTest measures the row primitives.
 */
class SmallProductsGarbageTest {
    @Test void attentionSizedProductsAllocateNothingOnceCompiled() {
        assumeTrue(VectorSupport.AVAILABLE, "the surefire JVM adds jdk.incubator.vector; this checks the vector path");
        Random random = new Random(3);
        int rows = 32, keys = 96, d = 32;
        float[] q = gaussian(random, rows * d), k = gaussian(random, keys * d), scores = new float[rows * keys];
        float[] out = new float[rows * d], packedK = new float[CpuGemmVector.packedSize(keys, d)];
        CpuGemmVector.packB(true, keys, d, k, 0, packedK);
        assertThat(fewestBytesPerCall(() -> CpuGemmVector.multiply(false, true, rows, keys, d, 0.2f, q, 0, k, 0, 0f,
                scores, 0))).as("Q K^T, columns split").isLessThan(1.0);
        assertThat(fewestBytesPerCall(() -> CpuGemmVector.multiplyPacked(false, rows, keys, d, 0.2f, q, 0, packedK, d,
                0f, scores, 0))).as("Q K^T with K^T packed").isLessThan(1.0);
        assertThat(fewestBytesPerCall(() -> CpuGemmVector.multiply(false, false, rows, 16, keys, 1f, scores, 0, k, 0,
                1f, out, 0))).as("P V, one column panel").isLessThan(1.0);
        assertThat(fewestBytesPerCall(() -> CpuGemmVector.multiply(true, false, keys, d, rows, 1f, scores, 0, q, 0,
                1f, k, 0))).as("dS^T Q, A transposed and packed").isLessThan(1.0);
    }
}
