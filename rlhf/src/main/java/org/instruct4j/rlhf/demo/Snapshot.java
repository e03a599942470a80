package org.instruct4j.rlhf.demo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.instruct4j.engine.io.SafeTensors;
import org.instruct4j.engine.nn.Gpt;
import org.instruct4j.rlhf.data.Jsonl;

/** A trained model as a folder: model.safetensors (Hugging Face GPT-2 names) and config.json. */
final class Snapshot {
    private Snapshot() {}

    static void save(Path dir, Gpt model) throws IOException {
        Files.createDirectories(dir);
        String config = Jsonl.mapper().writeValueAsString(model.config());
        SafeTensors.write(dir.resolve("model.safetensors"), model.parameters(), Map.of("format", "pt", "instruct4j.config", config));
        org.instruct4j.engine.io.AtomicFiles.write(dir.resolve("config.json"), o -> o.write((config + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }
}
