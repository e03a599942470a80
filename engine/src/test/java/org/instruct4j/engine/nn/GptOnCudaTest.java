package org.instruct4j.engine.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.instruct4j.engine.Device;
import org.instruct4j.engine.backend.cuda.CudaBackend;
import org.junit.jupiter.api.Test;

/**
 * The tiny GPT trains on CUDA (a GPU, or in CI the emulated device) as it does on the CPU: the same seed gives the
 * same losses step by step, within 1e-3 relative (F32 weights and activations; sums run in another order on each
 * side: cuBLAS against the CPU's blocked GEMM, block reductions against sequential ones), and dropout's masks are
 * the same counter-based hash on both.
 */
class GptOnCudaTest {
    static final int STEPS = 12;

    @Test void lossesMatchTheCpu() {
        assumeTrue(CudaBackend.isAvailable(), "no CUDA device (a GPU, or the emulated one: -Dinstruct4j.cuda.emulator): skipped");
        GptConfig config = GptTrainingTest.TINY.withDropout(0.1f);
        float[] cpu = GptTrainingTest.train(config, 3, STEPS, true, Device.CPU);
        float[] cuda = GptTrainingTest.train(config, 3, STEPS, true, Device.cuda(0));
        for (int s = 0; s < STEPS; s++)
            assertThat((double) cuda[s]).as("loss at step %d (cpu %s, cuda %s)", s, cpu[s], cuda[s])
                    .isCloseTo(cpu[s], org.assertj.core.data.Percentage.withPercentage(0.1));
        assertThat(cuda[STEPS - 1]).as("training lowers the loss").isLessThan(cuda[0] - 0.3f);
    }
}
