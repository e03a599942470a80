package org.instruct4j.rlhf.cli;

import org.instruct4j.rlhf.eval.TextLoss;
import org.instruct4j.rlhf.train.ModelFolder;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Options;
import org.instruct4j.engine.Device;
import org.instruct4j.engine.Rng;
import org.instruct4j.engine.nn.Gpt;
import org.instruct4j.engine.nn.GptConfig;
import org.instruct4j.engine.nn.Pretrained;
import org.instruct4j.engine.text.BpeTokenizer;
import org.instruct4j.rlhf.train.CheckpointPlan;
import org.instruct4j.rlhf.train.Fingerprint;
import org.instruct4j.rlhf.train.MetricsLog;
import org.instruct4j.rlhf.train.TrainState;
import org.instruct4j.rlhf.pretrain.PretrainConfig;
import org.instruct4j.rlhf.pretrain.Pretrainer;

/**
 * `instruct4j pretrain`: a GPT language model on a text file (documents separated by blank lines). Trains a
 * byte-level BPE tokenizer on the file first unless one is given.
 */
public final class PretrainCommand implements Command {
    @Override public String name() { return "pretrain"; }

    @Override public String summary() { return "train a BPE tokenizer and a GPT language model on a text file"; }

    @Override public int run(String[] args) throws Exception {
        Options o = CliOptions.withCheckpoints(CliOptions.common(), "steps");
        o.addOption(CliOptions.opt("text", "FILE", "training text, documents separated by blank lines or <|endoftext|> (required)"));
        o.addOption(CliOptions.opt("validation", "FILE", "held-out text (documents as in --text) whose loss is measured "
                + "before the first step, every --eval-every steps and after the last"));
        o.addOption(CliOptions.opt("eval-every", "N", "steps between validation losses (default: a tenth of --steps)"));
        o.addOption(CliOptions.opt("out", "DIR", "output model folder (required)"));
        o.addOption(CliOptions.opt("tokenizer", "DIR", "folder with vocab.json and merges.txt (default: train one)"));
        o.addOption(CliOptions.opt("vocab", "N", "vocabulary size of a trained tokenizer (default 512)"));
        o.addOption(CliOptions.opt("size", "PRESET", "model preset: " + CliOptions.MODEL_PRESETS + " (default tiny)"));
        o.addOption(CliOptions.opt("context", "N", "context length (default: the preset's)"));
        o.addOption(CliOptions.opt("steps", "N", "training steps (default 1000)"));
        o.addOption(CliOptions.opt("batch", "N", "sequences per step (default 16)"));
        o.addOption(CliOptions.opt("micro-batch", "N", "sequences per forward and backward pass, whose gradients add up to the batch's: "
                + "the same step in less memory (default: the whole batch at once)"));
        o.addOption(CliOptions.opt("lr", "X", "peak learning rate (default 1e-3)"));
        o.addOption(InitOption.option());
        CommandLine cl = CliOptions.parse(name(), summary(), o, args);
        if (cl == null) return 0;
        Path textFile = CliOptions.existing(cl, "text"), out = CliOptions.outFolder(name(), cl, "tokenizer", InitOption.NAME);
        int steps = CliOptions.integerAtLeast(cl, "steps", 1000, 1), batch = CliOptions.integerAtLeast(cl, "batch", 16, 1);
        float lr = CliOptions.positive(cl, "lr", 1e-3f);
        refuseConflicts(cl);
        Path valFile = cl.hasOption("validation") ? CliOptions.existing(cl, "validation") : null;
        int validateEvery = CliOptions.integerAtLeast(cl, "eval-every", Math.max(1, steps / 10), 1);
        Device device = CliOptions.device(cl);
        List<String> docs = CliOptions.documents(textFile);
        // The 256 byte tokens, end-of-text and padding, and at least one merge.
        int vocab = CliOptions.integerAtLeast(cl, "vocab", 512, 256 + 2 + 1);
        BpeTokenizer tok = InitOption.tokenizer(cl, () -> cl.hasOption("tokenizer") ? ModelFiles.tokenizer(cl, "tokenizer")
                : BpeTokenizer.train(docs, vocab, List.of(BpeTokenizer.END_OF_TEXT, BpeTokenizer.PAD)));
        if (cl.hasOption("vocab") && tok.vocabSize() < vocab)   // trained here: refuseConflicts allows --vocab only then
            // The size the run goes on with, said in words: it is the model's vocabulary too, and not what was asked.
            System.err.printf("instruct4j pretrain: --vocab %d: the text has pairs to merge for only %d tokens, so the tokenizer "
                    + "and the model have a vocabulary of %d%n", vocab, tok.vocabSize(), tok.vocabSize());
        GptConfig cfg;
        try {
            cfg = GptConfig.preset(cl.getOptionValue("size", "tiny")).withVocab(tok.vocabSize()).withDropout(0f);
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
        if (cl.hasOption("context")) cfg = cfg.withContext(CliOptions.integerAtLeast(cl, "context", cfg.contextLength(), 2));
        long seed = CliOptions.seed(cl);

        int[] stream = Pretrainer.tokenStream(tok, docs);
        Gpt model = InitOption.apply(cl, cfg, new Rng(seed), device);
        cfg = model.config();
        if (!Pretrained.embeds(tok, cfg.vocabSize()))
            throw new UserError("--tokenizer " + cl.getOptionValue("tokenizer") + " has " + tok.vocabSize() + " tokens but the --init "
                    + "model embeds only " + cfg.vocabSize() + ": they do not belong together");
        int seqLen = Math.min(cfg.contextLength(), stream.length - 2);
        if (seqLen < 2) throw new UserError(textFile + ": too little text to train on (" + stream.length + " tokens)");
        PretrainConfig pc = PretrainConfig.defaults(steps, batch, seqLen).withLr(lr).withWarmup(Math.max(1, Math.min(100, steps / 10))).withSeed(seed + 1)
                .withMicroBatch(CliOptions.microBatch(cl));
        Map<String, String> settings = new LinkedHashMap<>(CheckpointPlan.settingsOf("", pc));
        settings.putAll(CheckpointPlan.settingsOf("model", cfg));
        settings.put("text tokens", stream.length + ", digest " + Fingerprint.of(stream));
        Pretrainer trainer = new Pretrainer(model, pc);
        if (valFile != null) {
            List<int[]> heldOut = TextLoss.chunks(CliOptions.documents(valFile), tok, seqLen);
            if (heldOut.isEmpty()) throw new UserError(valFile + ": no text to validate on");
            trainer.validating(validateEvery, m -> TextLoss.of(m, heldOut, tok.pad()).loss());
            settings.put("validation", heldOut.size() + " chunks of " + seqLen + " tokens (digest " + Fingerprint.of(heldOut) + "), every "
                    + validateEvery + " steps");
        }
        CheckpointPlan plan = CliOptions.checkpoints(cl, out, tok, settings);
        TrainState resumed = CliOptions.resume(name(), cl, plan, trainer::resume);
        try (MetricsLog log = CliOptions.metrics(out, resumed); StopNotice stopped = StopNotice.forTraining(name(), plan)) {
            trainer.train(stream, log, plan);
            ModelFolder.saveLm(out, model, tok);
            CliOptions.charts(name(), log, out, "loss");
        }
        if (Double.isNaN(trainer.validationLoss())) System.out.println("pretrain: wrote " + out);
        else System.out.printf("pretrain: validation loss %.4f; model in %s%n", trainer.validationLoss(), out);
        return 0;
    }

    /** Options that cannot go together, refused before anything is read or trained. */
    private static void refuseConflicts(CommandLine cl) {
        if (cl.hasOption("eval-every") && !cl.hasOption("validation"))
            throw new UserError("--eval-every needs --validation FILE, the text to measure the loss on");
        if (cl.hasOption("tokenizer") && cl.hasOption("vocab"))
            throw new UserError("--vocab sizes a tokenizer trained on --text; with --tokenizer DIR it does not apply");
        if (cl.hasOption(InitOption.NAME)) {
            String init = "--init " + cl.getOptionValue(InitOption.NAME);
            if (cl.hasOption("size") || cl.hasOption("context"))
                throw new UserError("--init takes the model's shape from its folder's config.json; --size and --context do not apply");
            if (InitOption.bringsTokenizer(cl) && (cl.hasOption("tokenizer") || cl.hasOption("vocab")))
                throw new UserError(init + " brings its own tokenizer (vocab.json and merges.txt); --tokenizer and --vocab do not apply");
            // A tokenizer trained afresh would give the model's embedding rows to other pieces of text.
            if (!InitOption.bringsTokenizer(cl) && !cl.hasOption("tokenizer"))
                throw new UserError(init + ": the folder has no tokenizer (vocab.json and merges.txt); give the one its model "
                        + "was trained with as --tokenizer DIR");
        }
    }
}
