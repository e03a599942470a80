package org.instruct4j.rlhf.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import org.apache.commons.cli.CommandLine;
import org.instruct4j.engine.Device;
import org.instruct4j.engine.nn.Pretrained;
import org.instruct4j.engine.text.BpeTokenizer;
import org.instruct4j.engine.text.TokenizerFileException;
import org.instruct4j.rlhf.train.ModelFolder;

/**
 * The commands' way to model folders ({@link ModelFolder}, the one format): what cannot be read becomes a
 * one-line {@link UserError} naming the option, the folder and the problem.
 */
final class ModelFiles {
    private ModelFiles() {}

    /** The language model named by --option (a folder that must exist). */
    static ModelFolder.Lm lm(CommandLine cl, String option, Device device, float dropout) {
        return lm(CliOptions.existing(cl, option), option, device, dropout);
    }

    /** The language model in dir (an existing path), one of the values of --option. */
    static ModelFolder.Lm lm(Path dir, String option, Device device, float dropout) {
        try {
            return ModelFolder.loadLm(dir, device, dropout);
        } catch (IOException | UncheckedIOException | IllegalArgumentException | TokenizerFileException e) {
            throw new UserError("--" + option + " " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The reward model named by --option. */
    private static ModelFolder.Reward reward(CommandLine cl, String option, Device device) {
        Path dir = CliOptions.existing(cl, option);
        try {
            return ModelFolder.loadReward(dir, device);
        } catch (IOException | UncheckedIOException | IllegalArgumentException | TokenizerFileException e) {
            throw new UserError("--" + option + " " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * The reward model named by --option, which must read the tokens of the language model named by --lmOption: the
     * same tokenizer, or its scores would be of other words (and ids past its vocabulary would fail deep in a pass).
     */
    static ModelFolder.Reward rewardReading(CommandLine cl, String option, Device device, ModelFolder.Lm lm, String lmOption) {
        ModelFolder.Reward reward = reward(cl, option, device);
        if (!reward.tokenizer().equals(lm.tokenizer()))
            throw new UserError("--" + option + " " + cl.getOptionValue(option) + ": its tokenizer is not that of --" + lmOption + " "
                    + cl.getOptionValue(lmOption) + " (vocabularies of " + reward.tokenizer().vocabSize() + " and "
                    + lm.tokenizer().vocabSize() + " tokens); a reward model scores the tokens of the model it judges, so train it "
                    + "from the same pretrained model");
        return reward;
    }

    /** The tokenizer (vocab.json, merges.txt) of the folder named by --option. */
    static BpeTokenizer tokenizer(CommandLine cl, String option) {
        Path dir = CliOptions.existing(cl, option);
        try {
            return Pretrained.tokenizer(dir);
        } catch (IOException | UncheckedIOException | TokenizerFileException e) {
            throw new UserError("--" + option + " " + dir + ": " + e.getMessage(), e);
        }
    }
}
