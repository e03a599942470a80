package org.instruct4j.rlhf.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.instruct4j.engine.Device;
import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.io.SafeTensors;
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

        Files.createDirectories(models.resolve("gpt"));
        SafeTensors.write(models.resolve("gpt/model.safetensors"), Map.of("w", Tensor.of(new float[] {1, 2}, Device.CPU, 2)), Map.of());
        assertThat(cache(true).result("gpt", "key 1", Losses.class)).as("weights but no stage.json: unfinished").isEmpty();

        cache(true).finish("gpt", "key 1", new Losses(List.of(3.0, 2.5)));
        assertThat(cache(true).result("gpt", "key 1", Losses.class)).contains(new Losses(List.of(3.0, 2.5)));
        assertThat(cache(true).weights("gpt", Device.CPU).get("w").toFloatArray()).containsExactly(1f, 2f);
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
