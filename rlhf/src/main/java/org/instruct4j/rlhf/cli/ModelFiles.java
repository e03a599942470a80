package org.instruct4j.rlhf.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.instruct4j.engine.Device;
import org.instruct4j.engine.Rng;
import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.nn.Gpt;
import org.instruct4j.engine.nn.GptConfig;
import org.instruct4j.engine.nn.ScalarHead;
import org.instruct4j.engine.text.BpeTokenizer;
import org.instruct4j.rlhf.rm.RewardModel;
import org.instruct4j.rlhf.train.Checkpoint;
import org.instruct4j.rlhf.train.TrainState;

/**
 * A model folder as the CLI writes and reads it: a {@link Checkpoint} (weights.safetensors, config.json with
 * "kind" = "lm" or "reward" and the "gpt" config) plus the tokenizer (vocab.json, merges.txt).
 */
public final class ModelFiles {
    private ModelFiles() {}

    public record Lm(Gpt model, BpeTokenizer tokenizer) {}

    public record Reward(RewardModel model, BpeTokenizer tokenizer) {}

    public static void save(Path dir, Map<String, Tensor> weights, String kind, GptConfig gpt, BpeTokenizer tok, long step) {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("kind", kind);
        config.put("gpt", gpt);
        Checkpoint.save(dir, weights, null, config, new TrainState(step, 0, Map.of()));
        tok.save(dir.resolve("vocab.json"), dir.resolve("merges.txt"));
    }

    public static BpeTokenizer tokenizer(Path dir) {
        Path v = dir.resolve("vocab.json"), m = dir.resolve("merges.txt");
        if (!Files.exists(v) || !Files.exists(m)) throw new UserError(dir + ": no tokenizer (vocab.json and merges.txt) in the model folder");
        return BpeTokenizer.load(v, m);
    }

    private static Checkpoint.Loaded load(Path dir, Device device, String kind) {
        if (!Files.isDirectory(dir)) throw new UserError(dir + ": no such model folder");
        Checkpoint.Loaded c;
        try {
            c = Checkpoint.load(dir, device);
        } catch (RuntimeException e) {
            throw new UserError(dir + ": cannot read the model: " + e.getMessage(), e);
        }
        String k = c.config().path("kind").asText("");
        if (!k.equals(kind)) throw new UserError(dir + ": expected a " + kind + " model, found kind '" + k + "'");
        return c;
    }

    static GptConfig gptConfig(Path dir, JsonNode config) {
        JsonNode g = config.path("gpt");
        if (g.isMissingNode()) throw new UserError(dir + "/config.json: no \"gpt\" config");
        return Checkpoint.fromJson(g, GptConfig.class);
    }

    /** An instruct4j LM folder, or a Hugging Face GPT-2 folder (config.json with model_type gpt2). */
    public static Lm loadLm(Path dir, Device device, float dropout) {
        if (isHuggingFace(dir)) {
            try {
                return new Lm(org.instruct4j.engine.nn.Pretrained.load(dir, device, dropout), org.instruct4j.engine.nn.Pretrained.tokenizer(dir));
            } catch (java.io.IOException | IllegalArgumentException e) {
                throw new UserError(dir + ": cannot load the Hugging Face GPT-2 folder: " + e.getMessage(), e);
            }
        }
        Checkpoint.Loaded c = load(dir, device, "lm");
        Gpt m = new Gpt(gptConfig(dir, c.config()).withDropout(dropout), new Rng(0), device);
        m.loadParameters(c.weights(), true);
        return new Lm(m, tokenizer(dir));
    }

    public static Reward loadReward(Path dir, Device device) {
        Checkpoint.Loaded c = load(dir, device, "reward");
        GptConfig g = gptConfig(dir, c.config());
        BpeTokenizer tok = tokenizer(dir);
        RewardModel rm = new RewardModel(new Gpt(g, new Rng(0), device), new ScalarHead(g.dim(), new Rng(0), device), tok.pad());
        rm.loadParameters(c.weights());
        return new Reward(rm, tok);
    }

    /** A folder transformers wrote: config.json names a model_type or architectures, and has no instruct4j "kind". */
    static boolean isHuggingFace(Path dir) {
        Path config = dir.resolve("config.json");
        if (!java.nio.file.Files.isRegularFile(config)) return false;
        try {
            JsonNode c = Checkpoint.toJson(new com.fasterxml.jackson.databind.ObjectMapper().readTree(config.toFile()));
            return !c.has("kind") && (c.has("model_type") || c.has("architectures"));
        } catch (java.io.IOException e) {
            return false;
        }
    }
}
