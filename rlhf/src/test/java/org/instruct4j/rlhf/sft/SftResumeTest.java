package org.instruct4j.rlhf.sft;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.instruct4j.engine.nn.Gpt;
import org.instruct4j.rlhf.train.CheckpointPlan;
import org.instruct4j.rlhf.train.TinyWorld;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SftResumeTest {
    @TempDir Path dir;

    @Test
    void resumingFromACheckpointReproducesTheUninterruptedLosses() {
        List<SftExample> data = TinyWorld.demonstrations(24, 1);
        SftConfig cfg = SftConfig.paper().withLr(3e-3f).withEpochs(2).withBatchSize(8).withDropout(0.1f)   // dropout on: the RNG state matters
                .withSeed(5).withMaxLen(24).withWeightDecay(0.01f);
        Gpt a = TinyWorld.model(2).copy(cfg.dropout());
        List<Double> straight = new SftTrainer(a, cfg, TinyWorld.PAD).quiet().train(data, List.of(), null, null).trainLosses();

        Gpt b = TinyWorld.model(2).copy(cfg.dropout());
        Path ckpt = dir.resolve("ckpt");
        List<Double> first = new SftTrainer(b, cfg, TinyWorld.PAD).quiet().train(data, List.of(), null, null, CheckpointPlan.at(ckpt), 4).trainLosses();
        assertThat(Files.exists(ckpt.resolve("model.safetensors"))).isTrue();
        Gpt c = TinyWorld.model(77).copy(cfg.dropout());   // different init: everything must come from the checkpoint
        SftTrainer resumed = new SftTrainer(c, cfg, TinyWorld.PAD).quiet();
        resumed.resume(CheckpointPlan.at(ckpt));
        assertThat(resumed.step()).isEqualTo(4);
        assertThat(first).hasSize(4).containsExactlyElementsOf(straight.subList(0, 4));
        // the resumed trainer's result covers the whole run: the checkpoint's losses, then its own
        assertThat(resumed.train(data, List.of(), null, null).trainLosses()).containsExactlyElementsOf(straight);
    }

    @Test
    void savingTwiceKeepsOneCompleteCheckpoint() throws Exception {
        List<SftExample> data = TinyWorld.demonstrations(8, 1);
        SftConfig cfg = SftConfig.paper().withLr(1e-3f).withEpochs(1).withBatchSize(8).withDropout(0f).withSeed(5).withMaxLen(24);
        SftTrainer t = new SftTrainer(TinyWorld.model(2), cfg, TinyWorld.PAD).quiet();
        Path ckpt = dir.resolve("c");
        t.save(CheckpointPlan.at(ckpt), null);
        t.train(data, List.of(), null, null);
        t.save(CheckpointPlan.at(ckpt), null);
        try (var s = Files.list(dir)) {
            assertThat(s.map(p -> p.getFileName().toString()).toList()).containsExactly("c");
        }
        assertThat(Files.readString(ckpt.resolve("training_state.json"))).contains("\"step\" : 1");
    }
}
