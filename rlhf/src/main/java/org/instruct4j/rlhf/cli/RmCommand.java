package org.instruct4j.rlhf.cli;

import org.instruct4j.rlhf.train.ModelFolder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Options;
import org.instruct4j.engine.Rng;
import org.instruct4j.engine.text.BpeTokenizer;
import org.instruct4j.rlhf.data.Jsonl;
import org.instruct4j.rlhf.data.Ranking;
import org.instruct4j.rlhf.plot.Charts;
import org.instruct4j.rlhf.rm.RewardModel;
import org.instruct4j.rlhf.rm.RmConfig;
import org.instruct4j.rlhf.rm.RmExample;
import org.instruct4j.rlhf.rm.RmTrainer;
import org.instruct4j.rlhf.sft.SftExample;
import org.instruct4j.rlhf.train.CheckpointPlan;
import org.instruct4j.rlhf.train.Fingerprint;
import org.instruct4j.rlhf.train.MetricsLog;
import org.instruct4j.rlhf.train.TrainState;
import org.instruct4j.rlhf.train.Sequences;

/** `instruct4j rm`: a reward model from an LM folder and rankings JSONL (K-way or pairwise records). */
public final class RmCommand implements Command {
    @Override public String name() { return "rm"; }

    @Override public String summary() { return "train a reward model on ranked comparisons"; }

    @Override public int run(String[] args) throws Exception {
        Options o = CliOptions.withJsonl(CliOptions.withCheckpoints(CliOptions.common(), "steps (one a batch)"));
        o.addOption(CliOptions.opt("model", "DIR", "LM folder the reward model starts from (required)"));
        o.addOption(CliOptions.opt("data", "FILE", "rankings JSONL: {prompt, completions, ranking} (ranking: the completions' indices, best first; "
                + "completions ranked equal in an inner list, as [2, [0, 1]]) or {prompt, chosen, rejected} (required)"));
        o.addOption(CliOptions.opt("validation", "FILE", "held-out rankings JSONL"));
        o.addOption(CliOptions.opt("demonstrations", "FILE", "demonstrations JSONL: the bias makes them score 0 on average"));
        o.addOption(CliOptions.opt("out", "DIR", "output reward-model folder (required)"));
        o.addOption(CliOptions.opt("epochs", "N", "epochs (default 1)"));
        o.addOption(CliOptions.opt("batch", "N", "prompts per step (default 64)"));
        o.addOption(CliOptions.opt("micro-batch", "N", "prompts per forward and backward pass, whose gradients add up to the batch's: "
                + "the same step in less memory (default: the whole batch at once)"));
        o.addOption(CliOptions.opt("lr", "X", "peak learning rate (default 9e-6)"));
        CommandLine cl = CliOptions.parse(name(), summary(), o, args);
        if (cl == null) return 0;
        Path out = CliOptions.outFolder(name(), cl, "model");
        int epochs = CliOptions.integerAtLeast(cl, "epochs", 1, 1), batch = CliOptions.integerAtLeast(cl, "batch", 64, 1);
        float lr = CliOptions.positive(cl, "lr", 9e-6f);
        ModelFolder.Lm lm = ModelFiles.lm(cl, "model", CliOptions.device(cl), 0f);
        BpeTokenizer tok = lm.tokenizer();
        int ctx = lm.model().config().contextLength();
        RmConfig cfg = RmConfig.paper().withEpochs(epochs).withBatchPrompts(batch).withLr(lr)
                .withMicroBatch(CliOptions.microBatch(cl)).withSeed(CliOptions.seed(cl)).withMaxLen(ctx);
        List<RmExample> train = read(name(), CliOptions.existing(cl, "data"), tok, ctx, cl);
        List<RmExample> val = cl.hasOption("validation") ? read(name(), CliOptions.existing(cl, "validation"), tok, ctx, cl) : List.of();
        // Read before training, so that a bad demonstrations file does not cost the run.
        List<int[]> demonstrations = new ArrayList<>();
        if (cl.hasOption("demonstrations"))
            for (SftExample e : SftCommand.read(name(), CliOptions.existing(cl, "demonstrations"), tok, ctx, cl))
                demonstrations.add(Sequences.fit(e.prompt(), e.completion(), ctx));
        RewardModel rm = RewardModel.fromLm(lm.model(), tok.pad(), new Rng(CliOptions.seed(cl)));
        Map<String, String> settings = new LinkedHashMap<>(CheckpointPlan.settingsOf("", cfg));
        settings.putAll(CheckpointPlan.settingsOf("model", lm.model().config()));
        settings.put("rankings", train.size() + " for training, " + val.size() + " for validation, digest " + digest(train, val));
        CheckpointPlan plan = CliOptions.checkpoints(cl, out, tok, settings);
        RmTrainer trainer = new RmTrainer(rm, cfg);
        TrainState resumed = CliOptions.resume(name(), cl, plan, trainer::resume);
        try (MetricsLog log = CliOptions.metrics(out, resumed); StopNotice stopped = StopNotice.forTraining(name(), plan)) {
            RmTrainer.Result r = trainer.train(train, val, log, plan);
            if (!demonstrations.isEmpty())
                System.out.printf("rm: bias %.4f makes demonstrations score 0 on average%n", rm.centerOn(demonstrations));
            ModelFolder.saveReward(out, rm, tok);
            CliOptions.charts(name(), log, out, Map.of("loss", Charts.RANKING_LOSS_AXIS), "loss", "accuracy");
            if (val.isEmpty()) System.out.printf("rm: no validation rankings (--validation); model in %s%n", out);
            else System.out.printf("rm: validation accuracy %.1f%%; model in %s%n", 100 * r.validationAccuracy(), out);
        }
        return 0;
    }

    static List<RmExample> read(String command, Path file, BpeTokenizer tok, int context, CommandLine cl) {
        List<RmExample> out = new ArrayList<>();
        for (Ranking r : CliOptions.readJsonl(command, cl, file, tok, context, Jsonl::readAllRankings))
            if (!r.pairs().isEmpty()) out.add(RmExample.of(r, tok::encode, tok.endOfText()));
        if (out.isEmpty()) throw new UserError(file + ": no rankings with at least one comparison");
        return out;
    }

    /** What --resume compares: the rankings' tokens and pairs, training then validation. */
    private static String digest(List<RmExample> train, List<RmExample> val) {
        Fingerprint f = new Fingerprint();
        for (List<RmExample> part : List.of(train, val)) {
            f.add(new int[] {part.size()});
            for (RmExample e : part)
                f.add(e.prompt()).addAll(e.responses()).addAll(e.pairs().stream().map(c -> new int[] {c.winner(), c.loser()}).toList());
        }
        return f.hex();
    }
}
