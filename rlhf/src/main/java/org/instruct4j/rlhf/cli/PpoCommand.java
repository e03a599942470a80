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
import org.instruct4j.engine.nn.Gpt;
import org.instruct4j.rlhf.data.Jsonl;
import org.instruct4j.rlhf.data.PromptRecord;
import org.instruct4j.rlhf.eval.TextLoss;
import org.instruct4j.engine.generate.SamplingConfig;
import org.instruct4j.rlhf.ppo.PpoConfig;
import org.instruct4j.rlhf.ppo.PpoTrainer;
import org.instruct4j.rlhf.rm.RewardModel;
import org.instruct4j.rlhf.train.CheckpointPlan;
import org.instruct4j.rlhf.train.Fingerprint;
import org.instruct4j.rlhf.train.MetricsLog;
import org.instruct4j.rlhf.train.TrainState;

/** `instruct4j ppo`: PPO (or PPO-ptx with --ptx-coef and --ptx-text) from an SFT folder and a reward-model folder. */
public final class PpoCommand implements Command {
    @Override public String name() { return "ppo"; }

    @Override public String summary() { return "RL fine-tuning with PPO or PPO-ptx against a reward model"; }

    @Override public int run(String[] args) throws Exception {
        Options o = CliOptions.withJsonl(CliOptions.withCheckpoints(CliOptions.common(), "iterations"));
        o.addOption(CliOptions.opt("policy", "DIR", "SFT model folder: the initial policy and the frozen reference (required)"));
        o.addOption(CliOptions.opt("reward", "DIR", "reward-model folder, also the value model's start (required)"));
        o.addOption(CliOptions.opt("prompts", "FILE", "prompts JSONL {prompt} (required)"));
        o.addOption(CliOptions.opt("out", "DIR", "output model folder (required)"));
        o.addOption(CliOptions.opt("iterations", "N", "PPO iterations (default 100)"));
        o.addOption(CliOptions.opt("batch", "N", "episodes per iteration (default 512)"));
        o.addOption(CliOptions.opt("minibatch", "N", "episodes per minibatch (default 64)"));
        o.addOption(CliOptions.opt("lr", "X", "policy learning rate (default 9.65e-6)"));
        o.addOption(CliOptions.opt("value-lr", "X", "value model learning rate (default 9e-6)"));
        o.addOption(CliOptions.opt("beta", "X", "KL coefficient (default 0.02)"));
        o.addOption(CliOptions.opt("adaptive-kl", null, "adaptive KL controller (initial 0.15, target 6, horizon 10000)"));
        o.addOption(CliOptions.opt("max-new", "N", "maximum response tokens (default 64)"));
        o.addOption(CliOptions.opt("ptx-coef", "X", "PPO-ptx gamma (default 0: plain PPO; the demo's is 0.05; the paper's 27.8 weighs losses normalised its own way)"));
        o.addOption(CliOptions.opt("entropy-penalty", "X", "times the policy's mean per-token entropy, added to its loss (default 0, as the paper; the demo uses 0.5)"));
        o.addOption(CliOptions.opt("ptx-text", "FILE", "pretraining text for PPO-ptx (documents separated by blank lines or <|endoftext|>)"));
        CommandLine cl = CliOptions.parse(name(), summary(), o, args);
        if (cl == null) return 0;
        Device device = CliOptions.device(cl);
        Path out = CliOptions.outFolder(name(), cl, "policy", "reward");
        int iterations = CliOptions.integerAtLeast(cl, "iterations", 100, 1);
        int batch = CliOptions.integerAtLeast(cl, "batch", 512, 1), mini = CliOptions.integerAtLeast(cl, "minibatch", 64, 1);
        if (cl.hasOption("minibatch") && mini > batch)
            throw new UserError("--minibatch " + mini + " is more than --batch " + batch + " (the episodes of an iteration)");
        // Said here in the options' names; PpoConfig would refuse it in its own ("PPO: batch 16 is not a multiple of minibatch 5").
        if (batch % Math.min(mini, batch) != 0)
            throw new UserError("--batch " + batch + " is not a multiple of --minibatch " + mini + (cl.hasOption("minibatch") ? "" : " (its default)")
                    + ": an iteration's episodes are split into minibatches of one size");
        float ptxCoef = CliOptions.nonNegative(cl, "ptx-coef", 0f);
        if (cl.hasOption("ptx-text") && ptxCoef == 0)
            throw new UserError("--ptx-text is only read by PPO-ptx: give --ptx-coef above 0 (without it the run is plain PPO)");
        if (ptxCoef > 0 && !cl.hasOption("ptx-text")) throw new UserError("--ptx-coef > 0 needs --ptx-text");
        if (cl.hasOption("adaptive-kl") && cl.hasOption("beta"))
            throw new UserError("--beta and --adaptive-kl: the adaptive controller sets the KL coefficient itself (from 0.15)");
        ModelFolder.Lm sft = ModelFiles.lm(cl, "policy", device, 0f);
        ModelFolder.Lm ref = ModelFiles.lm(cl, "policy", device, 0f);
        RewardModel rm = ModelFiles.rewardReading(cl, "reward", device, sft, "policy").model();
        PpoConfig cfg;
        try {
            cfg = PpoConfig.paper().withBatch(batch, Math.min(mini, batch), 1)
                    .withLr(CliOptions.positive(cl, "lr", 9.65e-6f), CliOptions.positive(cl, "value-lr", 9e-6f))
                    .withSampling(SamplingConfig.sample(CliOptions.integerAtLeast(cl, "max-new", 64, 1)))
                    .withPtx(ptxCoef).withEntropyPenalty(CliOptions.nonNegative(cl, "entropy-penalty", 0f))
                    .withSeed(CliOptions.seed(cl));
            cfg = cl.hasOption("adaptive-kl") ? cfg.withAdaptiveKl(0.15, 6, 10_000) : cfg.withKlCoef(CliOptions.nonNegative(cl, "beta", 0.02f));
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage(), e);   // a setting out of range: say which, without a stack trace
        }
        List<int[]> prompts = new ArrayList<>();
        for (PromptRecord p : CliOptions.readJsonl(name(), cl, CliOptions.existing(cl, "prompts"), sft.tokenizer(),
                sft.model().config().contextLength(), (f, opts) -> Jsonl.readAll(f, PromptRecord.class, opts)))
            prompts.add(sft.tokenizer().encode(p.prompt()));
        if (prompts.isEmpty()) throw new UserError("--prompts: no prompts");
        // As generate: a --max-new longer than the context leaves after the longest prompt is cut to that room, and said,
        // or the generator would cut every prompt from the left to the few tokens the context leaves beside it.
        GenerateCommand.MaxNew maxNew = GenerateCommand.MaxNew.within(name(), "", prompts, sft.model().config().contextLength(),
                cfg.sampling().maxNewTokens());
        if (maxNew.warning() != null) {
            System.err.println(maxNew.warning());
            cfg = cfg.withSampling(SamplingConfig.sample(maxNew.tokens()));
        }
        List<int[]> ptx = List.of();
        if (cfg.ptxCoef() > 0) {
            ptx = TextLoss.chunks(CliOptions.documents(CliOptions.existing(cl, "ptx-text")), sft.tokenizer(), sft.model().config().contextLength());
        }
        Gpt policy = sft.model();
        PpoTrainer t;
        try {
            t = new PpoTrainer(policy, ref.model(), rm, rm.copy(), sft.tokenizer().pad(), sft.tokenizer().endOfText(), cfg);
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage(), e);
        }
        // The number of iterations is not a setting: a resumed run may go on for longer (PPO's schedule has no end).
        Map<String, String> settings = new LinkedHashMap<>(CheckpointPlan.settingsOf("", cfg));
        settings.putAll(CheckpointPlan.settingsOf("model", policy.config()));
        settings.put("prompts", prompts.size() + ", digest " + Fingerprint.of(prompts));
        settings.put("ptx sequences", ptx.size() + ", digest " + Fingerprint.of(ptx));
        // The policy's starting weights are the KL penalty's reference, and the reward model scores every episode.
        settings.put("policy weights", Fingerprint.ofWeights(ref.model().parameters()));
        settings.put("reward weights", Fingerprint.ofWeights(rm.parameters()));
        CheckpointPlan plan = CliOptions.checkpoints(cl, out, sft.tokenizer(), settings);
        TrainState resumed = CliOptions.resume(name(), cl, plan, t::resume);
        try (MetricsLog log = CliOptions.metrics(out, resumed); StopNotice stopped = StopNotice.forTraining(name(), plan)) {
            t.train(prompts, ptx, iterations, log, plan);
            ModelFolder.saveLm(out, t.evaluationPolicy(), sft.tokenizer());
            CliOptions.charts(name(), log, out, Map.of("step", "PPO iteration"), "reward", "kl", "entropy",
                    "clip_fraction", "value_loss", "explained_variance", "response_length", "ptx_loss");
            MetricsLog.Series reward = log.series("reward");
            if (!reward.isEmpty()) System.out.printf("ppo: mean reward %.4f -> %.4f (first -> last iteration); model in %s%n", reward.first(), reward.last(), out);
        }
        return 0;
    }
}
