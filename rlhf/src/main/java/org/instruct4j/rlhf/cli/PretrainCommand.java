package org.instruct4j.rlhf.cli;

import org.instruct4j.rlhf.train.ModelFolder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Options;
import org.instruct4j.engine.Device;
import org.instruct4j.engine.Rng;
import org.instruct4j.engine.nn.Gpt;
import org.instruct4j.engine.nn.GptConfig;
import org.instruct4j.engine.text.BpeTokenizer;
import org.instruct4j.rlhf.plot.ChartSupport;
import org.instruct4j.rlhf.train.CheckpointPlan;
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
        Options o = CliOptions.withCheckpoints(CliOptions.common());
        o.addOption(CliOptions.opt("text", "FILE", "training text, documents separated by blank lines (required)"));
        o.addOption(CliOptions.opt("out", "DIR", "output model folder (required)"));
        o.addOption(CliOptions.opt("tokenizer", "DIR", "folder with vocab.json and merges.txt (default: train one)"));
        o.addOption(CliOptions.opt("vocab", "N", "vocabulary size of a trained tokenizer (default 512)"));
        o.addOption(CliOptions.opt("size", "NAME", "model preset: tiny (default), gpt2, gpt2-medium, ..."));
        o.addOption(CliOptions.opt("context", "N", "context length (default: the preset's)"));
        o.addOption(CliOptions.opt("steps", "N", "training steps (default 1000)"));
        o.addOption(CliOptions.opt("batch", "N", "sequences per step (default 16)"));
        o.addOption(CliOptions.opt("lr", "X", "peak learning rate (default 1e-3)"));
        o.addOption(InitOption.option());
        CommandLine cl = CliOptions.parse(name(), summary(), o, args);
        if (cl == null) return 0;
        Path textFile = CliOptions.existing(cl, "text"), out = CliOptions.required(cl, "out");
        Device device = CliOptions.device(cl);
        List<String> docs = CliOptions.documents(textFile);
        BpeTokenizer tok = InitOption.tokenizer(cl, () -> cl.hasOption("tokenizer") ? ModelFiles.tokenizer(cl, "tokenizer")
                : BpeTokenizer.train(docs, CliOptions.integer(cl, "vocab", 512), List.of(BpeTokenizer.END_OF_TEXT, BpeTokenizer.PAD)));
        GptConfig cfg;
        try {
            cfg = GptConfig.preset(cl.getOptionValue("size", "tiny")).withVocab(tok.vocabSize()).withDropout(0f);
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
        if (cl.hasOption("context")) cfg = cfg.withContext(CliOptions.integer(cl, "context", cfg.contextLength()));
        int steps = CliOptions.integer(cl, "steps", 1000), batch = CliOptions.integer(cl, "batch", 16);
        float lr = CliOptions.number(cl, "lr", 1e-3f);
        long seed = CliOptions.seed(cl);

        int[] stream = Pretrainer.tokenStream(tok, docs);
        int seqLen = Math.min(cfg.contextLength(), stream.length - 2);
        if (seqLen < 2) throw new UserError(textFile + ": too little text to train on (" + stream.length + " tokens)");
        Gpt model = InitOption.apply(cl, cfg, new Rng(seed), device);
        PretrainConfig pc = PretrainConfig.defaults(steps, batch, seqLen).withLr(lr).withWarmup(Math.max(1, Math.min(100, steps / 10))).withSeed(seed + 1);
        Map<String, String> settings = new LinkedHashMap<>(CheckpointPlan.settingsOf("", pc));
        settings.putAll(CheckpointPlan.settingsOf("model", cfg));
        settings.put("text tokens", Integer.toString(stream.length));
        CheckpointPlan plan = CliOptions.checkpoints(cl, out, tok, settings);
        Pretrainer trainer = new Pretrainer(model, pc);
        TrainState resumed = CliOptions.resume(name(), cl, plan, trainer::resume);
        try (MetricsLog log = CliOptions.metrics(out, resumed)) {
            trainer.train(stream, log, plan);
            ModelFolder.saveLm(out, model, tok);
            ChartSupport.metrics(log, out.toAbsolutePath().getParent(), out.getFileName() + "-pretrain", "loss");
        }
        System.out.println("pretrain: wrote " + out);
        return 0;
    }

    /** The documents as one token stream (end-of-text after each), cut into context-length pieces. */
    static List<int[]> chunks(List<String> docs, BpeTokenizer tok, int context) {
        int[] stream = Pretrainer.tokenStream(tok, docs);
        List<int[]> out = new ArrayList<>();
        for (int at = 0; at + 2 <= stream.length; at += context)
            out.add(java.util.Arrays.copyOfRange(stream, at, Math.min(stream.length, at + context)));
        return out;
    }
}
