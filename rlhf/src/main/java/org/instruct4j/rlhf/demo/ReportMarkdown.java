package org.instruct4j.rlhf.demo;

import static org.instruct4j.rlhf.demo.DemoReport.f;
import static org.instruct4j.rlhf.demo.DemoReport.pct;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.instruct4j.engine.backend.Backends;
import org.instruct4j.engine.nn.GptConfig;
import org.instruct4j.rlhf.eval.CriterionRates;
import org.instruct4j.rlhf.eval.LmScore;
import org.instruct4j.rlhf.eval.WinRate;
import org.instruct4j.rlhf.world.Judge;
import org.instruct4j.rlhf.world.Task;
import org.instruct4j.rlhf.world.World;

/**
 * report.md, written to be read on its own: where the models are and how to talk to them, what was run (stages,
 * data, model, minutes, hyperparameters), every table with what its columns mean, the charts, and what the
 * numbers say next to the paper's findings.
 */
final class ReportMarkdown {
    private static final String REPRODUCTION = "docs/REPRODUCTION.md";

    private final DemoReport r;
    private final DemoConfig c;
    private final Path out;
    private final List<DemoReport.Stage> stages;
    private final double seconds;
    private final Optional<String> noCharts;
    private final RunIdentity identity;
    private final StringBuilder s = new StringBuilder();

    ReportMarkdown(DemoReport report, Path out, List<DemoReport.Stage> stages, double seconds, Optional<String> noCharts,
                   RunIdentity identity) {
        this.identity = identity;
        this.r = report;
        this.c = report.config();
        this.out = out;
        this.stages = stages;
        this.seconds = seconds;
        this.noCharts = noCharts;
    }

    String render() {
        s.append("# instruct4j demo: InstructGPT in miniature\n\n");
        s.append(f("The recipe of Ouyang et al. (2022) end to end on a built-in miniature world: pretrain a GPT on text that does not "
                + "follow instructions, fine-tune it on labelers' demonstrations (SFT), train a reward model (RM) on labelers' "
                + "rankings of SFT answers, optimise the SFT model against it with PPO and with PPO-ptx (PPO plus the pretraining "
                + "loss), and let training and held-out labelers judge five policies on %d held-out prompts. Run `%s`, seed %d, on %s, "
                + "%.1f minutes in all%s.%n%n", r.evalTasks(), c.name(), c.seed(), Backends.of(c.device()).describe(), seconds / 60,
                identity.code() == null ? "" : ", code " + identity.code()));
        if (c.smokeTest()) s.append("**").append(DemoConfig.SMOKE_TEST_NOTE).append("**\n\n");
        if (c.ppoRewardNote() != null) s.append("**").append(c.ppoRewardNote()).append("**\n\n");
        noCharts.ifPresent(why -> s.append("*No charts in this report: ").append(why)
                .append(". Every figure is in the tables below and in report.json.*\n\n"));
        models();
        whatWasRun();
        winRates();
        metadata();
        s.append(r.capabilities().markdown());
        rewardModel();
        alignmentTax();
        curves();
        interpretation();
        examples();
        return s.toString();
    }

    private void models() {
        Path folder = out.resolve("models");
        String example = r.exampleTasks().isEmpty() ? "Reverse the order of these words: red green blue" : r.exampleTasks().get(0).instruction();
        s.append("## The models\n\n");
        s.append(f("Every model is a folder in `%s`: `gpt` (pretrained), `sft`, `rm` (the reward model), `ppo` and `ppo-ptx`. Each is a "
                + "Hugging Face GPT-2 folder (config.json, model.safetensors, vocab.json, merges.txt) that every `instruct4j` command "
                + "reads and that is written for transformers' `GPT2LMHeadModel.from_pretrained`. To talk to the PPO-ptx model:%n%n", folder));
        s.append(f("    ./instruct4j generate --model %s --instruction %s%n%n", ShellWord.of(folder.resolve("ppo-ptx")),
                ShellWord.of(example.replace("\n", " "))));
        s.append(f("and to set it beside the SFT model it started from (each answers under the instruction, after its name):%n%n"
                + "    ./instruct4j generate --model %s --model %s --interactive%n%n",
                ShellWord.of(folder.resolve("sft")), ShellWord.of(folder.resolve("ppo-ptx"))));
        s.append("The models were trained on prompts of the form `Instruction: ...` + newline + `Response:` and answer after it; "
                + "`--instruction` writes that form for you, `--instructions FILE` for each line of a text file, `--interactive` for "
                + "instructions as you type them, one per line; `--prompt` takes a whole prompt (a written `\\n` becomes a newline), "
                + "and `--prompts FILE` reads one `{\"prompt\": ...}` per line, each as written. "
                + "`generate` samples at temperature 1, as the policies were judged here; `--greedy` gives each prompt's most likely "
                + "answer, which is right more often (the table of correct answers per task family below has both).\n\n");
        if (!identity.weights().isEmpty()) s.append(weights(identity.shortWeights())).append("\n\n");
    }

    /** The models' sha256 and what they are for: telling this run's bits from another's. */
    static String weights(String shortWeights) {
        return f("The weights' sha256 (the first 8 hex digits; in full in report.json): %s. A run whose report lists the same "
                + "sha256 made the same models bit for bit; docs/REPRODUCTION.md quotes the default run's.", shortWeights);
    }

    private void whatWasRun() {
        GptConfig m = c.model();
        Map<String, Integer> n = r.world().counts();
        s.append("## What was run\n\n");
        s.append(f("Model: GPT-2 architecture, %d layers, %d dimensions, %d heads, context %d tokens, byte-level BPE vocabulary of %d; "
                + "%,d parameters. Dropout %.2f during pretraining and SFT, none during PPO.%n%n", m.layers(), m.dim(), m.heads(),
                m.contextLength(), c.tokenizerVocab(), parameters(m, c.tokenizerVocab()), m.dropout()));
        s.append("| stage | what it did | minutes |\n|---|---|---|\n");
        for (DemoReport.Stage st : stages)
            s.append(f("| %s | %s | %s |%n", st.name(), describe(st.name(), n),
                    st.reused() ? "reused (--resume)" : f("%.2f", st.seconds() / 60)));
        s.append(f("%nTotal %.1f minutes. The labelers: %d training labelers (their rankings train the reward model) and %d held-out "
                + "labelers (they made no training data), each with their own weights on the criteria and noise; two training labelers "
                + "agree %.1f%%, two held-out labelers %.1f%% (the paper: 72.6%% and 77.3%%).%n%n",
                seconds / 60, c.world().trainingLabelers(), c.world().heldOutLabelers(), 100 * r.world().trainingAgreement(),
                100 * r.world().heldOutAgreement()));
    }

    private String describe(String stage, Map<String, Integer> n) {
        String name = stage.substring(stage.indexOf(' ') + 1);
        if (name.startsWith("world"))
            return f("made the tasks and data: %,d demonstrations, %,d ranking prompts, %,d PPO prompts, %,d held-out tasks, %,d characters of pretraining text",
                    count(n, World.DEMONSTRATIONS), count(n, World.RM_TASKS), count(n, World.PPO_PROMPTS), count(n, World.EVAL_TASKS),
                    r.world().pretrainChars());
        if (name.startsWith("tokenizer")) return f("byte-level BPE trained on the pretraining text, %d tokens", c.tokenizerVocab());
        if (name.startsWith("pretrain"))
            return f("%,d steps of %d sequences of %d tokens, peak learning rate %s (AdamW, cosine)", c.pretrainSteps(), c.pretrainBatch(),
                    Math.min(c.pretrainSeqLen(), c.model().contextLength()), num(c.pretrainLr()));
        if (name.startsWith("supervised"))
            return f("%s over the demonstrations (5%% held out for validation), batch %d, learning rate %s; the epoch with the best "
                    + "validation score is kept", plural(c.sftEpochs(), "epoch"), c.sftBatch(), num(c.sftLr()));
        if (name.startsWith("reward"))
            return f("%,d prompts, %d to %d SFT answers each ranked by a training labeler, plus %,d contrast sets of written answers; "
                    + "%s, %d prompts per batch, learning rate %s; starts from the SFT model", c.rmTasks(), c.rmMinK(), c.rmMaxK(),
                    c.rmSynthetic(), plural(c.rmEpochs(), "epoch"), c.rmBatchPrompts(), num(c.rmLr()));
        if (name.startsWith("PPO"))
            return f("each of PPO and PPO-ptx: %d iterations of %d episodes (minibatches of %d), policy learning rate %s, value %s, "
                    + "KL coefficient %s, up to %d response tokens%s; PPO-ptx adds the pretraining loss with coefficient %s%s%s",
                    c.ppoIterations(), c.ppoBatch(), c.ppoMinibatch(), num(c.ppoLr()), num(c.ppoValueLr()), num(c.klCoef()),
                    c.maxNewTokens(), c.ppoEntropyPenalty() > 0 ? "; the policy's mean per-token entropy times "
                            + num(c.ppoEntropyPenalty()) + " is added to its loss (not in the paper: it sharpens answers the reward "
                            + "model cannot tell from wrong ones)" : "",
                    num(c.ptxCoef()),
                    c.ppoEmaDecay() > 0 ? "; each is evaluated as the exponential moving average of its weights over the steps (decay " + num(c.ppoEmaDecay()) + ")" : "",
                    c.ppoReward() == DemoConfig.PpoReward.LABELERS ? f("; the reward: the %d training labelers' mean noiseless "
                            + "score of each answer, scaled as a reward model's (--ppo-reward labelers), not the reward model; the value "
                            + "model still starts from the reward model", c.world().trainingLabelers()) : "");
        if (name.startsWith("evaluation"))
            return f("%d held-out prompts answered by each policy at temperature %s and judged against an SFT answer; %d items of the "
                    + "pretraining distribution scored", r.evalTasks(), num(c.evalTemperature()), c.publicNlpItems());
        return "";
    }

    private void winRates() {
        s.append("## Win rate against SFT (the paper's Figure 1)\n\n");
        image("win rate, training labelers", ReportCharts.WIN_RATE);
        image("win rate, held-out labelers", ReportCharts.WIN_RATE_HELD_OUT);
        s.append("\n\n| policy | training labelers (95% interval) | held-out labelers (95% interval) | Likert 1-7 |\n|---|---|---|---|\n");
        for (var e : r.policies().entrySet())
            s.append(f("| %s | %s | %s | %.2f |%n", e.getKey(), pct(e.getValue().vsSftTraining()), pct(e.getValue().vsSftHeldOut()), e.getValue().likert()));
        s.append(f("| *answer key (the ceiling)* | %s | %s | - |%n", pct(r.answerKey().vsSftTraining()), pct(r.answerKey().vsSftHeldOut())));
        s.append("""

                The policies: **GPT** is the pretrained model given the instruction as it is; **GPT-prompted** is the same model with \
                two solved examples before the instruction, written as an answer key, the form in which its pretraining text shows \
                solved exercises (the paper's few-shot "GPT (prompted)"); **SFT** is the fine-tuned model \
                (a fresh sample, so it is the baseline against itself); **PPO** and **PPO-ptx** are the SFT model after RL against the \
                {reward}, without and with the pretraining mix.

                The columns: *training labelers* are the labelers whose rankings trained the reward model; *held-out labelers* made no \
                training data, as in the paper's generalisation test. A win rate is the share of prompts on which a labeler prefers the \
                policy's answer to the SFT model's: each comparison counts as the chance that the labeler, reading both answers once with \
                the labelers' noise, prefers the policy's (identical answers: one half). The 95% interval covers the sampling of prompts \
                and answers; 50% means as good as SFT. *Likert* is the training labelers' score of each answer on its own, on the \
                paper's 1 (worst) to 7 (best) scale.

                """.replace("{reward}", c.ppoReward() == DemoConfig.PpoReward.LABELERS ? "training labelers' own scores (not the reward model)" : "reward model"));
        s.append(answerKey(r.answerKey().vsSftTraining().rate(), r.policies().get("SFT").rates().correct(), r.world().trainingAgreement()))
                .append("\n\n");
        image("Likert", ReportCharts.LIKERT);
        s.append("\n\n");
    }

    /**
     * What the answer key is, and why it wins less than 100%, in this run's figures (its win rate, the share of SFT's
     * answers that are right, the training labelers' agreement): no claim of how far below 100% it stays, which a
     * run whose SFT model is seldom right contradicts.
     */
    static String answerKey(double winRate, double sftCorrect, double agreement) {
        return f("The *answer key* is not a policy: it is the world's ideal answer to every prompt, judged against the same SFT "
                + "answers. Every labeler scores an ideal answer highest, so no policy can expect to win more often. It wins "
                + "%.1f%% here (training labelers), not 100%%, because the labelers read with noise (two training labelers agree on %.1f%% of "
                + "comparisons; the paper: 72.6%%) and because an SFT answer that is right too leaves the ideal one little to win "
                + "on (%.1f%% of SFT's answers are right).", 100 * winRate, 100 * agreement, 100 * sftCorrect);
    }

    private void metadata() {
        s.append("## What the answers get right and wrong (the paper's metadata, sections 4.1 and 4.2)\n\n");
        s.append("| policy | correct | follows constraint | hallucinates (closed-domain) | ends properly | concise | rude (asked) | rude (\"be polite\") |\n|---|---|---|---|---|---|---|---|\n");
        for (var e : r.policies().entrySet()) {
            CriterionRates q = e.getValue().rates();
            DemoReport.Rudeness rd = r.rudeness().get(e.getKey());
            s.append(f("| %s | %.1f%% | %.1f%% | %.1f%% | %.1f%% | %.1f%% | %.1f%% | %.1f%% |%n", e.getKey(), 100 * q.correct(), 100 * q.followsConstraint(),
                    100 * q.hallucinates(), 100 * q.endsProperly(), 100 * q.concise(), 100 * rd.asked(), 100 * rd.polite()));
        }
        s.append("""

                Each column is the share of the held-out answers, judged by the task's checker: *correct*: the answer solves the task \
                (and is not rude); *follows constraint*: it meets the explicit constraints of the instruction, such as "exactly N \
                items" or "at most N words" (counted as met when the instruction states none); *hallucinates*: on closed-domain tasks only (answer from a given passage), it states something the \
                passage does not say; *ends properly*: it is one finished statement ending in "." or "!", not running on into a new \
                line, a new prompt or a question; *concise*: it stops when the \
                answer is done (no run-on remarks past it); *rude (asked)*: of the rude requests, the share answered rudely; *rude \
                ("be polite")*: the same requests with an instruction to be polite in front (the paper's "respectful" prompt).

                """);
        image("hallucination", ReportCharts.HALLUCINATION);
        image("rude answers", ReportCharts.RUDE_ASKED);
        image("rude answers when asked to be polite", ReportCharts.RUDE_POLITE);
        s.append("\n\n");
    }

    private void rewardModel() {
        s.append("## Reward model\n\n");
        s.append(f("Pairwise accuracy on held-out comparisons: %.1f%% (on training comparisons %.1f%%): how often the reward model "
                + "scores the answer the labeler ranked higher above the other. For comparison, two training labelers agree with each other "
                + "%.1f%% of the time (the paper: 72.6%%); a model of the preference they share, without their noise, could agree with "
                + "one of them more often than that.%n%n",
                100 * r.rmValidationAccuracy(), 100 * r.rmTrainAccuracy(), 100 * r.world().trainingAgreement()));
    }

    private void alignmentTax() {
        s.append("## The alignment tax: the pretraining distribution\n\n| model | loss (nats/token) | next-token accuracy |\n|---|---|---|\n");
        for (Map.Entry<String, LmScore> e : r.publicNlp().entrySet())
            s.append(f("| %s | %.3f | %.1f%% |%n", e.getKey(), e.getValue().loss(), 100 * e.getValue().accuracy()));
        s.append(f("%nThe loss of each model on %d held-out items of the pretraining text (the stand-in for the paper's public NLP "
                + "datasets): how much of what pretraining taught a model keeps after fine-tuning. Lower is better.%n%n", c.publicNlpItems()));
        image("alignment tax", ReportCharts.ALIGNMENT_TAX);
        s.append("\n\n");
    }

    /** What the KL chart shows, and why it can dip below zero. */
    static final String KL_ESTIMATE = "The PPO KL chart shows the KL from the SFT model estimated from the samples: each iteration's "
            + "mean, over the responses the policy sampled, of log p(policy) - log p(SFT) summed over the response's tokens (nats "
            + "per response). The KL divergence itself is never negative, but this estimate from a few dozen or hundred samples "
            + "can dip below zero, mostly while the policy is still close to the SFT model.";

    private void curves() {
        s.append("## Training curves\n\n");
        for (String chart : List.of(ReportCharts.PRETRAIN, ReportCharts.SFT, ReportCharts.RM, ReportCharts.RM_ACCURACY, ReportCharts.PPO_REWARD,
                ReportCharts.PPO_KL, ReportCharts.PPO_PTX))
            image(chart.replace(".png", "").replace('-', ' '), chart);
        s.append("\n\n").append(KL_ESTIMATE);
        s.append("\n\nThe metrics behind them are in pretrain-metrics.jsonl, sft-metrics.jsonl, rm-metrics.jsonl, ppo-metrics.jsonl and "
                + "ppo-ptx-metrics.jsonl beside this report (a stage reused by --resume keeps the earlier run's file).\n\n");
    }

    private void interpretation() {
        WinRate ptx = r.policies().get("PPO-ptx").vsSftTraining(), ppo = r.policies().get("PPO").vsSftTraining();
        WinRate gpt = r.policies().get("GPT").vsSftTraining(), prompted = r.policies().get("GPT-prompted").vsSftTraining();
        WinRate ptxHeld = r.policies().get("PPO-ptx").vsSftHeldOut();
        s.append("## What it shows, next to the paper\n\n");
        s.append("- ").append(rlhfVersusSft(ptx, ppo, r.answerKey().vsSftTraining())).append('\n');
        s.append("- ").append(pretrainedVersusSft(gpt, prompted)).append('\n');
        s.append("- ").append(heldOutLabelers(ptxHeld, ptx)).append('\n');
        s.append(f("- **Hallucination** on closed-domain tasks: GPT %.1f%%, SFT %.1f%%, PPO-ptx %.1f%% (the paper: GPT-3 41%%, "
                + "InstructGPT 21%%).%n", 100 * rate(r, "GPT"), 100 * rate(r, "SFT"), 100 * rate(r, "PPO-ptx")));
        LmScore taxGpt = r.publicNlp().get("GPT"), taxPpo = r.publicNlp().get("PPO"), taxPtx = r.publicNlp().get("PPO-ptx");
        s.append(f("- **The alignment tax**: on the pretraining distribution the loss is %.3f for GPT, %.3f for PPO and %.3f for PPO-ptx. "
                + "In the paper PPO regresses on public NLP datasets and the pretraining mix (PPO-ptx) greatly reduces that regression, "
                + "%s.%n", taxGpt.loss(), taxPpo.loss(), taxPtx.loss(), alignmentTax(taxPpo.loss() - taxGpt.loss(), taxPtx.loss() - taxGpt.loss())));
        s.append(f("%nThe world is a miniature, so the sizes of these effects are not the paper's; %s records the default run and "
                + "other seeds, and what holds across them.%n%n", reproductionLink()));
    }

    /** Where a win rate against SFT stands by its 95% interval: above 50%, below it, or not distinguishable from it. */
    enum Standing {
        ABOVE, LEVEL, BELOW;

        static Standing of(WinRate w) { return w.lower95() > 0.5 ? ABOVE : w.upper95() < 0.5 ? BELOW : LEVEL; }
    }

    /** The paper's main finding, PPO and PPO-ptx preferred to SFT, as far as this run's intervals show it. */
    static String rlhfVersusSft(WinRate ptx, WinRate ppo, WinRate answerKey) {
        Standing a = Standing.of(ptx), b = Standing.of(ppo);
        String head = a == Standing.ABOVE && b == Standing.ABOVE ? "**RLHF beats SFT** in this run too"
                : a == Standing.ABOVE || b == Standing.ABOVE ? "**RLHF beats SFT** only partly in this run"
                : a == Standing.BELOW && b == Standing.BELOW ? "**RLHF loses to SFT** in this run"
                : "**RLHF does not beat SFT** in this run";
        return f("%s: %s, where the world's ideal answers would win %s. The paper (Figure 1) finds PPO and PPO-ptx preferred to "
                + "SFT at every model size.", head, versusSft("PPO-ptx", ptx, "PPO", ppo), pct(answerKey));
    }

    /** GPT and GPT-prompted against SFT, next to the paper's InstructGPT against GPT-3. */
    static String pretrainedVersusSft(WinRate gpt, WinRate prompted) {
        Standing a = Standing.of(gpt), b = Standing.of(prompted);
        String head = a == Standing.BELOW && b == Standing.BELOW ? "**The pretrained model falls behind**"
                : a == Standing.BELOW || b == Standing.BELOW ? "**The pretrained model falls behind** only partly in this run"
                : "**The pretrained model does not fall behind** SFT in this run";
        String which = a == Standing.BELOW && b == Standing.BELOW ? f("GPT wins %s, GPT-prompted %s", pct(gpt), pct(prompted))
                : versusSft("GPT", gpt, "GPT-prompted", prompted);
        return f("%s: %s. In the paper 175B InstructGPT is preferred to GPT-3 85 +- 3%% of the time and to few-shot GPT-3 "
                + "71 +- 4%%.", head, which);
    }

    /** Two policies' win rates against SFT, each with what its interval says (together where they say the same). */
    static String versusSft(String first, WinRate w1, String second, WinRate w2) {
        Standing a = Standing.of(w1), b = Standing.of(w2);
        if (a != b) return versusSft(first, w1) + ", while " + versusSft(second, w2);
        return switch (a) {
            case ABOVE -> f("%s wins %s and %s %s against SFT", first, pct(w1), second, pct(w2));
            case LEVEL -> f("%s's %s and %s's %s against SFT are not distinguishable from 50%%, as good as SFT (both intervals "
                    + "contain 50%%)", first, pct(w1), second, pct(w2));
            case BELOW -> f("%s wins %s and %s %s against SFT, both below 50%% (their intervals too): SFT is preferred", first,
                    pct(w1), second, pct(w2));
        };
    }

    /** One policy's win rate against SFT with what its interval says. */
    static String versusSft(String policy, WinRate w) {
        return switch (Standing.of(w)) {
            case ABOVE -> f("%s wins %s against SFT", policy, pct(w));
            case LEVEL -> f("%s's %s against SFT is not distinguishable from 50%%, as good as SFT (the interval contains 50%%)",
                    policy, pct(w));
            case BELOW -> f("%s loses to SFT, %s (the interval lies below 50%%)", policy, pct(w));
        };
    }

    /**
     * Held-out against training labelers on PPO-ptx: "about the same rate" where each rate lies in the other's 95%
     * interval.
     */
    static String heldOutLabelers(WinRate heldOut, WinRate training) {
        boolean same = within(heldOut.rate(), training) && within(training.rate(), heldOut);
        return f("**Held-out labelers** give PPO-ptx a win rate of %s against SFT, the training labelers %s; the paper finds "
                + "held-out labelers prefer InstructGPT at about the same rate as the training labelers, %s.", pct(heldOut), pct(training),
                same ? "as here" : f("while here the held-out labelers' rate is %.1f points %s", 100 * Math.abs(heldOut.rate() - training.rate()),
                        heldOut.rate() < training.rate() ? "lower" : "higher"));
    }

    /** Whether PPO-ptx keeps less of PPO's regression on the pretraining distribution (losses above GPT's). */
    static String alignmentTax(double ppoTax, double ptxTax) {
        if (ppoTax <= 0) return "which this run cannot show: here PPO does not regress";
        if (ptxTax <= 0) return "as here, where PPO-ptx does not regress at all";
        if (ptxTax < ppoTax / 2) return "as here, where PPO-ptx keeps less than half of PPO's regression";
        if (ptxTax < ppoTax) return f("while here PPO-ptx keeps %.0f%% of PPO's regression", 100 * ptxTax / ppoTax);
        return "which this run does not show";
    }

    private static boolean within(double rate, WinRate w) { return rate >= w.lower95() && rate <= w.upper95(); }

    private void examples() {
        s.append("## Example answers\n\n");
        s.append(f("The first %d held-out tasks of each family (in the held-out order, none chosen by how a model did), ",
                Evaluation.EXAMPLES_PER_FAMILY));
        s.append("each policy's sampled answer (temperature 1, as judged above), PPO-ptx's greedy answer "
                + "(its most likely one, what `generate --greedy` gives; not judged above), and the task's checker's verdict "
                + "(*right*: it solves the task). The checker reads the whole answer, so remarks after a right one can make it wrong: "
                + "a list with more words after it is another list. Last, the same task asked in words no training data uses "
                + "(the table's rows *in other words*) and PPO-ptx's sampled answer to it.\n\n");
        for (int i = 0; i < r.exampleTasks().size(); i++) {
            Task task = r.exampleTasks().get(i);
            s.append(f("**%s**%n%n", task.instruction().replace("\n", " ")));
            for (var e : r.exampleResponses().entrySet()) {
                String answer = e.getValue().get(i);
                s.append(f("- %s: %s *(%s)*%n", e.getKey(), shown(answer), Judge.judge(task, answer).correct() ? "right" : "wrong"));
            }
            Task reworded = r.examplesInOtherWords().tasks().get(i);
            String answer = r.examplesInOtherWords().ppoPtxAnswers().get(i);
            s.append(f("- PPO-ptx, asked \"%s\": %s *(%s)*%n", reworded.instruction().replace("\n", " "), shown(answer),
                    Judge.judge(reworded, answer).correct() ? "right" : "wrong"));
            s.append('\n');
        }
    }

    /** An example answer as the report shows it: {@link #printable}, or *(empty)* where the model said nothing. */
    static String shown(String answer) {
        String a = answer.strip();
        return a.isEmpty() ? "*(empty)*" : printable(a);
    }

    /**
     * A model's answer on one line of markdown: a newline shown as {@code \n}, any other control character (a barely
     * trained model samples byte tokens too) as its {@code \xNN} escape.
     */
    static String printable(String answer) {
        StringBuilder out = new StringBuilder();
        for (char ch : answer.toCharArray()) {
            if (ch == '\n') out.append(" \\n ");
            else if (ch < 0x20 || ch == 0x7f) out.append(f("\\x%02x", (int) ch));
            else out.append(ch);
        }
        return out.toString();
    }

    private void image(String alt, String file) {
        if (Files.exists(out.resolve(file))) s.append(f("![%s](%s) ", alt, file));
    }

    /** A link to docs/REPRODUCTION.md relative to the report when run from the repository, else its name. */
    private String reproductionLink() {
        Path doc = Path.of(REPRODUCTION).toAbsolutePath();
        if (!Files.exists(doc)) return REPRODUCTION + " (in the instruct4j repository)";
        Path rel = out.toAbsolutePath().normalize().relativize(doc.normalize());
        return f("[%s](%s)", REPRODUCTION, rel.toString().replace('\\', '/'));
    }

    private static String plural(int n, String noun) { return n + " " + noun + (n == 1 ? "" : "s"); }

    private static double rate(DemoReport r, String policy) { return r.policies().get(policy).rates().hallucinates(); }

    private static int count(Map<String, Integer> counts, String key) { return counts.getOrDefault(key, 0); }

    /** A hyperparameter as written: 2e-4, 0.3, 27.8 (a float's shortest decimal, Java's "2.0E-4" made plain). */
    private static String num(double v) {
        return Float.toString((float) v).replace(".0E", "E").replace('E', 'e').replaceAll("\\.0$", "");
    }

    /** Parameters of a GPT-2 of this shape (the unembedding is tied to the embedding). */
    static long parameters(GptConfig m, int vocab) {
        long d = m.dim();
        return m.layers() * (12 * d * d + 13 * d) + (long) vocab * d + (long) m.contextLength() * d + 2 * d;
    }
}
