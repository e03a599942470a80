package org.instruct4j.rlhf.sft;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.instruct4j.engine.nn.Gpt;
import org.instruct4j.rlhf.train.TinyWorld;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SftResumeTest {
    @TempDir Path dir;

    @Test
    void resumingFromACheckpointReproducesTheUninterruptedLosses() {
        List<SftExample> data = TinyWorld.demonstrations(24, 1);
        SftConfig cfg = new SftConfig(3e-3f, 2, 8, 0.1f, 5, 24, 0.01f, 1f);   // dropout on: the RNG state matters
        Gpt a = SftTrainer.withDropout(TinyWorld.model(2), cfg.dropout());
        List<Double> straight = new SftTrainer(a, cfg, TinyWorld.PAD).quiet().train(data, List.of(), null, null).trainLosses();

        Gpt b = SftTrainer.withDropout(TinyWorld.model(2), cfg.dropout());
        Path ckpt = dir.resolve("ckpt");
        List<Double> first = new SftTrainer(b, cfg, TinyWorld.PAD).quiet().train(data, List.of(), null, null, ckpt, 4).trainLosses();
        assertThat(Files.exists(ckpt.resolve("model.safetensors"))).isTrue();
        Gpt c = SftTrainer.withDropout(TinyWorld.model(77), cfg.dropout());   // different init: everything must come from the checkpoint
        SftTrainer resumed = new SftTrainer(c, cfg, TinyWorld.PAD).quiet();
        resumed.resume(ckpt);
        assertThat(resumed.step()).isEqualTo(4);
        List<Double> rest = resumed.train(data, List.of(), null, null).trainLosses();
        List<Double> joined = new ArrayList<>(first);
        joined.addAll(rest);
        assertThat(joined).containsExactlyElementsOf(straight);
    }

    @Test
    void savingTwiceKeepsOneCompleteCheckpoint() throws Exception {
        List<SftExample> data = TinyWorld.demonstrations(8, 1);
        SftConfig cfg = new SftConfig(1e-3f, 1, 8, 0f, 5, 24, 0f, 1f);
        SftTrainer t = new SftTrainer(TinyWorld.model(2), cfg, TinyWorld.PAD).quiet();
        Path ckpt = dir.resolve("c");
        t.save(ckpt);
        t.train(data, List.of(), null, null);
        t.save(ckpt);
        try (var s = Files.list(dir)) {
            assertThat(s.map(p -> p.getFileName().toString()).toList()).containsExactly("c");
        }
        assertThat(Files.readString(ckpt.resolve("training_state.json"))).contains("\"step\" : 1");
    }
}
