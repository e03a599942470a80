package org.instruct4j.rlhf.cli;

import org.instruct4j.rlhf.train.ModelFolder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Options;
import org.instruct4j.engine.text.BpeTokenizer;
import org.instruct4j.rlhf.data.Demonstration;
import org.instruct4j.rlhf.data.Jsonl;
import org.instruct4j.rlhf.sft.SftConfig;
import org.instruct4j.rlhf.sft.SftExample;
import org.instruct4j.rlhf.sft.SftTrainer;
import org.instruct4j.rlhf.train.CheckpointPlan;
import org.instruct4j.rlhf.train.Fingerprint;
import org.instruct4j.rlhf.train.MetricsLog;
import org.instruct4j.rlhf.train.TrainState;

/** `instruct4j sft`: fine-tunes an LM folder on demonstrations JSONL ({prompt, completion}). */
public final class SftCommand implements Command {
    @Override public String name() { return "sft"; }

    @Override public String summary() { return "supervised fine-tuning on demonstrations"; }

    @Override public int run(String[] args) throws Exception {
        Options o = CliOptions.withJsonl(CliOptions.withCheckpoints(CliOptions.common(), "steps (one a batch)"));
        o.addOption(CliOptions.opt("model", "DIR", "pretrained LM folder (required)"));
        o.addOption(CliOptions.opt("data", "FILE", "demonstrations JSONL (required)"));
        o.addOption(CliOptions.opt("validation", "FILE", "held-out demonstrations JSONL"));
        o.addOption(CliOptions.opt("out", "DIR", "output model folder (required)"));
        o.addOption(CliOptions.opt("epochs", "N", "epochs (default 16)"));
        o.addOption(CliOptions.opt("batch", "N", "batch size (default 32)"));
        o.addOption(CliOptions.opt("micro-batch", "N", "demonstrations per forward and backward pass, whose gradients add up to the "
                + "batch's: the same step in less memory (default: the whole batch at once)"));
        o.addOption(CliOptions.opt("lr", "X", "peak learning rate (default 9.65e-6)"));
        o.addOption(CliOptions.opt("dropout", "P", "residual dropout (default 0.2)"));
        CommandLine cl = CliOptions.parse(name(), summary(), o, args);
        if (cl == null) return 0;
        Path out = CliOptions.outFolder(name(), cl, "model");
        int epochs = CliOptions.integerAtLeast(cl, "epochs", 16, 1), batch = CliOptions.integerAtLeast(cl, "batch", 32, 1);
        float lr = CliOptions.positive(cl, "lr", 9.65e-6f);
        ModelFolder.Lm lm = ModelFiles.lm(cl, "model", CliOptions.device(cl), CliOptions.fraction(cl, "dropout", 0.2f));
        SftConfig cfg = SftConfig.paper().withEpochs(epochs).withBatchSize(batch).withLr(lr)
                .withMicroBatch(CliOptions.microBatch(cl))
                .withDropout(lm.model().config().dropout()).withSeed(CliOptions.seed(cl))
                .withMaxLen(lm.model().config().contextLength());
        int context = lm.model().config().contextLength();
        List<SftExample> train = read(name(), CliOptions.existing(cl, "data"), lm.tokenizer(), context, cl);
        List<SftExample> val = cl.hasOption("validation") ? read(name(), CliOptions.existing(cl, "validation"), lm.tokenizer(), context, cl) : List.of();
        Map<String, String> settings = new LinkedHashMap<>(CheckpointPlan.settingsOf("", cfg));
        settings.putAll(CheckpointPlan.settingsOf("model", lm.model().config()));
        settings.put("demonstrations", train.size() + " for training, " + val.size() + " for validation, digest " + digest(train, val));
        CheckpointPlan plan = CliOptions.checkpoints(cl, out, lm.tokenizer(), settings);
        SftTrainer t = new SftTrainer(lm.model(), cfg, lm.tokenizer().pad());
        TrainState resumed = CliOptions.resume(name(), cl, plan, t::resume);
        try (MetricsLog log = CliOptions.metrics(out, resumed); StopNotice stopped = StopNotice.forTraining(name(), plan)) {
            SftTrainer.Result r = t.train(train, val, null, log, plan, Long.MAX_VALUE);
            ModelFolder.saveLm(out, t.model(), lm.tokenizer());
            CliOptions.charts(name(), log, out, "loss");
            if (val.isEmpty())
                System.out.printf("sft: no validation demonstrations (--validation): the last epoch's weights; model in %s%n", out);
            else
                System.out.printf("sft: validation loss %.4f at epoch %d of %d, the best, whose weights are kept; model in %s%n",
                        r.validationLosses().get(r.bestEpoch()), r.bestEpoch() + 1, epochs, out);
        }
        return 0;
    }

    static List<SftExample> read(String command, Path file, BpeTokenizer tok, int context, CommandLine cl) {
        List<SftExample> out = new ArrayList<>();
        for (Demonstration d : CliOptions.readJsonl(command, cl, file, tok, context, (f, opts) -> Jsonl.readAll(f, Demonstration.class, opts)))
            out.add(SftExample.of(d, tok::encode, tok.endOfText()));
        if (out.isEmpty()) throw new UserError(file + ": no demonstrations");
        long cut = out.stream().filter(e -> e.prompt().length + e.completion().length > context).count();
        if (cut > 0)
            System.err.printf("instruct4j %s: %s: %d of %d demonstrations are longer than the model's context of %d tokens; "
                    + "the model learns their completions only up to it%n", command, file, cut, out.size(), context);
        return out;
    }

    /** What --resume compares: the demonstrations' tokens, training then validation. */
    private static String digest(List<SftExample> train, List<SftExample> val) {
        Fingerprint f = new Fingerprint();
        for (List<SftExample> part : List.of(train, val)) {
            f.add(new int[] {part.size()});
            for (SftExample e : part) f.add(e.prompt()).add(e.completion());
        }
        return f.hex();
    }
}
