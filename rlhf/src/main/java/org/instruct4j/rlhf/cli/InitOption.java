package org.instruct4j.rlhf.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Supplier;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.instruct4j.engine.Device;
import org.instruct4j.engine.Rng;
import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.nn.Gpt;
import org.instruct4j.engine.nn.GptConfig;
import org.instruct4j.engine.nn.ModelKind;
import org.instruct4j.engine.nn.Pretrained;
import org.instruct4j.engine.nn.PretrainedModel;
import org.instruct4j.engine.text.BpeTokenizer;
import org.instruct4j.engine.text.TokenizerFileException;

/**
 * {@code --init DIR}: start a command from a Hugging Face GPT-2 folder (config.json + model.safetensors, as
 * transformers' save_pretrained or {@link Pretrained#save} writes it) instead of a freshly initialised model.
 * A command adds it in one line each:
 *
 * <pre>{@code
 * options.addOption(InitOption.option());
 * ...
 * BpeTokenizer tok = InitOption.tokenizer(cl, () -> trainOrLoadTokenizer());
 * Gpt model = InitOption.apply(cl, config.withVocab(tok.vocabSize()), rng, device);
 * }</pre>
 */
public final class InitOption {
    public static final String NAME = "init";

    private InitOption() {}

    public static Option option() {
        return Option.builder().longOpt(NAME).hasArg().argName("DIR")
                .desc("start from a Hugging Face GPT-2 folder (config.json, model.safetensors; vocab.json and merges.txt"
                        + " for its tokenizer) instead of a fresh model")
                .get();
    }

    /**
     * With --init, the folder's model (its shape from config.json; dropout from fallback, since the command
     * decides whether it trains with dropout); without it, a fresh model of fallback's shape drawn from rng.
     *
     * @throws UserError naming the folder and what is wrong with it
     */
    public static Gpt apply(CommandLine cl, GptConfig fallback, Rng rng, Device device) {
        if (!cl.hasOption(NAME)) return new Gpt(fallback, rng, device);
        Path folder = folder(cl);
        try {
            PretrainedModel m = Pretrained.loadWithExtras(folder, device, fallback.dropout());
            m.extras().values().forEach(Tensor::free);
            // As every --model that takes a language model: a reward or value folder is refused, not read as one.
            if (m.kind() != ModelKind.LM)
                throw new UserError("--init " + folder + ": " + folder + " holds a " + m.kind().id()
                        + " model (config.json: instruct4j.kind), not a language model");
            return m.gpt();
        } catch (IOException | UncheckedIOException | IllegalArgumentException e) {
            throw new UserError("--init " + folder + ": " + e.getMessage(), e);
        }
    }

    /** Whether --init was given with a folder that holds its tokenizer (vocab.json and merges.txt). */
    public static boolean bringsTokenizer(CommandLine cl) {
        if (!cl.hasOption(NAME)) return false;
        Path folder = folder(cl);
        return Files.isRegularFile(folder.resolve("vocab.json")) && Files.isRegularFile(folder.resolve("merges.txt"));
    }

    /**
     * With --init and a folder that has vocab.json and merges.txt, the folder's tokenizer (it must go with the
     * folder's model); otherwise fallback's.
     */
    public static BpeTokenizer tokenizer(CommandLine cl, Supplier<BpeTokenizer> fallback) {
        if (!bringsTokenizer(cl)) return fallback.get();
        Path folder = folder(cl);
        try {
            return Pretrained.tokenizer(folder);
        } catch (IOException | UncheckedIOException | TokenizerFileException e) {
            throw new UserError("--init " + folder + ": " + e.getMessage(), e);
        }
    }

    private static Path folder(CommandLine cl) { return Path.of(cl.getOptionValue(NAME)); }
}
