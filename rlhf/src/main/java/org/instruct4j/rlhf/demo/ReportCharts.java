package org.instruct4j.rlhf.demo;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;
import org.instruct4j.rlhf.eval.WinRate;
import org.instruct4j.rlhf.plot.Charts;
import org.instruct4j.rlhf.plot.Charts.Bar;
import org.instruct4j.rlhf.plot.Charts.Curve;

/** The report's charts, by file name: the paper's figures in miniature and every stage's training curves. */
final class ReportCharts {
    static final String WIN_RATE = "figure1-win-rate.png", WIN_RATE_HELD_OUT = "figure1-win-rate-heldout.png",
            LIKERT = "likert.png", HALLUCINATION = "hallucination.png", RUDE_ASKED = "rudeness-asked.png",
            RUDE_POLITE = "rudeness-polite.png", ALIGNMENT_TAX = "alignment-tax.png",
            PRETRAIN = "curve-pretrain-loss.png", SFT = "curve-sft-loss.png", RM = "curve-rm-loss.png", RM_ACCURACY = "curve-rm-accuracy.png",
            PPO_REWARD = "curve-ppo-reward.png", PPO_KL = "curve-ppo-kl.png", PPO_PTX = "curve-ppo-ptx-loss.png";

    /** Every chart file, in the order the report shows them. */
    static final List<String> ALL = List.of(WIN_RATE, WIN_RATE_HELD_OUT, LIKERT, HALLUCINATION, RUDE_ASKED, RUDE_POLITE,
            ALIGNMENT_TAX, PRETRAIN, SFT, RM, RM_ACCURACY, PPO_REWARD, PPO_KL, PPO_PTX);

    /** The KL chart's title: the logged KL is an estimate from the sampled responses ({@link Charts#KL_AXIS}). */
    static final String PPO_KL_TITLE = "PPO: KL from the SFT model, estimated from the samples";

    private static final Charts.Reference AS_GOOD_AS_SFT = new Charts.Reference(50, "50%: as good as SFT");

    private ReportCharts() {}

    static void writeAll(DemoReport r, Path out) throws IOException {
        Charts.bars(out.resolve(WIN_RATE), "Win rate against SFT, training labelers (95% interval)", "win rate against SFT (%)",
                winRates(r, DemoReport.PolicyResult::vsSftTraining), 100, AS_GOOD_AS_SFT, ceiling(r.answerKey().vsSftTraining()));
        Charts.bars(out.resolve(WIN_RATE_HELD_OUT), "Win rate against SFT, held-out labelers (95% interval)", "win rate against SFT (%)",
                winRates(r, DemoReport.PolicyResult::vsSftHeldOut), 100, AS_GOOD_AS_SFT, ceiling(r.answerKey().vsSftHeldOut()));
        Charts.bars(out.resolve(LIKERT), "Mean Likert score, training labelers", "Likert score (1 = worst, 7 = best)",
                perPolicy(r, p -> p.likert()), 7);
        Charts.bars(out.resolve(HALLUCINATION), "Hallucination on closed-domain tasks", "answers that make up facts (%)",
                perPolicy(r, p -> 100 * p.rates().hallucinates()), 100);
        List<Bar> asked = new ArrayList<>(), polite = new ArrayList<>();
        for (var e : r.rudeness().entrySet()) {
            asked.add(Bar.of(e.getKey(), 100 * e.getValue().asked()));
            polite.add(Bar.of(e.getKey(), 100 * e.getValue().polite()));
        }
        Charts.bars(out.resolve(RUDE_ASKED), "Rude answers to rude requests", "rude answers (%)", asked, 100);
        Charts.bars(out.resolve(RUDE_POLITE), "Rude answers to rude requests with a \"be polite\" instruction", "rude answers (%)", polite, 100);
        List<Bar> tax = new ArrayList<>();
        double maxLoss = 0;
        for (var e : r.publicNlp().entrySet()) {
            tax.add(Bar.of(e.getKey(), e.getValue().loss()));
            maxLoss = Math.max(maxLoss, e.getValue().loss());
        }
        Charts.bars(out.resolve(ALIGNMENT_TAX), "Loss on the pretraining distribution (lower is better)", "loss (nats/token)",
                tax, Math.ceil(maxLoss * 1.15 * 2) / 2);

        Charts.curves(out.resolve(PRETRAIN), "Pretraining", "step", "training loss (nats/token)",
                List.of(new Curve("GPT", steps(r.pretrainLosses().size()), values(r.pretrainLosses()))));
        Charts.curves(out.resolve(SFT), "Supervised fine-tuning (SFT)", "step", "loss on demonstrations (nats/token)",
                withValidation("SFT", r.sft().trainLosses(), r.sft().validationLosses()));
        Charts.curves(out.resolve(RM), "Reward model", "step", Charts.RANKING_LOSS_AXIS,
                List.of(new Curve("RM (training batches)", steps(r.rm().losses().size()), values(r.rm().losses()))));
        rmAccuracy(out.resolve(RM_ACCURACY), r.rmAccuracy());
        Charts.curves(out.resolve(PPO_REWARD), "PPO: reward-model score of the policy's answers", "PPO iteration", "mean reward (reward-model score)",
                ppo(r, "reward", true));
        Charts.curves(out.resolve(PPO_KL), PPO_KL_TITLE, "PPO iteration", Charts.KL_AXIS, ppo(r, "kl", true));
        Charts.curves(out.resolve(PPO_PTX), "PPO-ptx: loss on the pretraining mix", "PPO iteration", "pretraining loss (nats/token)",
                ppo(r, "ptx_loss", false));
    }

    /**
     * The reward model's accuracy on its training batches and on the held-out comparisons, as the rm command's
     * rm-accuracy.png: the held-out comparisons are scored for accuracy only (no loss), so they cannot go on the loss
     * chart. Nothing is drawn for a reused stage that did not keep its curve.
     */
    static void rmAccuracy(Path png, DemoReport.RmAccuracy a) throws IOException {
        if (a.trainingBatches().isEmpty()) return;
        Charts.curves(png, "Reward model: pairwise accuracy", "step", Charts.axisTitle("accuracy"),
                withValidation("RM", a.trainingBatches(), a.validation()));
    }

    /** A model's curve over its training batches and, dashed, its validation at the end of each epoch. */
    private static List<Curve> withValidation(String model, List<Double> train, List<Double> val) {
        double[] epochEnds = new double[val.size()];
        for (int e = 0; e < val.size(); e++) epochEnds[e] = (double) train.size() * (e + 1) / val.size();
        return List.of(new Curve(model + " (training batches)", steps(train.size()), values(train)),
                new Curve(model + " (validation, end of each epoch)", epochEnds, values(val)));
    }

    /** The answer key's win rate as a line: what no policy can beat. */
    private static Charts.Reference ceiling(WinRate answerKey) {
        return new Charts.Reference(100 * answerKey.rate(), String.format(java.util.Locale.ROOT, "%.0f%%: the ideal answers (ceiling)", 100 * answerKey.rate()));
    }

    /** Percent, with the 95% interval's half-width (the interval is clipped to [0, 1], so take the longer side). */
    private static List<Bar> winRates(DemoReport r, Function<DemoReport.PolicyResult, WinRate> which) {
        List<Bar> bars = new ArrayList<>();
        for (Map.Entry<String, DemoReport.PolicyResult> e : r.policies().entrySet()) {
            WinRate w = which.apply(e.getValue());
            bars.add(new Bar(e.getKey(), 100 * w.rate(), 100 * Math.max(w.rate() - w.lower95(), w.upper95() - w.rate())));
        }
        return bars;
    }

    private static List<Bar> perPolicy(DemoReport r, ToDoubleFunction<DemoReport.PolicyResult> value) {
        List<Bar> bars = new ArrayList<>();
        for (var e : r.policies().entrySet()) bars.add(Bar.of(e.getKey(), value.applyAsDouble(e.getValue())));
        return bars;
    }

    private static List<Curve> ppo(DemoReport r, String metric, boolean withPlainPpo) {
        List<Curve> curves = new ArrayList<>();
        if (withPlainPpo) curves.add(Curve.of("PPO", r.ppoLog().series(metric)));
        curves.add(Curve.of("PPO-ptx", r.ppoPtxLog().series(metric)));
        return curves;
    }

    private static double[] steps(int n) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) x[i] = i + 1;
        return x;
    }

    private static double[] values(List<Double> xs) {
        double[] y = new double[xs.size()];
        for (int i = 0; i < y.length; i++) y[i] = xs.get(i);
        return y;
    }
}
