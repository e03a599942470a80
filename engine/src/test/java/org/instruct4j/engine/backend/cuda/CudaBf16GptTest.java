package org.instruct4j.engine.backend.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Arrays;
import org.instruct4j.engine.DType;
import org.instruct4j.engine.Device;
import org.instruct4j.engine.Rng;
import org.instruct4j.engine.Scope;
import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.nn.Gpt;
import org.instruct4j.engine.nn.GptConfig;
import org.junit.jupiter.api.Test;

/**
 * A GPT in BF16 on CUDA (mixed precision) against the same GPT in F32 with the same, rounded, weights: the logits
 * within 2e-2 relative by norm (BF16 keeps 8 bits of mantissa; every activation is rounded to it), and 10 AdamW
 * steps whose losses follow the F32 run's within 3e-2 relative. Head size 64, so attention takes the flash
 * kernels. Runs where there is a CUDA device (or the emulated one).
 */
class CudaBf16GptTest {
    static final GptConfig SMALL = new GptConfig(64, 32, 2, 2, 128, 0f, 1e-5f);
    static final Device GPU = Device.cuda(0);
    static final int STEPS = 10, B = 2, T = 16;  // small: the emulated device runs the flash kernels slowly

    /** The BF16 model and an F32 one holding exactly its (rounded) values. */
    static Gpt[] twins() {
        Gpt bf16 = new Gpt(SMALL, new Rng(17), GPU, DType.BF16), f32 = new Gpt(SMALL, new Rng(1), GPU);
        f32.copyFrom(bf16);
        return new Gpt[] {bf16, f32};
    }

    static int[] tokens(Rng rng, int n) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = rng.nextInt(SMALL.vocabSize());
        return t;
    }

    static double relativeError(float[] got, float[] want) {
        double diff = 0, norm = 0;
        for (int i = 0; i < want.length; i++) {
            diff += (got[i] - want[i]) * (double) (got[i] - want[i]);
            norm += want[i] * (double) want[i];
        }
        return Math.sqrt(diff / norm);
    }

    @Test void parametersAreBf16AndTheLogitsFollowF32() {
        assumeTrue(CudaBackend.isAvailable(), "no CUDA GPU on this machine (libcuda or a device is missing): BF16 GPT test skipped");
        Gpt[] m = twins();
        assertThat(m[0].parameters().values()).allSatisfy(p -> assertThat(p.dtype()).isEqualTo(DType.BF16));
        Tensor in = Tensor.ofInts(tokens(new Rng(3), B * SMALL.contextLength()), GPU, B, SMALL.contextLength());
        try (Scope s = Scope.open()) {
            Tensor bf16 = m[0].forward(in, null), f32 = m[1].forward(in, null);
            assertThat(bf16.dtype()).isEqualTo(DType.BF16);
            double err = relativeError(bf16.toFloatArray(), f32.toFloatArray());
            System.out.printf("BF16 logits against F32: relative error %.3g%n", err);
            assertThat(err).isLessThan(2e-2);
        }
    }

    static float[] train(Gpt model) {
        Rng rng = new Rng(5);
        int[] in = tokens(rng, B * T), out = new int[B * T];
        for (int i = 0; i < out.length; i++) out[i] = (in[i] * 7 + 3) % SMALL.vocabSize();  // a rule to learn
        return CudaGptTrainingTest.trainSteps(model, Tensor.ofInts(in, GPU, B, T), Tensor.ofInts(out, GPU, B, T), STEPS);
    }

    @Test void bf16TrainingFollowsF32() {
        assumeTrue(CudaBackend.isAvailable(), "no CUDA GPU on this machine (libcuda or a device is missing): BF16 GPT test skipped");
        Gpt[] m = twins();
        float[] bf16 = train(m[0]), f32 = train(m[1]);
        System.out.println("bf16 losses: " + Arrays.toString(bf16));
        System.out.println("f32 losses:  " + Arrays.toString(f32));
        for (int s = 0; s < STEPS; s++)
            assertThat(Math.abs(bf16[s] - f32[s])).as("step %d: bf16 %s, f32 %s", s, bf16[s], f32[s])
                    .isLessThanOrEqualTo(3e-2f * Math.abs(f32[s]));
        assertThat(bf16[STEPS - 1]).as("the BF16 run learns").isLessThan(bf16[0] * 0.8f);
    }

    @Test void bf16IsRefusedOnTheCpu() {
        assertThatThrownBy(() -> new Gpt(SMALL, new Rng(1), Device.CPU, DType.BF16))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("BF16 on a CUDA device");
    }
}
