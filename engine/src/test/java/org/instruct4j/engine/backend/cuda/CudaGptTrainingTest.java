package org.instruct4j.engine.backend.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Arrays;
import org.instruct4j.engine.Device;
import org.instruct4j.engine.Rng;
import org.instruct4j.engine.Scope;
import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.nn.Gpt;
import org.instruct4j.engine.nn.GptConfig;
import org.instruct4j.engine.ops.CrossEntropy;
import org.instruct4j.engine.optim.AdamW;
import org.junit.jupiter.api.Test;

/**
 * The whole stack on CUDA: a tiny GPT (F32, same seed, same batch) trained for 25 AdamW steps on the GPU follows
 * the CPU's losses step by step (within 1e-3 relative: the two sum in different orders, and 25 steps compound
 * it), and learns. Both loss curves are printed. Runs where there is a CUDA device.
 */
class CudaGptTrainingTest {
    static final GptConfig TINY = new GptConfig(64, 32, 2, 2, 64, 0f, 1e-5f);
    static final int STEPS = 25;

    static float[] train(Device device) {
        Rng rng = new Rng(17);
        Gpt model = new Gpt(TINY, rng, device);
        int b = 4, t = TINY.contextLength();
        int[] in = new int[b * t], out = new int[b * t];
        for (int i = 0; i < in.length; i++) in[i] = rng.nextInt(TINY.vocabSize());
        for (int i = 0; i < out.length; i++) out[i] = (in[i] * 7 + 3) % TINY.vocabSize();  // a rule to learn
        return trainSteps(model, Tensor.ofInts(in, device, b, t), Tensor.ofInts(out, device, b, t), STEPS);
    }

    /** steps AdamW steps (lr 3e-3, weight decay 0.1, clipping at 1) on one batch; the loss before each. */
    static float[] trainSteps(Gpt model, Tensor inputs, Tensor targets, int steps) {
        AdamW opt = AdamW.of(model.parameters(), 0.1f);
        float[] losses = new float[steps];
        for (int s = 0; s < steps; s++) {
            try (Scope step = Scope.open()) {
                Tensor loss = CrossEntropy.mean(model.logits(model.hidden(inputs, null, null, false, null)), targets);
                loss.backward();
                opt.step(3e-3f, 1f);
                opt.zeroGrad();
                losses[s] = loss.item();
            }
        }
        return losses;
    }

    @Test void aTinyGptTrainsOnCudaAsOnTheCpu() {
        assumeTrue(CudaBackend.isAvailable(), "no CUDA GPU on this machine (libcuda or a device is missing): GPT training on CUDA skipped");
        float[] cpu = train(Device.CPU), gpu = train(Device.cuda(0));
        System.out.println("cpu losses:  " + Arrays.toString(cpu));
        System.out.println("cuda losses: " + Arrays.toString(gpu));
        for (int s = 0; s < STEPS; s++)
            assertThat(Math.abs(gpu[s] - cpu[s])).as("step %d: cuda %s, cpu %s", s, gpu[s], cpu[s])
                    .isLessThanOrEqualTo(1e-3f * Math.max(1f, Math.abs(cpu[s])));
        assertThat(gpu[STEPS - 1]).as("the GPU run learns").isLessThan(gpu[0] * 0.8f);
    }
}
