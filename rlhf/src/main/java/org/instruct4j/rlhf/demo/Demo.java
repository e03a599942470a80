package org.instruct4j.rlhf.demo;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;
import org.instruct4j.engine.Rng;
import org.instruct4j.engine.backend.Backends;
import org.instruct4j.engine.io.AtomicFiles;
import org.instruct4j.engine.nn.Gpt;
import org.instruct4j.engine.nn.GptConfig;
import org.instruct4j.engine.text.BpeTokenizer;
import org.instruct4j.rlhf.data.Demonstration;
import org.instruct4j.rlhf.data.Jsonl;
import org.instruct4j.rlhf.data.PromptRecord;
import org.instruct4j.rlhf.data.Ranking;
import org.instruct4j.rlhf.eval.Responder;
import org.instruct4j.engine.generate.SamplingConfig;
import org.instruct4j.rlhf.ppo.PpoConfig;
import org.instruct4j.rlhf.ppo.PpoTrainer;
import org.instruct4j.rlhf.ppo.ResponseScorer;
import org.instruct4j.rlhf.pretrain.PretrainConfig;
import org.instruct4j.rlhf.pretrain.Pretrainer;
import org.instruct4j.rlhf.rm.RewardModel;
import org.instruct4j.rlhf.rm.RmConfig;
import org.instruct4j.rlhf.rm.RmExample;
import org.instruct4j.rlhf.rm.RmTrainer;
import org.instruct4j.rlhf.sft.SftConfig;
import org.instruct4j.rlhf.sft.SftExample;
import org.instruct4j.rlhf.sft.SftTrainer;
import org.instruct4j.rlhf.train.MetricsLog;
import org.instruct4j.rlhf.train.ModelFolder;
import org.instruct4j.rlhf.world.Labeler;
import org.instruct4j.rlhf.world.Task;
import org.instruct4j.rlhf.world.World;
import org.instruct4j.rlhf.world.WorldFormat;
import org.instruct4j.rlhf.world.WorldSummary;

/**
 * The paper's experiment in miniature, end to end: make the world, pretrain a GPT on text that does not follow
 * instructions, fine-tune it on demonstrations (SFT), sample and rank SFT responses to train a reward model, run
 * PPO and PPO-ptx against it, and evaluate all five policies with training and held-out labelers.
 *
 * <p>Each stage draws from a random stream of its own, the run's seed plus a fixed offset (3: the SFT samples the
 * labelers rank, 5: the reward head's start, 9: PPO-ptx's pretraining windows, 0 and 1: PPO's and PPO-ptx's
 * episodes, 101 on: the evaluation), so that what one stage draws never depends on how much another drew.
 */
public final class Demo {
    private final DemoConfig cfg;
    private final Path out;
    private final PrintStream console;

    private final StageCache stages;
    /** The stages run so far, with their wall time, for the report; the last one is still running. */
    private final List<DemoReport.Stage> timeline = new ArrayList<>();
    private long stageStart;
    /** The stage under way, for a run stopped from outside (read by another thread); null before and after. */
    private volatile String runningStage;

    /**
     * resume: reuse the stages (GPT, SFT, RM) that an earlier run left in out/models with the same settings, and
     * continue a stage that was cut short from its checkpoint; saveEvery: steps (PPO: iterations) between the
     * checkpoints of a running stage, 0 for none.
     */
    public Demo(DemoConfig cfg, Path out, PrintStream console, boolean resume, int saveEvery) {
        this.cfg = cfg;
        this.out = out;
        this.console = console;
        this.stages = new StageCache(out.resolve("models"), resume, saveEvery, console);
    }

    public Demo(DemoConfig cfg, Path out, PrintStream console, boolean resume) { this(cfg, out, console, resume, 0); }

    public Demo(DemoConfig cfg, Path out, PrintStream console) { this(cfg, out, console, false, 0); }

    /** The checkpoint of a stage that a run into out was cut short in, which --resume goes on from; empty when there is none. */
    public static Optional<Path> unfinishedStage(Path out) throws IOException { return StageCache.checkpointLeft(out.resolve("models")); }

    /** What stage.json keeps of pretraining: the loss curve for the report. */
    record PretrainResult(List<Double> losses) {}

    /**
     * What stage.json keeps of the reward model: its accuracies, their curves for the report (null in a stage.json
     * written before they were kept) and the bias that centred it.
     */
    record RmResult(RmTrainer.Result result, float bias, DemoReport.RmAccuracy accuracy) {}

    /** Everything the evaluation reads: the trained models and the data they were trained on. */
    record Models(BpeTokenizer tokenizer, Gpt pretrained, Gpt sft, RewardModel rewardModel, Gpt ppo, Gpt ppoPtx,
                  double rmValidationAccuracy, double rmTrainAccuracy, MetricsLog ppoLog, MetricsLog ppoPtxLog,
                  List<Double> pretrainLosses, SftTrainer.Result sftResult, RmTrainer.Result rmResult,
                  DemoReport.RmAccuracy rmAccuracy) {}

    public DemoReport run() throws IOException {
        long t0 = System.nanoTime();
        // The device first: a missing GPU or driver stops the run here, before any stage has worked or written.
        String device = Backends.of(cfg.device()).describe();
        Files.createDirectories(out);
        // What a crash left of the report, a chart or the world's files as it wrote them (the models' folders are
        // settled as their stages read or save them). The CLI holds out's lock: no other run writes here.
        AtomicFiles.removeLeftovers(out);
        AtomicFiles.removeLeftovers(out.resolve("world"));
        GptConfig m = cfg.model();
        console.printf("instruct4j demo (%s): %s, model %d layers x %d dims (%d heads, context %d), output in %s%n", cfg.name(),
                device, m.layers(), m.dim(), m.heads(), m.contextLength(), out);
        if (cfg.smokeTest()) console.println(DemoConfig.SMOKE_TEST_NOTE);
        if (cfg.ppoRewardNote() != null) console.println(cfg.ppoRewardNote());
        stages.warnOfEarlierModels();

        stage("1/7 world");
        World.Datasets data = World.generate(cfg.world());
        WorldSummary summary = World.writeAll(out.resolve("world"), cfg.world(), data);
        console.printf("  %d demonstrations, %d ranking prompts, %d PPO prompts, %d held-out tasks, %,d chars of pretraining text%n",
                data.demonstrations().size(), data.rmTasks().size(), data.ppoPrompts().size(), data.evalTasks().size(), summary.pretrainChars());
        console.printf("  labeler agreement: training %.1f%%, held-out %.1f%%%n", 100 * summary.trainingAgreement(), 100 * summary.heldOutAgreement());

        stage("2/7 tokenizer");
        BpeTokenizer tok = BpeTokenizer.train(data.pretrainDocuments(), cfg.tokenizerVocab(), List.of(WorldFormat.END_OF_TEXT, "<|pad|>"));
        int[] corpus = Pretrainer.tokenStream(tok, data.pretrainDocuments());
        console.printf("  vocab %d, corpus %,d tokens%n", tok.vocabSize(), corpus.length);

        stage("3/7 pretrain (GPT)");
        Pretraining pre = pretrain(tok, corpus);

        stage("4/7 supervised fine-tuning (SFT)");
        Finetuning ft = finetune(pre, tok, data);
        Gpt gpt = pre.model(), sft = ft.model();

        stage("5/7 reward model (K-way rankings of SFT samples)");
        RewardModeling rmStage = trainRewardModel(ft, tok, data);
        RewardModel rm = rmStage.model();
        RmTrainer.Result rmResult = rmStage.result();
        console.printf("  pairwise accuracy: train %.1f%%, validation %.1f%% (labelers agree %.1f%%); bias %.3f centres demonstrations on 0%n",
                100 * rmResult.trainAccuracy(), 100 * rmResult.validationAccuracy(), 100 * summary.trainingAgreement(), rmStage.bias());

        stage("6/7 PPO and PPO-ptx");
        List<int[]> prompts = new ArrayList<>();
        for (PromptRecord p : data.ppoPrompts()) prompts.add(tok.encode(p.prompt()));
        List<int[]> ptx = ptxSequences(corpus, cfg.ptxSeqLen(), new Rng(cfg.seed() + 9));
        ResponseScorer reward = cfg.ppoReward() == DemoConfig.PpoReward.LABELERS
                ? new LabelersReward(data.ppoTasks(), cfg.world().trainingPanel(), tok)
                : ResponseScorer.of(rm);
        PpoRun ppoRun = runPpo("ppo", sft, rmStage, reward, tok, prompts, ptx, 0f);
        PpoRun ptxRun = runPpo("ppo-ptx", sft, rmStage, reward, tok, prompts, ptx, cfg.ptxCoef());
        Gpt ppo = ppoRun.policy(), ppoPtx = ptxRun.policy();
        MetricsLog ppoLog = ppoRun.log(), ptxLog = ptxRun.log();

        stage("7/7 evaluation");
        Models models = new Models(tok, gpt, sft, rm, ppo, ppoPtx, rmResult.validationAccuracy(), rmResult.trainAccuracy(),
                ppoLog, ptxLog, pre.losses(), ft.result(), rmResult, rmStage.accuracy());
        DemoReport report = new Evaluation(cfg, models, data, summary, console).run();
        stage(null);
        report.write(out, timeline, (System.nanoTime() - t0) / 1e9)
                .ifPresent(why -> console.println("  no charts: " + why));
        report.printSummary(console);
        return report;
    }

    // ---- the stages that --resume can reuse; each one's key holds every setting its result depends on ----

    private record Pretraining(Gpt model, List<Double> losses, String key) {}

    private Pretraining pretrain(BpeTokenizer tok, int[] corpus) throws IOException {
        Gpt gpt = new Gpt(cfg.model().withVocab(tok.vocabSize()), new Rng(cfg.seed()), cfg.device());
        // v2: the corpus repeats lists and facts (PretrainCorpus), which its settings do not show; v3: and says
        // lists of towns and jobs again. The tokenizer's hash: a model saved with other merges (say, before numbers
        // were read digit by digit) reads other token ids and must not be reused.
        // Each setting named, so that --resume can say which one differs.
        String key = "gpt v4 worldSeed=" + cfg.world().seed() + " pretrainChars=" + cfg.world().pretrainChars() + " vocab=" + cfg.tokenizerVocab()
                + " " + cfg.model() + " steps=" + cfg.pretrainSteps() + " batch=" + cfg.pretrainBatch() + " seqLen=" + cfg.pretrainSeqLen()
                + " lr=" + cfg.pretrainLr() + " seed=" + cfg.seed() + " tokenizer=" + Integer.toHexString(tok.hashCode());
        Optional<PretrainResult> saved = stages.result("gpt", key, PretrainResult.class);
        List<Double> losses;
        if (saved.isPresent()) {
            gpt.loadParameters(stages.weights("gpt", cfg.device()), true);
            losses = saved.get().losses();
            reused();
        } else {
            PretrainConfig pc = PretrainConfig.defaults(cfg.pretrainSteps(), cfg.pretrainBatch(), Math.min(cfg.pretrainSeqLen(), cfg.model().contextLength()))
                    .withLr(cfg.pretrainLr()).withSeed(cfg.seed());
            Pretrainer trainer = new Pretrainer(gpt, pc);
            StageCache.Run run = stages.start("gpt", key, tok, out.resolve("pretrain-metrics.jsonl"), trainer::resume);
            try (MetricsLog log = run.log()) {
                losses = trainer.train(corpus, log, run.plan());
            }
            ModelFolder.saveLm(stages.folder("gpt"), gpt, tok);
            stages.finish("gpt", key, new PretrainResult(losses));
        }
        console.println(pretrainSummary(losses));
        return new Pretraining(gpt, losses, key);
    }

    private record Finetuning(Gpt model, SftTrainer.Result result, List<SftExample> demonstrations, String key) {}

    private Finetuning finetune(Pretraining pre, BpeTokenizer tok, World.Datasets data) throws IOException {
        Gpt sft = pre.model().copy();
        List<SftExample> demos = new ArrayList<>();
        for (Demonstration d : data.demonstrations()) demos.add(SftExample.of(d, tok::encode, tok.endOfText()));
        int nVal = Math.max(8, demos.size() / 20);
        SftConfig sc = SftConfig.paper().withLr(cfg.sftLr()).withEpochs(cfg.sftEpochs()).withBatchSize(cfg.sftBatch())
                .withDropout(cfg.model().dropout()).withSeed(cfg.seed()).withMaxLen(cfg.model().contextLength());
        String key = pre.key() + " | sft v2 " + cfg.world() + " " + sc;
        Optional<SftTrainer.Result> saved = stages.result("sft", key, SftTrainer.Result.class);
        SftTrainer.Result result;
        if (saved.isPresent()) {
            sft.loadParameters(stages.weights("sft", cfg.device()), true);
            result = saved.get();
            reused();
        } else {
            SftTrainer trainer = new SftTrainer(sft, sc, tok.pad());
            StageCache.Run run = stages.start("sft", key, tok, out.resolve("sft-metrics.jsonl"), trainer::resume);
            try (MetricsLog log = run.log()) {
                // The best epoch by validation loss, not by reward-model score as the paper chooses: the reward model is
                // trained afterwards, on this model's own samples, so there is none to choose by yet.
                result = trainer.train(demos.subList(nVal, demos.size()), demos.subList(0, nVal), null, log, run.plan(), Long.MAX_VALUE);
                sft = trainer.model();
            }
            ModelFolder.saveLm(stages.folder("sft"), sft, tok);
            stages.finish("sft", key, result);
        }
        String losses = result.validationLosses().stream().map(v -> String.format(Locale.ROOT, "%.3f", v)).collect(Collectors.joining(", "));
        console.printf("  validation loss by epoch: %s (best: epoch %d)%n", losses, result.bestEpoch() + 1);
        return new Finetuning(sft, result, demos, key);
    }

    private record RewardModeling(RewardModel model, RmTrainer.Result result, float bias, DemoReport.RmAccuracy accuracy, String key) {}

    private RewardModeling trainRewardModel(Finetuning ft, BpeTokenizer tok, World.Datasets data) throws IOException {
        RewardModel rm = RewardModel.fromLm(ft.model().copy(), tok.pad(), new Rng(cfg.seed() + 5));
        RmConfig rc = RmConfig.paper().withLr(cfg.rmLr()).withEpochs(cfg.rmEpochs()).withBatchPrompts(cfg.rmBatchPrompts())
                .withSeed(cfg.seed()).withMaxLen(cfg.model().contextLength());
        // The version goes up when the stage's data or code change in a way its settings do not show (v2: the
        // contrast sets include refusals; v3: and sentences about something else, and a passage question is only
        // attempted by a name or a fact), so --resume does not reuse a reward model made the old way.
        String key = ft.key() + " | rm v3 " + rc + " " + cfg.rmTasks() + " " + cfg.rmSynthetic() + " " + cfg.rmMinK() + " " + cfg.rmMaxK()
                + " " + cfg.maxNewTokens() + " " + cfg.generationBatch();
        Optional<RmResult> saved = stages.result("rm", key, RmResult.class);
        if (saved.isPresent()) {
            rm.loadParameters(stages.weights("rm", cfg.device()));
            reused();
            DemoReport.RmAccuracy accuracy = saved.get().accuracy() != null ? saved.get().accuracy() : new DemoReport.RmAccuracy(null, null);
            return new RewardModeling(rm, saved.get().result(), saved.get().bias(), accuracy, key);
        }
        List<Ranking> rankings = rankSftSamples(ft.model(), tok, data.rmTasks());
        Jsonl.write(out.resolve("world/rankings.jsonl"), rankings);
        // Besides rankings of SFT samples, labelers contrast a few written responses per prompt (ideal, partial,
        // wrong, rude, rambling, refusing, off the topic): a miniature of the paper's labelers ranking outputs of
        // several models.
        List<Ranking> rmData = new ArrayList<>(rankings);
        rmData.addAll(data.syntheticRankings().subList(0, Math.min(cfg.rmSynthetic(), data.syntheticRankings().size())));
        java.util.Collections.shuffle(rmData, new java.util.Random(cfg.seed()));
        List<RmExample> examples = new ArrayList<>();
        for (Ranking r : rmData) if (!r.pairs().isEmpty()) examples.add(RmExample.of(r, tok::encode, tok.endOfText()));
        int nVal = Math.max(8, examples.size() / 10);
        RmTrainer.Result result;
        DemoReport.RmAccuracy accuracy;
        RmTrainer trainer = new RmTrainer(rm, rc);
        StageCache.Run run = stages.start("rm", key, tok, out.resolve("rm-metrics.jsonl"), trainer::resume);
        try (MetricsLog log = run.log()) {
            result = trainer.train(examples.subList(nVal, examples.size()), examples.subList(0, nVal), log, run.plan());
            accuracy = DemoReport.RmAccuracy.of(log);
        }
        List<int[]> demoSequences = new ArrayList<>();
        for (SftExample d : ft.demonstrations()) demoSequences.add(org.instruct4j.rlhf.train.Sequences.concat(d.prompt(), d.completion()));
        float bias = rm.centerOn(demoSequences);
        ModelFolder.saveReward(stages.folder("rm"), rm, tok);
        stages.finish("rm", key, new RmResult(result, bias, accuracy));
        return new RewardModeling(rm, result, bias, accuracy, key);
    }

    /** A finished PPO run: the policy to evaluate (saved in models/&lt;stage&gt;) and its metrics. */
    private record PpoRun(Gpt policy, MetricsLog log) {}

    /** PPO from the SFT model against reward; the value model starts from the reward model (rmStage's), as in the paper. */
    private PpoRun runPpo(String stage, Gpt sft, RewardModeling rmStage, ResponseScorer reward, BpeTokenizer tok, List<int[]> prompts,
                          List<int[]> ptx, float ptxCoef)
            throws IOException {
        // Dropout is off during RL: PPO's ratio and KL compare log-probabilities of the policy as it samples, which
        // has none (PpoTrainer refuses a policy built with dropout); the saved config says 0.
        Gpt policy = sft.copy(0f), reference = sft.copy(0f);
        RewardModel value = rmStage.model().copy();
        PpoConfig pc = PpoConfig.paper()
                .withLr(cfg.ppoLr(), cfg.ppoValueLr())
                .withBatch(cfg.ppoBatch(), cfg.ppoMinibatch(), 1)
                .withKlCoef(cfg.klCoef())
                .withSampling(SamplingConfig.sample(cfg.maxNewTokens()))
                .withPtx(ptxCoef)
                .withPtxPerEpisode(cfg.ptxPerEpisode())
                .withWarmup(Math.max(1, Math.min(10, cfg.ppoIterations() / 4)))
                .withEma(cfg.ppoEmaDecay())
                .withEntropyPenalty(cfg.ppoEntropyPenalty())
                .withSeed(cfg.seed() + (ptxCoef > 0 ? 1 : 0));
        PpoTrainer trainer = new PpoTrainer(policy, reference, reward, value, tok.pad(), tok.endOfText(), pc);
        String rewardKey = cfg.ppoReward() == DemoConfig.PpoReward.REWARD_MODEL ? "" : " reward=" + cfg.ppoReward();
        StageCache.Run run = stages.start(stage, rmStage.key() + " | " + stage + " v1 " + pc + " " + cfg.ppoIterations() + rewardKey, tok,
                out.resolve(stage + "-metrics.jsonl"), trainer::resume);
        try (MetricsLog log = run.log()) {
            trainer.train(prompts, ptx, cfg.ppoIterations(), log, run.plan());
            MetricsLog.Series rewards = log.series("reward"), kl = log.series("kl");
            console.println(ppoSummary(ptxCoef > 0 ? "PPO-ptx" : "PPO", rewards, kl));
            ModelFolder.saveLm(stages.folder(stage), trainer.evaluationPolicy(), tok);
            stages.dropCheckpoint(stage);
            return new PpoRun(trainer.evaluationPolicy(), log);
        }
    }

    /** A PPO run's console line: its first and last iteration's mean reward and estimated KL from the SFT model. */
    static String ppoSummary(String policy, MetricsLog.Series rewards, MetricsLog.Series kl) {
        return String.format(Locale.ROOT, "  %s, first -> last iteration: mean reward %.3f -> %.3f, KL from the SFT model "
                + "(estimated from the samples, nats/response) %.3f -> %.3f", policy, rewards.first(), rewards.last(), kl.first(), kl.last());
    }

    /** K (between rmMinK and rmMaxK) SFT samples per task, ranked by the training labelers in turn. */
    private List<Ranking> rankSftSamples(Gpt sft, BpeTokenizer tok, List<Task> tasks) {
        Rng rng = new Rng(cfg.seed() + 3);
        List<Task> used = tasks.subList(0, Math.min(cfg.rmTasks(), tasks.size()));
        int[] ks = new int[used.size()];
        List<String> prompts = new ArrayList<>();
        for (int i = 0; i < used.size(); i++) {
            ks[i] = cfg.rmMinK() + rng.nextInt(cfg.rmMaxK() - cfg.rmMinK() + 1);
            for (int j = 0; j < ks[i]; j++) prompts.add(used.get(i).prompt());
        }
        Responder responder = new Responder(sft, tok, SamplingConfig.sample(cfg.maxNewTokens()), cfg.generationBatch());
        List<String> samples = responder.respond(prompts, rng);
        List<Labeler> labelers = cfg.world().trainingPanel();
        List<Ranking> rankings = new ArrayList<>();
        int at = 0;
        for (int i = 0; i < used.size(); i++) {
            List<String> candidates = new ArrayList<>();
            for (int j = 0; j < ks[i]; j++) candidates.add(WorldFormat.completion(samples.get(at++)));
            rankings.add(World.rankResponses(used.get(i), candidates, labelers.get(i % labelers.size()), rng));
        }
        return rankings;
    }

    /** Pretraining windows for the ptx term (4,096 windows of len + 1 tokens), drawn once for the PPO-ptx run. */
    static List<int[]> ptxSequences(int[] corpus, int len, Rng rng) {
        List<int[]> seqs = new ArrayList<>();
        for (int i = 0; i < 4096 && corpus.length > len + 1; i++) {
            int at = rng.nextInt(corpus.length - len - 1);
            seqs.add(java.util.Arrays.copyOfRange(corpus, at, at + len));
        }
        return seqs;
    }

    /**
     * Pretraining's console line: the first step's loss and the mean of the last 20 steps' (steadier than the last
     * step's, which the progress bar above it shows).
     */
    static String pretrainSummary(List<Double> losses) {
        int n = Math.min(20, losses.size());
        double s = 0;
        for (int i = losses.size() - n; i < losses.size(); i++) s += losses.get(i);
        return String.format(Locale.ROOT, "  loss %.3f (step 1) -> %.3f (%s)", losses.get(0), s / n,
                n == 1 ? "the last step" : "mean of the last " + n + " steps");
    }

    /** Ends the running stage (its wall time goes to the report) and starts the named one (none: the run is over). */
    private void stage(String name) {
        long now = System.nanoTime();
        if (!timeline.isEmpty()) {
            DemoReport.Stage last = timeline.removeLast();
            timeline.add(new DemoReport.Stage(last.name(), (now - stageStart) / 1e9, last.reused()));
        }
        stageStart = now;
        runningStage = name;
        if (name == null) return;
        timeline.add(new DemoReport.Stage(name, 0, false));
        console.printf("%n== %s%n", name);
    }

    /** The stage under way ("5/7 reward model ..."), empty before the first and after the last. */
    public java.util.Optional<String> runningStage() { return java.util.Optional.ofNullable(runningStage); }

    /** The running stage was reused from an earlier run (--resume). */
    private void reused() {
        DemoReport.Stage last = timeline.removeLast();
        timeline.add(new DemoReport.Stage(last.name(), 0, true));
        console.println("  reused from an earlier run (--resume)");
    }
}
