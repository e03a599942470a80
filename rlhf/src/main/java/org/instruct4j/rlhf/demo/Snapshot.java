package org.instruct4j.rlhf.demo;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.instruct4j.engine.io.AtomicFiles;
import org.instruct4j.engine.io.SafeTensors;
import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.nn.Gpt;
import org.instruct4j.engine.nn.GptConfig;
import org.instruct4j.rlhf.data.Jsonl;

/** A trained model as a folder: model.safetensors (Hugging Face GPT-2 names) and config.json. */
final class Snapshot {
    private Snapshot() {}

    static void save(Path dir, Gpt model) throws IOException {
        save(dir, model.config(), model.parameters());
    }

    /** Weights named after a GPT of this config (a reward model adds score.weight and score.bias). */
    static void save(Path dir, GptConfig gpt, Map<String, Tensor> weights) throws IOException {
        Files.createDirectories(dir);
        String config = Jsonl.mapper().writeValueAsString(gpt);
        SafeTensors.write(dir.resolve("model.safetensors"), weights, Map.of("format", "pt", "instruct4j.config", config));
        AtomicFiles.write(dir.resolve("config.json"), o -> o.write((config + "\n").getBytes(StandardCharsets.UTF_8)));
    }
}
