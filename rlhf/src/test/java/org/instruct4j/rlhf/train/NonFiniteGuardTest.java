package org.instruct4j.rlhf.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.nn.Gpt;
import org.instruct4j.rlhf.sft.SftConfig;
import org.instruct4j.rlhf.sft.SftExample;
import org.instruct4j.rlhf.sft.SftTrainer;
import org.instruct4j.rlhf.train.NonFiniteGuard.NonFiniteLossException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NonFiniteGuardTest {
    @TempDir Path dir;

    @Test
    void aNanLossStopsTrainingAndLeavesTheLastCheckpointAsItWas() throws IOException {
        List<SftExample> data = TinyWorld.demonstrations(24, 1);
        SftConfig cfg = SftConfig.paper().withLr(3e-3f).withEpochs(2).withBatchSize(8).withDropout(0f).withSeed(5).withMaxLen(24);
        Gpt model = TinyWorld.model(2);
        SftTrainer trainer = new SftTrainer(model, cfg, TinyWorld.PAD).quiet();
        Path checkpoint = dir.resolve("ckpt");
        trainer.train(data, List.of(), null, null, CheckpointPlan.at(checkpoint), 4);   // stops after step 4 with a checkpoint
        Map<String, byte[]> saved = files(checkpoint);

        // A NaN in the position embedding every batch reads, as an overflow would leave it: the next loss is NaN.
        Map<String, float[]> weights = Snapshots.take(model.parameters());
        weights.get("wpe.weight")[0] = Float.NaN;
        Snapshots.restore(model.parameters(), weights);
        assertThatThrownBy(() -> trainer.train(data, List.of(), null, null, CheckpointPlan.at(checkpoint), 6))
                .isInstanceOf(NonFiniteLossException.class)
                .hasMessage("sft: step 5: the loss is NaN; training stopped before the update, the last checkpoint, saved after "
                        + "step 4 (whose loss was finite), is " + checkpoint + ", left intact. A lower learning rate usually helps.");

        assertThat(files(checkpoint)).containsOnlyKeys(saved.keySet());
        saved.forEach((name, bytes) -> assertThat(files(checkpoint).get(name)).as(name).isEqualTo(bytes));
        SftTrainer resumed = new SftTrainer(TinyWorld.model(9), cfg, TinyWorld.PAD).quiet();
        resumed.resume(CheckpointPlan.at(checkpoint));
        assertThat(resumed.step()).isEqualTo(4);
        assertThat(resumed.model().parameters().get("wpe.weight").toFloatArray()[0]).isFinite();
    }

    @Test
    void anInfiniteGradientStopsTheStepEvenWhenTheLossIsFinite() {
        NonFiniteGuard guard = new NonFiniteGuard("rm");
        Tensor p = Tensor.of(new float[] {1f, 2f}, 2).requiresGrad(true);
        p.scale(Float.POSITIVE_INFINITY).backward(Tensor.of(new float[] {1f, 1f}, 2));
        assertThatThrownBy(() -> guard.clipScale(3, 0.5, List.of(p), 1f))
                .isInstanceOf(NonFiniteLossException.class)
                .hasMessage("rm: step 3: the gradient norm is Infinity (the loss was 0.5); training stopped before the update, "
                        + "no checkpoint was saved in this run (--save-every N saves one every N steps). A lower learning rate usually helps.");
        Tensor q = Tensor.of(new float[] {3f, 4f}, 2).requiresGrad(true);
        q.scale(1f).backward(Tensor.of(new float[] {3f, 4f}, 2));   // gradient norm 5
        assertThat(guard.clipScale(4, 0.5, List.of(q), 1f)).isEqualTo((float) Math.min(1.0, 1 / (5 + 1e-6)));
        assertThat(guard.clipScale(4, 0.5, List.of(q), 0f)).isEqualTo(1f);   // no clipping
    }

    private static Map<String, byte[]> files(Path folder) {
        Map<String, byte[]> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(folder)) {
            for (Path f : s.filter(Files::isRegularFile).toList()) out.put(folder.relativize(f).toString(), Files.readAllBytes(f));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out;
    }
}
