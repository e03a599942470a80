package org.instruct4j.rlhf.demo;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.instruct4j.engine.io.AtomicFiles;
import org.instruct4j.rlhf.data.Jsonl;
import org.instruct4j.rlhf.eval.BarChart;
import org.instruct4j.rlhf.eval.CriterionRates;
import org.instruct4j.rlhf.eval.LmScore;
import org.instruct4j.rlhf.eval.WinRate;
import org.instruct4j.rlhf.train.LinePlot;
import org.instruct4j.rlhf.train.MetricsLog;
import org.instruct4j.rlhf.world.WorldSummary;

/** The demo's results: Markdown with PNG plots, a JSON twin for programs, and a summary for the console. */
public record DemoReport(DemoConfig config, WorldSummary world, Map<String, PolicyResult> policies,
                         Map<String, double[]> rudeness, Map<String, LmScore> publicNlp,
                         double rmTrainAccuracy, double rmValidationAccuracy,
                         List<String> exampleInstructions, Map<String, List<String>> exampleResponses,
                         List<Double> pretrainLosses, MetricsLog ppoLog, MetricsLog ppoPtxLog, int evalTasks,
                         CapabilitySection capabilities) {

    /** One policy's evaluation: win rates against SFT (training and held-out labelers), Likert, metadata rates. */
    public record PolicyResult(WinRate vsSftTraining, WinRate vsSftHeldOut, double likert, CriterionRates rates) {}

    public static final String MARKDOWN = "report.md", JSON = "report.json";

    void write(Path out, double seconds) throws IOException {
        List<BarChart.Bar> train = new ArrayList<>(), held = new ArrayList<>(), likert = new ArrayList<>();
        for (var e : policies.entrySet()) {
            WinRate t = e.getValue().vsSftTraining(), h = e.getValue().vsSftHeldOut();
            train.add(new BarChart.Bar(e.getKey(), t.rate(), t.lower95(), t.upper95()));
            held.add(new BarChart.Bar(e.getKey(), h.rate(), h.lower95(), h.upper95()));
            likert.add(new BarChart.Bar(e.getKey(), e.getValue().likert(), Double.NaN, Double.NaN));
        }
        BarChart.write(out.resolve("figure1-win-rate.png"), "Win rate against SFT (training labelers, 95% interval)", "win rate", train, 1.0, 0.5);
        BarChart.write(out.resolve("figure1-win-rate-heldout.png"), "Win rate against SFT (held-out labelers, 95% interval)", "win rate", held, 1.0, 0.5);
        BarChart.write(out.resolve("likert.png"), "Mean Likert score (1-7)", "Likert", likert, 7.0, null);
        List<BarChart.Bar> halluc = new ArrayList<>(), rudeAsked = new ArrayList<>(), rudePolite = new ArrayList<>(), tax = new ArrayList<>();
        for (var e : policies.entrySet()) halluc.add(new BarChart.Bar(e.getKey(), e.getValue().rates().hallucinates(), Double.NaN, Double.NaN));
        for (var e : rudeness.entrySet()) {
            rudeAsked.add(new BarChart.Bar(e.getKey(), e.getValue()[0], Double.NaN, Double.NaN));
            rudePolite.add(new BarChart.Bar(e.getKey(), e.getValue()[1], Double.NaN, Double.NaN));
        }
        double maxLoss = 0;
        for (LmScore s : publicNlp.values()) maxLoss = Math.max(maxLoss, s.loss());
        for (var e : publicNlp.entrySet()) tax.add(new BarChart.Bar(e.getKey(), e.getValue().loss(), Double.NaN, Double.NaN));
        BarChart.write(out.resolve("hallucination.png"), "Hallucination rate on closed-domain tasks", "rate", halluc, 1.0, null);
        BarChart.write(out.resolve("rudeness-asked.png"), "Rude responses to rude requests", "rate", rudeAsked, 1.0, null);
        BarChart.write(out.resolve("rudeness-polite.png"), "Rude responses with a 'be polite' instruction", "rate", rudePolite, 1.0, null);
        BarChart.write(out.resolve("alignment-tax.png"), "Loss on the pretraining distribution (lower is better)", "nats/token", tax, Math.max(1e-3, maxLoss * 1.2), null);
        double[][] pre = new double[2][pretrainLosses.size()];
        for (int i = 0; i < pretrainLosses.size(); i++) { pre[0][i] = i; pre[1][i] = pretrainLosses.get(i); }
        new LinePlot("pretraining loss").add("loss", pre).write(out.resolve("curve-pretrain-loss.png"));
        for (String metric : List.of("reward", "kl", "ptx_loss")) {
            LinePlot p = new LinePlot("PPO " + metric);
            if (ppoLog.series(metric)[0].length > 0 && !metric.equals("ptx_loss")) p.add("PPO", ppoLog.series(metric));
            if (ppoPtxLog.series(metric)[0].length > 0) p.add("PPO-ptx", ppoPtxLog.series(metric));
            p.write(out.resolve("curve-ppo-" + metric.replace('_', '-') + ".png"));
        }
        String md = markdown(seconds);
        AtomicFiles.write(out.resolve(MARKDOWN), o -> o.write(md.getBytes(StandardCharsets.UTF_8)));
        String json = Jsonl.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(asJson(seconds));
        AtomicFiles.write(out.resolve(JSON), o -> o.write((json + "\n").getBytes(StandardCharsets.UTF_8)));
    }

    Map<String, Object> asJson(double seconds) {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("config", config.name());
        j.put("seed", config.seed());
        j.put("seconds", seconds);
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
            p.put("rude_asked", rudeness.get(e.getKey())[0]);
            p.put("rude_polite", rudeness.get(e.getKey())[1]);
            if (publicNlp.containsKey(e.getKey())) {
                p.put("public_nlp_loss", publicNlp.get(e.getKey()).loss());
                p.put("public_nlp_accuracy", publicNlp.get(e.getKey()).accuracy());
            }
            ps.put(e.getKey(), p);
        }
        j.put("policies", ps);
        j.put("rm_train_accuracy", rmTrainAccuracy);
        j.put("rm_validation_accuracy", rmValidationAccuracy);
        j.put("labeler_agreement_training", world.trainingAgreement());
        j.put("labeler_agreement_heldout", world.heldOutAgreement());
        return j;
    }

    private String markdown(double seconds) {
        StringBuilder s = new StringBuilder();
        s.append("# instruct4j demo: InstructGPT in miniature\n\n");
        s.append(f("Run `%s`, seed %d, %s, model %d layers x %d dims (%d heads, context %d, vocab %d); %d held-out tasks; %.0f s.%n%n",
                config.name(), config.seed(), config.device(), config.model().layers(), config.model().dim(), config.model().heads(),
                config.model().contextLength(), config.tokenizerVocab(), evalTasks, seconds));
        if (config.smokeTest()) s.append("**").append(DemoConfig.SMOKE_TEST_NOTE).append("**\n\n");
        s.append("## Win rate against SFT (the paper's Figure 1)\n\n");
        s.append("![win rate](figure1-win-rate.png) ![held-out labelers](figure1-win-rate-heldout.png)\n\n");
        s.append("| policy | training labelers (95% CI) | held-out labelers (95% CI) | Likert 1-7 |\n|---|---|---|---|\n");
        for (var e : policies.entrySet())
            s.append(f("| %s | %s | %s | %.2f |%n", e.getKey(), pct(e.getValue().vsSftTraining()), pct(e.getValue().vsSftHeldOut()), e.getValue().likert()));
        s.append("\nEach comparison counts as the chance that its labeler, reading both answers once with the labelers' "
                + "noise, prefers the policy's (identical answers: one half); the interval covers the sampling of prompts "
                + "and answers. SFT against an independent SFT sample is 50% up to that sampling.\n\n");
        s.append("## Metadata (section 4.1 and 4.2 of the paper)\n\n");
        s.append("| policy | correct | follows constraint | hallucinates (closed-domain) | ends properly | concise | rude (asked) | rude (\"be polite\") |\n|---|---|---|---|---|---|---|---|\n");
        for (var e : policies.entrySet()) {
            CriterionRates r = e.getValue().rates();
            double[] rd = rudeness.get(e.getKey());
            s.append(f("| %s | %.1f%% | %.1f%% | %.1f%% | %.1f%% | %.1f%% | %.1f%% | %.1f%% |%n", e.getKey(), 100 * r.correct(), 100 * r.followsConstraint(),
                    100 * r.hallucinates(), 100 * r.endsProperly(), 100 * r.concise(), 100 * rd[0], 100 * rd[1]));
        }
        s.append("\n![hallucination](hallucination.png) ![rude](rudeness-asked.png) ![polite](rudeness-polite.png)\n\n");
        s.append(capabilities.markdown());
        s.append("## Reward model\n\n");
        s.append(f("Pairwise accuracy on held-out comparisons: %.1f%% (train %.1f%%). Two training labelers agree %.1f%% of the time, "
                + "held-out labelers %.1f%% (the paper: 72.6%% and 77.3%%).%n%n", 100 * rmValidationAccuracy, 100 * rmTrainAccuracy,
                100 * world.trainingAgreement(), 100 * world.heldOutAgreement()));
        s.append("## The alignment tax: the pretraining distribution\n\n| model | loss (nats/token) | next-token accuracy |\n|---|---|---|\n");
        for (var e : publicNlp.entrySet()) s.append(f("| %s | %.3f | %.1f%% |%n", e.getKey(), e.getValue().loss(), 100 * e.getValue().accuracy()));
        s.append("\n![alignment tax](alignment-tax.png)\n\n## Training curves\n\n");
        s.append("![pretraining](curve-pretrain-loss.png) ![reward](curve-ppo-reward.png) ![KL](curve-ppo-kl.png) ![ptx](curve-ppo-ptx-loss.png)\n\n");
        s.append("## Example responses\n\n");
        for (int i = 0; i < exampleInstructions.size(); i++) {
            s.append(f("**%s**%n%n", exampleInstructions.get(i).replace("\n", " ")));
            for (var e : exampleResponses.entrySet())
                s.append(f("- %s: %s%n", e.getKey(), e.getValue().get(i).strip().replace("\n", " \\n ")));
            s.append('\n');
        }
        return s.toString();
    }

    void printSummary(PrintStream out) {
        out.println();
        out.println("== summary: win rate against SFT, training labelers [95% interval] / held-out labelers");
        if (config.smokeTest()) out.println("  " + DemoConfig.SMOKE_TEST_NOTE);
        for (var e : policies.entrySet())
            out.println(f("  %-13s %s   held-out %s   Likert %.2f", e.getKey(), pct(e.getValue().vsSftTraining()),
                    pct(e.getValue().vsSftHeldOut()), e.getValue().likert()));
        out.println(f("  hallucination (closed-domain): GPT %.1f%%, SFT %.1f%%, PPO-ptx %.1f%%",
                100 * policies.get("GPT").rates().hallucinates(), 100 * policies.get("SFT").rates().hallucinates(),
                100 * policies.get("PPO-ptx").rates().hallucinates()));
        out.println(f("  pretraining-distribution loss: GPT %.3f, SFT %.3f, PPO %.3f, PPO-ptx %.3f",
                publicNlp.get("GPT").loss(), publicNlp.get("SFT").loss(), publicNlp.get("PPO").loss(), publicNlp.get("PPO-ptx").loss()));
        capabilities.printSummary(out);
        out.println(f("  reward model accuracy %.1f%% (labelers agree %.1f%%)", 100 * rmValidationAccuracy, 100 * world.trainingAgreement()));
    }

    private static String pct(WinRate w) {
        return f("%.1f%% [%.1f, %.1f]", 100 * w.rate(), 100 * w.lower95(), 100 * w.upper95());
    }

    private static String f(String format, Object... args) { return String.format(Locale.ROOT, format, args); }
}
