package org.instruct4j.rlhf.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.instruct4j.engine.Device;
import org.instruct4j.engine.backend.cuda.CudaBackend;
import org.instruct4j.engine.nn.GptConfig;
import org.instruct4j.rlhf.world.WorldConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole demo, every stage, on the CUDA backend: generation with the KV cache, the reward model, PPO's updates
 * and the evaluation, which no engine test reaches. In CI it runs on the emulated device (docs/EMULATOR.md; the
 * emulator runs the kernels on the CPU, so the run is a micro one: a 1-block model of 32 dims, a few steps a stage,
 * under two minutes there); on a GPU, bench/gpu/first-contact.sh runs it. It must follow the same run on the CPU:
 * the stages without sampling (pretraining, SFT) within 1e-3 of the CPU's losses; the rest, whose samples may part
 * ways on a different device's rounding, must finish with a complete report of finite numbers.
 */
class DemoOnCudaTest {
    @TempDir Path cpuOut;
    @TempDir Path cudaOut;

    /**
     * A run small enough for the emulated device: a few steps a stage, six held-out tasks; the demo's vocabulary, so
     * that a passage question fits 160 tokens (a smaller one made longer sequences, which cost the emulator most);
     * 12 ranked prompts, as the reward model holds out 8 for validation (Demo's minimum) and trains on the rest.
     */
    static DemoConfig micro(Device device) {
        WorldConfig w = WorldConfig.defaults(1);
        WorldConfig tiny = new WorldConfig(1, 40_000, 12, 6, 6, 8, 6, 4, w.trainingLabelers(), w.heldOutLabelers(), 20, w.habitRate());
        return new DemoConfig("quick-micro", 1, device, tiny, 1024, new GptConfig(1024, 160, 1, 2, 32, 0f, 1e-5f),
                4, 4, 32, 3e-3f,
                1, 6, 1e-3f,
                6, 6, 2, 3, 1, 4, 3e-4f,
                2, 4, 2, 1e-4f, 2e-4f, 0.02, 0.99f,
                0.5f, 0.3f, 0.25, 32, 8,
                6, 1.0f, 4, 8, DemoConfig.PpoReward.REWARD_MODEL);
    }

    @Test
    void theDemoRunsOnCudaAsOnTheCpu() throws Exception {
        assumeTrue(CudaBackend.isAvailable(), "no CUDA device (neither a GPU nor the emulated one, see docs/EMULATOR.md): the demo on CUDA skipped");
        DemoReport cpu = new Demo(micro(Device.CPU), cpuOut, quiet()).run();
        DemoReport cuda = new Demo(micro(Device.cuda(0)), cudaOut, quiet()).run();

        assertClose("pretraining loss", cuda.pretrainLosses(), cpu.pretrainLosses());
        assertClose("SFT validation loss", cuda.sft().validationLosses(), cpu.sft().validationLosses());
        assertThat(cuda.policies()).containsOnlyKeys(cpu.policies().keySet());
        for (var p : cuda.policies().values()) {
            assertThat(p.vsSftTraining().rate()).isBetween(0.0, 1.0);
            assertThat(p.likert()).isBetween(1.0, 7.0);
        }
        cuda.publicNlp().values().forEach(s -> assertThat(s.loss()).isFinite().isPositive());
        assertThat(cuda.rm().validationAccuracy()).isBetween(0.0, 1.0);
        // a series keeps only finite values: a NaN or infinite reward on cuda leaves it shorter than the CPU's
        assertThat(cuda.ppoPtxLog().series("reward").values()).as("a finite reward for every PPO-ptx iteration, as on the CPU")
                .isNotEmpty().hasSameSizeAs(cpu.ppoPtxLog().series("reward").values());
        assertThat(cudaOut.resolve("report.md")).isNotEmptyFile();
        assertThat(cudaOut.resolve("models/ppo-ptx/model.safetensors")).isNotEmptyFile();
    }

    private static void assertClose(String what, List<Double> cuda, List<Double> cpu) {
        assertThat(cuda).as(what).hasSameSizeAs(cpu);
        for (int i = 0; i < cpu.size(); i++)
            assertThat(Math.abs(cuda.get(i) - cpu.get(i))).as("%s %d: cuda %s, cpu %s", what, i, cuda.get(i), cpu.get(i))
                    .isLessThanOrEqualTo(1e-3 * Math.max(1, Math.abs(cpu.get(i))));
    }

    private static PrintStream quiet() {
        return new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    }
}
