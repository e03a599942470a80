package org.instruct4j.rlhf.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.instruct4j.engine.Device;
import org.instruct4j.engine.Rng;
import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.nn.Gpt;
import org.instruct4j.engine.nn.ModelKind;
import org.instruct4j.engine.nn.Pretrained;
import org.instruct4j.engine.nn.PretrainedModel;
import org.instruct4j.engine.nn.ScalarHead;
import org.instruct4j.engine.text.BpeTokenizer;
import org.instruct4j.rlhf.rm.RewardModel;

/**
 * The pipeline's models in the one model-folder format ({@link Pretrained}): a language model (pretrained, SFT,
 * PPO policy) is the GPT-2 with kind "lm"; a reward or value model is its trunk with kind "reward" or "value" and
 * the head as the extra tensors "score.weight" and "score.bias". The demo, every CLI command and the Java API
 * save and load models here, always with the tokenizer, so any folder one of them writes the others read, and a
 * Hugging Face GPT-2 folder is a language model.
 */
public final class ModelFolder {
    private ModelFolder() {}

    /** A language model and its tokenizer. */
    public record Lm(Gpt model, BpeTokenizer tokenizer) {}

    /** A reward (or value) model and its tokenizer. */
    public record Reward(RewardModel model, BpeTokenizer tokenizer) {}

    public static void saveLm(Path folder, Gpt model, BpeTokenizer tokenizer) throws IOException {
        Pretrained.save(folder, PretrainedModel.lm(model), tokenizer, null);
    }

    public static void saveReward(Path folder, RewardModel model, BpeTokenizer tokenizer) throws IOException {
        Pretrained.save(folder, asFolder(model, ModelKind.REWARD), tokenizer, null);
    }

    /** A reward or value model as a folder's content: the trunk and the head's tensors. */
    public static PretrainedModel asFolder(RewardModel model, ModelKind kind) {
        return new PretrainedModel(model.trunk(), kind, model.head().parameters());
    }

    /**
     * The language model of folder (ours, or a Hugging Face GPT-2 folder) with dropout, and its tokenizer.
     *
     * @throws IOException naming the folder and what is wrong: no such folder, a missing file, another kind of model
     */
    public static Lm loadLm(Path folder, Device device, float dropout) throws IOException {
        PretrainedModel m = Pretrained.loadWithExtras(folder, device, dropout);
        m.extras().values().forEach(Tensor::free);
        if (m.kind() != ModelKind.LM)
            throw new IOException(folder + " holds a " + m.kind().id() + " model (config.json: instruct4j.kind), not a language model");
        return new Lm(m.gpt(), Pretrained.tokenizer(folder));
    }

    /**
     * The reward (or value) model of folder, without dropout, and its tokenizer.
     *
     * @throws IOException naming the folder and what is wrong: a language model, a missing or misshaped head tensor
     */
    public static Reward loadReward(Path folder, Device device) throws IOException {
        PretrainedModel m = Pretrained.loadWithExtras(folder, device, 0f);
        Gpt trunk = m.gpt();
        if (m.kind() == ModelKind.LM)
            throw new IOException(folder + " holds a language model, not a reward model (config.json: instruct4j.kind is \"lm\" or absent)");
        ScalarHead head = new ScalarHead(trunk.config().dim(), new Rng(0), device);
        try {
            head.loadParameters(m.extras(), false);
        } catch (IllegalArgumentException e) {
            throw new IOException(folder.resolve("model.safetensors") + ": the reward head: " + e.getMessage(), e);
        }
        for (String name : head.parameters().keySet())
            if (!m.extras().containsKey(name))
                throw new IOException(folder.resolve("model.safetensors") + ": no tensor '" + name + "' (the reward head)");
        m.extras().values().forEach(Tensor::free);
        BpeTokenizer tokenizer = Pretrained.tokenizer(folder);
        return new Reward(new RewardModel(trunk, head, tokenizer.pad()), tokenizer);
    }
}
