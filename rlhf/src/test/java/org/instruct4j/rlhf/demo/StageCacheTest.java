package org.instruct4j.rlhf.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.instruct4j.engine.Device;
import org.instruct4j.engine.nn.Gpt;
import org.instruct4j.rlhf.train.ModelFolder;
import org.instruct4j.rlhf.train.TinyWorld;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A stage is reused only with --resume, only when finished, and only with the same settings; otherwise it says why. */
class StageCacheTest {
    @TempDir Path models;

    record Losses(List<Double> losses) {}

    private final ByteArrayOutputStream said = new ByteArrayOutputStream();

    private StageCache cache(boolean resume) {
        return new StageCache(models, resume, new PrintStream(said, true, StandardCharsets.UTF_8));
    }

    @Test
    void reusesOnlyAFinishedStageWithTheSameSettings() throws Exception {
        assertThat(cache(true).result("gpt", "key 1", Losses.class)).isEmpty();
        assertThat(said.toString(StandardCharsets.UTF_8)).contains("holds no finished stage");

        Gpt gpt = TinyWorld.model(5);
        ModelFolder.saveLm(models.resolve("gpt"), gpt, null);
        assertThat(cache(true).result("gpt", "key 1", Losses.class)).as("weights but no stage.json: unfinished").isEmpty();

        cache(true).finish("gpt", "key 1", new Losses(List.of(3.0, 2.5)));
        assertThat(cache(true).result("gpt", "key 1", Losses.class)).contains(new Losses(List.of(3.0, 2.5)));
        assertThat(cache(true).weights("gpt", Device.CPU).get("wte.weight").toFloatArray())
                .containsExactly(gpt.parameters().get("wte.weight").toFloatArray());
        assertThat(cache(false).result("gpt", "key 1", Losses.class)).as("without --resume").isEmpty();

        said.reset();
        assertThat(cache(true).result("gpt", "key 2", Losses.class)).isEmpty();
        assertThat(said.toString(StandardCharsets.UTF_8)).contains("stage.json was made with other settings");

        Files.writeString(models.resolve("gpt/stage.json"), "{ not json");
        said.reset();
        assertThat(cache(true).result("gpt", "key 1", Losses.class)).isEmpty();
        assertThat(said.toString(StandardCharsets.UTF_8)).contains("cannot be read");
    }
}
