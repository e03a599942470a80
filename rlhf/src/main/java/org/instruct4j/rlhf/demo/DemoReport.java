package org.instruct4j.rlhf.demo;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.instruct4j.engine.io.AtomicFiles;
import org.instruct4j.rlhf.data.Jsonl;
import org.instruct4j.rlhf.eval.CriterionRates;
import org.instruct4j.rlhf.eval.LmScore;
import org.instruct4j.rlhf.eval.WinRate;
import org.instruct4j.rlhf.plot.ChartSupport;
import org.instruct4j.rlhf.rm.RmTrainer;
import org.instruct4j.rlhf.sft.SftTrainer;
import org.instruct4j.rlhf.train.MetricsLog;
import org.instruct4j.rlhf.world.Task;
import org.instruct4j.rlhf.world.WorldSummary;

/**
 * The demo's results: report.md with PNG charts ({@link ReportMarkdown}, {@link ReportCharts}), a JSON twin for
 * programs, and a summary for the console.
 */
public record DemoReport(DemoConfig config, WorldSummary world, Map<String, PolicyResult> policies,
                         AnswerKey answerKey, Map<String, Rudeness> rudeness, Map<String, LmScore> publicNlp,
                         double rmTrainAccuracy, double rmValidationAccuracy,
                         List<Task> exampleTasks, Map<String, List<String>> exampleResponses, InOtherWords examplesInOtherWords,
                         List<Double> pretrainLosses, SftTrainer.Result sft, RmTrainer.Result rm, RmAccuracy rmAccuracy,
                         MetricsLog ppoLog, MetricsLog ppoPtxLog, int evalTasks, CapabilitySection capabilities) {

    /** The example tasks asked in other words ({@link org.instruct4j.rlhf.world.OtherWordings}), with PPO-ptx's sampled answers. */
    public record InOtherWords(List<Task> tasks, List<String> ppoPtxAnswers) {}

    /** One policy's evaluation: win rates against SFT (training and held-out labelers), Likert, metadata rates. */
    public record PolicyResult(WinRate vsSftTraining, WinRate vsSftHeldOut, double likert, CriterionRates rates) {}

    /**
     * The world's ideal answers judged against the same SFT sample as the policies: the ideal answer meets every
     * criterion, so every labeler scores it highest, and no policy can expect a higher win rate. With the labelers'
     * noise (calibrated to the paper's agreement), and SFT answers that are right too, that ceiling is below 100%.
     */
    public record AnswerKey(WinRate vsSftTraining, WinRate vsSftHeldOut) {}

    /**
     * The reward model's pairwise accuracy during training: on each training batch (before its step) and on the
     * held-out comparisons at the end of each epoch; both empty for a stage reused from a run that did not keep them.
     */
    public record RmAccuracy(List<Double> trainingBatches, List<Double> validation) {
        public RmAccuracy {
            trainingBatches = trainingBatches == null ? List.of() : List.copyOf(trainingBatches);
            validation = validation == null ? List.of() : List.copyOf(validation);
        }

        static RmAccuracy of(MetricsLog rmLog) {
            return new RmAccuracy(values(rmLog.series("accuracy")), values(rmLog.series("val_accuracy")));
        }

        private static List<Double> values(MetricsLog.Series s) { return java.util.Arrays.stream(s.values()).boxed().toList(); }
    }

    /** How often a policy answers rude requests rudely: as asked, and with a "be polite" instruction in front. */
    public record Rudeness(double asked, double polite) {}

    /** One stage of the run: its name, its wall time, and whether --resume reused it from an earlier run. */
    public record Stage(String name, double seconds, boolean reused) {}

    public static final String MARKDOWN = "report.md", JSON = "report.json";

    /**
     * Writes the charts, report.md and report.json into out (the folder that holds models/); returns why the charts
     * were left out, if they were (a Java runtime that cannot draw: {@link ChartSupport}).
     */
    Optional<String> write(Path out, List<Stage> stages, double seconds) throws IOException {
        return write(out, stages, seconds, ChartSupport.unavailable());
    }

    /** The same, with the charts left out for the reason given, if any. */
    Optional<String> write(Path out, List<Stage> stages, double seconds, Optional<String> noCharts) throws IOException {
        if (noCharts.isEmpty()) ReportCharts.writeAll(this, out);
        RunIdentity identity = RunIdentity.of(out.resolve("models"));
        String md = new ReportMarkdown(this, out, stages, seconds, noCharts, identity).render();
        AtomicFiles.write(out.resolve(MARKDOWN), o -> o.write(md.getBytes(StandardCharsets.UTF_8)));
        String json = Jsonl.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(asJson(stages, seconds, identity));
        AtomicFiles.write(out.resolve(JSON), o -> o.write((json + "\n").getBytes(StandardCharsets.UTF_8)));
        return noCharts;
    }

    Map<String, Object> asJson(List<Stage> stages, double seconds, RunIdentity identity) {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("config", config.name());
        j.put("seed", config.seed());
        j.put("code", identity.code());
        j.put("weights_sha256", identity.weights());
        j.put("seconds", seconds);
        j.put("stages", stages);
        j.put("eval_tasks", evalTasks);
        Map<String, Object> ps = new LinkedHashMap<>();
        for (var e : policies.entrySet()) {
            PolicyResult r = e.getValue();
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("win_rate_training", r.vsSftTraining().rate());
            p.put("win_rate_training_low95", r.vsSftTraining().lower95());
            p.put("win_rate_training_high95", r.vsSftTraining().upper95());
            p.put("win_rate_heldout", r.vsSftHeldOut().rate());
            p.put("win_rate_heldout_low95", r.vsSftHeldOut().lower95());
            p.put("win_rate_heldout_high95", r.vsSftHeldOut().upper95());
            p.put("likert", r.likert());
            p.put("correct", r.rates().correct());
            p.put("follows_constraint", r.rates().followsConstraint());
            p.put("hallucinates", r.rates().hallucinates());
            p.put("ends_properly", r.rates().endsProperly());
            p.put("concise", r.rates().concise());
            p.put("rude_asked", rudeness.get(e.getKey()).asked());
            p.put("rude_polite", rudeness.get(e.getKey()).polite());
            if (publicNlp.containsKey(e.getKey())) {
                p.put("public_nlp_loss", publicNlp.get(e.getKey()).loss());
                p.put("public_nlp_accuracy", publicNlp.get(e.getKey()).accuracy());
            }
            ps.put(e.getKey(), p);
        }
        j.put("policies", ps);
        j.put("answer_key_win_rate_training", answerKey.vsSftTraining().rate());
        j.put("answer_key_win_rate_heldout", answerKey.vsSftHeldOut().rate());
        Map<String, Object> byFamily = new LinkedHashMap<>();
        capabilities.winByFamily().forEach((family, w) -> {
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("tasks", w.ppoPtx().n());
            f.put("ppo_ptx", w.ppoPtx().rate());
            f.put("answer_key", w.answerKey().rate());
            byFamily.put(family, f);
        });
        j.put("win_rate_training_by_family", byFamily);
        j.put("rm_train_accuracy", rmTrainAccuracy);
        j.put("rm_validation_accuracy", rmValidationAccuracy);
        j.put("labeler_agreement_training", world.trainingAgreement());
        j.put("labeler_agreement_heldout", world.heldOutAgreement());
        return j;
    }

    void printSummary(PrintStream out) {
        out.println();
        out.println("== summary: win rate against SFT, training labelers [95% interval] / held-out labelers");
        if (config.smokeTest()) out.println("  " + DemoConfig.SMOKE_TEST_NOTE);
        if (config.ppoRewardNote() != null) out.println("  " + config.ppoRewardNote());
        for (var e : policies.entrySet())
            out.println(f("  %-13s %s   held-out %s   Likert %.2f", e.getKey(), pct(e.getValue().vsSftTraining()),
                    pct(e.getValue().vsSftHeldOut()), e.getValue().likert()));
        out.println(f("  %-13s %s   held-out %s   (the ceiling: the world's ideal answers)", "answer key",
                pct(answerKey.vsSftTraining()), pct(answerKey.vsSftHeldOut())));
        StringBuilder right = new StringBuilder("  right answers (the tasks' checkers):");
        policies.forEach((name, p) -> right.append(f(" %s %.1f%%,", name, 100 * p.rates().correct())));
        out.println(right.substring(0, right.length() - 1));
        out.println(f("  hallucination (closed-domain): GPT %.1f%%, SFT %.1f%%, PPO-ptx %.1f%%",
                100 * policies.get("GPT").rates().hallucinates(), 100 * policies.get("SFT").rates().hallucinates(),
                100 * policies.get("PPO-ptx").rates().hallucinates()));
        out.println(f("  pretraining-distribution loss: GPT %.3f, SFT %.3f, PPO %.3f, PPO-ptx %.3f",
                publicNlp.get("GPT").loss(), publicNlp.get("SFT").loss(), publicNlp.get("PPO").loss(), publicNlp.get("PPO-ptx").loss()));
        capabilities.printSummary(out);
        out.println(f("  reward model accuracy %.1f%% (labelers agree %.1f%%)", 100 * rmValidationAccuracy, 100 * world.trainingAgreement()));
    }

    static String pct(WinRate w) {
        return f("%.1f%% [%.1f, %.1f]", 100 * w.rate(), 100 * w.lower95(), 100 * w.upper95());
    }

    static String f(String format, Object... args) { return String.format(Locale.ROOT, format, args); }
}
