package org.instruct4j.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.instruct4j.engine.autograd.GradMode;
import org.instruct4j.engine.generate.Generator;
import org.instruct4j.engine.generate.ResponseBatch;
import org.instruct4j.engine.generate.SamplingConfig;
import org.instruct4j.engine.nn.Gpt;
import org.instruct4j.engine.nn.GptConfig;
import org.instruct4j.engine.ops.HostOp;
import org.instruct4j.engine.optim.AdamW;
import org.instruct4j.engine.optim.GradClip;
import org.junit.jupiter.api.Test;

/**
 * DPO (Rafailov et al. 2023) on a tiny GPT with the engine's public API alone: loss = -log sigmoid(beta *
 * ((log pi(y_w|x) - log ref(y_w|x)) - (log pi(y_l|x) - log ref(y_l|x)))), the reference a frozen copy of the policy.
 * The preference: the answer repeats the prompt's first token (a fresh GPT with tied embeddings repeats its last).
 */
class DpoExampleTest {
    // Hyperparameters
    static final float BETA = 0.1f;            // the paper's usual: how far from the reference the policy may go
    static final float LR = 1e-2f;
    static final float WEIGHT_DECAY = 0f;      // DPO's anchor is the reference, through beta; decay would pull to 0
    static final float MAX_GRAD_NORM = 1f;
    static final int STEPS = 100;
    static final int PROMPTS = 32;             // training prompts (of 3 tokens); as many held out
    static final long SEED = 7;
    // The toy language: content tokens 0..7, then end-of-text and padding
    static final int CONTENT = 8, EOT = CONTENT, PAD = CONTENT + 1;
    static final GptConfig MODEL = new GptConfig(CONTENT + 2, 8, 2, 2, 32, 0f, 1e-5f);

    /** Preference pairs: row i of chosen and of rejected answers the same prompt. */
    record Pairs(List<int[]> prompts, ResponseBatch chosen, ResponseBatch rejected) {}

    /**
     * n prompts (none of unlike's), each against every other answer the generator may give, end-of-text (the empty
     * answer) included: against one rejected token DPO mostly learns to avoid that one, and the probability it frees
     * goes to whatever no pair ranks. One-token answers: with a second, shared one (end-of-text) DPO found much of its
     * margin in that token's probability, and greedy decoding's first token stayed mostly wrong.
     */
    static Pairs pairs(Rng rng, int n, List<int[]> unlike) {
        List<int[]> prompts = new ArrayList<>(), pairPrompts = new ArrayList<>(), chosen = new ArrayList<>(), rejected = new ArrayList<>();
        while (prompts.size() < n) {
            int[] p = {prompts.size() % CONTENT, rng.nextInt(CONTENT), rng.nextInt(CONTENT)};   // each first token as often
            if (unlike.stream().anyMatch(q -> Arrays.equals(q, p))) continue;
            prompts.add(p);
            for (int other = 0; other <= EOT; other++) {
                if (other == p[0]) continue;
                pairPrompts.add(p);
                chosen.add(new int[] {p[0]});
                rejected.add(new int[] {other});
            }
        }
        // Made with no Scope open: the batches outlive every training step's scope.
        return new Pairs(prompts, ResponseBatch.of(pairPrompts, chosen, PAD, Device.CPU), ResponseBatch.of(pairPrompts, rejected, PAD, Device.CPU));
    }

    /** log sigmoid(z) = min(z, 0) - log(1 + e^-|z|), which overflows for no z; its derivative is sigmoid(-z). */
    static Tensor logSigmoid(Tensor z) {
        return HostOp.elementwise("logSigmoid", x -> Math.min(x, 0) - Math.log1p(Math.exp(-Math.abs(x))), x -> 1 / (1 + Math.exp(x)), z);
    }

    /** beta * (log pi/ref of y_w - log pi/ref of y_l) per pair, (B): DPO's implicit reward margin, graph through pi. */
    static Tensor rewardMargin(Gpt policy, Gpt reference, Pairs d) {
        Tensor refChosen, refRejected;
        try (GradMode g = GradMode.off()) {                    // the reference is a constant: no graph behind it
            refChosen = d.chosen().sequenceLogProbs(reference, 1f);
            refRejected = d.rejected().sequenceLogProbs(reference, 1f);
        }
        Tensor chosen = d.chosen().sequenceLogProbs(policy, 1f).minus(refChosen);
        Tensor rejected = d.rejected().sequenceLogProbs(policy, 1f).minus(refRejected);
        return chosen.minus(rejected).scale(BETA);
    }

    static Tensor dpoLoss(Gpt policy, Gpt reference, Pairs d) {
        return logSigmoid(rewardMargin(policy, reference, d)).mean().scale(-1f);
    }

    static double meanMargin(Gpt policy, Gpt reference, Pairs d) {
        try (GradMode off = GradMode.off(); Scope s = Scope.open()) {
            return rewardMargin(policy, reference, d).mean().item();
        }
    }

    /** The share of prompts whose greedy answer is the prompt's first token (pad is no answer: readableBy keeps it out). */
    static double greedyPicksChosen(Gpt model, List<int[]> prompts) {
        var out = new Generator(model, PAD, EOT).readableBy(PAD).generate(prompts, SamplingConfig.greedy(1), new Rng(0));
        int hits = 0;
        for (int i = 0; i < prompts.size(); i++) if (out.get(i).tokens()[0] == prompts.get(i)[0]) hits++;
        return (double) hits / prompts.size();
    }

    @Test
    void dpoTeachesThePreferenceAndLeavesTheReferenceAlone() {
        Pairs train = pairs(new Rng(SEED + 1), PROMPTS, List.of()), heldOut = pairs(new Rng(SEED + 2), PROMPTS, train.prompts());
        Gpt policy = new Gpt(MODEL, new Rng(SEED), Device.CPU);
        Gpt reference = policy.copy();
        reference.freeze();
        Map<String, float[]> referenceBefore = new LinkedHashMap<>();
        reference.parameters().forEach((name, p) -> referenceBefore.put(name, p.toFloatArray()));
        double greedyBefore = greedyPicksChosen(policy, heldOut.prompts());   // about chance, 1/8

        AdamW opt = AdamW.of(policy.parameters(), WEIGHT_DECAY);
        float firstLoss = Float.NaN, lastLoss = Float.NaN;
        for (int step = 0; step < STEPS; step++) {
            try (Scope s = Scope.open()) {                        // frees the step's activations and temporaries
                Tensor loss = dpoLoss(policy, reference, train);
                loss.backward();
                opt.step(LR, GradClip.clipScale(GradClip.globalNorm(policy.parameters().values()), MAX_GRAD_NORM));
                opt.zeroGrad();
                lastLoss = loss.item();
                if (step == 0) firstLoss = lastLoss;
            }
        }
        double margin = meanMargin(policy, reference, heldOut), greedyAfter = greedyPicksChosen(policy, heldOut.prompts());
        System.out.printf("DPO: loss %.4f -> %.4f; held-out reward margin %.3f; greedy picks the chosen answer %.2f -> %.2f%n",
                firstLoss, lastLoss, margin, greedyBefore, greedyAfter);

        assertThat((double) firstLoss).isCloseTo(Math.log(2), within(1e-4));   // policy == reference: margin 0
        // Held-out prompts, seeds 1 to 7: margins 3.3 to 4.4, greedy 0.72 to 1.00.
        assertThat(margin).isGreaterThan(2);
        assertThat(greedyAfter).isGreaterThan(0.6);
        // copy() shares no storage with the policy, so the policy's updates left the reference as it was.
        reference.parameters().forEach((name, p) -> {
            assertThat(p.toFloatArray()).as(name).containsExactly(referenceBefore.get(name));
            assertThat(p.grad()).as(name).isNull();                 // frozen, and run with no graph
        });
    }
}
