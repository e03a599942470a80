package org.instruct4j.rlhf.cli;

import org.instruct4j.rlhf.train.ModelFolder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Options;
import org.instruct4j.engine.text.BpeTokenizer;
import org.instruct4j.rlhf.data.DataException;
import org.instruct4j.rlhf.data.Demonstration;
import org.instruct4j.rlhf.data.Jsonl;
import org.instruct4j.rlhf.sft.SftConfig;
import org.instruct4j.rlhf.sft.SftExample;
import org.instruct4j.rlhf.sft.SftTrainer;
import org.instruct4j.rlhf.plot.Charts;
import org.instruct4j.rlhf.train.MetricsLog;

/** `instruct4j sft`: fine-tunes an LM folder on demonstrations JSONL ({prompt, completion}). */
public final class SftCommand implements Command {
    @Override public String name() { return "sft"; }

    @Override public String summary() { return "supervised fine-tuning on demonstrations"; }

    @Override public int run(String[] args) throws Exception {
        Options o = CliOptions.common();
        o.addOption(CliOptions.opt("model", "DIR", "pretrained LM folder (required)"));
        o.addOption(CliOptions.opt("data", "FILE", "demonstrations JSONL (required)"));
        o.addOption(CliOptions.opt("validation", "FILE", "held-out demonstrations JSONL"));
        o.addOption(CliOptions.opt("out", "DIR", "output model folder (required)"));
        o.addOption(CliOptions.opt("epochs", "N", "epochs (default 16)"));
        o.addOption(CliOptions.opt("batch", "N", "batch size (default 32)"));
        o.addOption(CliOptions.opt("lr", "X", "peak learning rate (default 9.65e-6)"));
        o.addOption(CliOptions.opt("dropout", "P", "residual dropout (default 0.2)"));
        CommandLine cl = CliOptions.parse(name(), summary(), o, args);
        if (cl == null) return 0;
        Path out = CliOptions.required(cl, "out");
        ModelFolder.Lm lm = ModelFiles.lm(cl, "model", CliOptions.device(cl), CliOptions.number(cl, "dropout", 0.2f));
        SftConfig cfg = SftConfig.paper().withEpochs(CliOptions.integer(cl, "epochs", 16)).withBatchSize(CliOptions.integer(cl, "batch", 32))
                .withLr(CliOptions.number(cl, "lr", 9.65e-6f)).withDropout(lm.model().config().dropout()).withSeed(CliOptions.seed(cl))
                .withMaxLen(lm.model().config().contextLength());
        List<SftExample> train = read(CliOptions.existing(cl, "data"), lm.tokenizer(), cl);
        List<SftExample> val = cl.hasOption("validation") ? read(CliOptions.existing(cl, "validation"), lm.tokenizer(), cl) : List.of();
        try (MetricsLog log = new MetricsLog(out.resolveSibling(out.getFileName() + "-metrics.jsonl"))) {
            SftTrainer t = new SftTrainer(lm.model(), cfg, lm.tokenizer().pad());
            SftTrainer.Result r = t.train(train, val, null, log);
            ModelFolder.saveLm(out, t.model(), lm.tokenizer());
            Charts.metrics(log, out.toAbsolutePath().getParent(), out.getFileName() + "-sft", "loss", "val_loss");
            System.out.printf("sft: best epoch %d, final train loss %.4f -> %s%n", r.bestEpoch() + 1,
                    r.trainLosses().get(r.trainLosses().size() - 1), out);
        }
        return 0;
    }

    static List<SftExample> read(Path file, BpeTokenizer tok, CommandLine cl) {
        try {
            List<SftExample> out = new ArrayList<>();
            for (Demonstration d : Jsonl.read(file, Demonstration.class, CliOptions.read(cl))) out.add(SftExample.of(d, tok::encode, tok.endOfText()));
            if (out.isEmpty()) throw new UserError(file + ": no demonstrations");
            return out;
        } catch (DataException e) {
            throw new UserError(e.getMessage(), e);
        }
    }
}
