package org.instruct4j.rlhf.ppo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.instruct4j.engine.Rng;
import org.instruct4j.engine.Scope;
import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.nn.Gpt;
import org.instruct4j.engine.generate.SamplingConfig;
import org.instruct4j.rlhf.rm.RewardModel;
import org.instruct4j.rlhf.train.Sequences;
import org.instruct4j.rlhf.train.TinyWorld;
import org.junit.jupiter.api.Test;

class PpoTrainerTest {
    static PpoConfig small() {
        return PpoConfig.paper().withBatch(16, 8, 1).withLr(1e-3f, 1e-3f).withSampling(SamplingConfig.sample(6)).withEma(0f).withWarmup(0);
    }

    static List<int[]> prompts(int n, long seed) {
        Rng rng = new Rng(seed);
        List<int[]> out = new ArrayList<>();
        for (int i = 0; i < n; i++) out.add(TinyWorld.prompt(rng));
        return out;
    }

    static Gpt copy(Gpt m) {
        Gpt c = TinyWorld.model(99);
        c.copyFrom(m);
        return c;
    }

    @Test
    void klPenaltyIsZeroWhenPolicyAndReferenceAreTheSameModel() {
        Gpt policy = TinyWorld.model(3);
        RewardModel rm = RewardModel.fromLm(policy, TinyWorld.PAD, new Rng(4));
        PpoTrainer t = new PpoTrainer(policy, copy(policy), rm, rm.copy(), TinyWorld.PAD, TinyWorld.EOT,
                small().withSampling(SamplingConfig.sample(6).withTemperature(0.7f))).quiet();
        PpoTrainer.Rollout r = t.rollout(prompts(8, 1));
        for (Episode e : r.episodes()) {
            for (int i = 0; i < e.kl().length; i++) {
                assertThat(e.kl()[i]).isEqualTo(0f);
                assertThat(e.rewards()[i]).isCloseTo(i == e.kl().length - 1 ? e.score() : 0f, within(1e-6f));
            }
        }
        // The rollout-time log-probs (logits at the response positions only, of a left-padded batch) are those of
        // softmax(logits / temperature) of each episode alone, every position's logits computed.
        for (Episode e : r.episodes()) {
            double[] want = logProbsAlone(policy, e, 0.7);
            for (int i = 0; i < want.length; i++)
                assertThat((double) e.logProbs()[i]).as("episode token %d", i).isCloseTo(want[i], within(1e-4));
        }
    }

    @Test
    void eachTokensRewardIsMinusBetaTimesPolicyLessReferenceLogProbPlusTheScoreAtTheEnd() {
        Gpt policy = TinyWorld.model(3), reference = TinyWorld.model(5);   // two different models: the KL is not zero
        RewardModel rm = RewardModel.fromLm(policy, TinyWorld.PAD, new Rng(4));
        float beta = 0.1f;
        PpoTrainer t = new PpoTrainer(policy, reference, rm, rm.copy(), TinyWorld.PAD, TinyWorld.EOT,
                small().withKlCoef(beta)).quiet();
        PpoTrainer.Rollout r = t.rollout(prompts(8, 1));
        double largestKl = 0;
        for (Episode e : r.episodes()) {
            double[] policyWant = logProbsAlone(policy, e, 1), referenceWant = logProbsAlone(reference, e, 1);
            for (int i = 0; i < e.kl().length; i++) {
                assertThat((double) e.logProbs()[i]).as("policy log-prob, token %d", i).isCloseTo(policyWant[i], within(1e-4));
                assertThat((double) e.refLogProbs()[i]).as("reference log-prob, token %d", i).isCloseTo(referenceWant[i], within(1e-4));
                assertThat(e.kl()[i]).isEqualTo(e.logProbs()[i] - e.refLogProbs()[i]);
                float score = i == e.kl().length - 1 ? e.score() : 0f;
                assertThat(e.rewards()[i]).as("reward, token %d", i).isCloseTo(-beta * e.kl()[i] + score, within(1e-6f));
                largestKl = Math.max(largestKl, Math.abs(e.kl()[i]));
            }
        }
        assertThat(largestKl).as("the two models differ, so some token's KL estimate does").isGreaterThan(0.05);
    }

    /** PPO's log-probabilities are the whole distribution's, so a sampler that cuts it is refused before any rollout. */
    @Test
    void samplingThatCutsTheDistributionIsRefused() {
        Gpt policy = TinyWorld.model(3);
        RewardModel rm = RewardModel.fromLm(policy, TinyWorld.PAD, new Rng(4));
        for (SamplingConfig cut : List.of(SamplingConfig.sample(6).withTopK(5), SamplingConfig.sample(6).withTopP(0.9f), SamplingConfig.greedy(6)))
            assertThatThrownBy(() -> new PpoTrainer(policy, TinyWorld.model(5), rm, rm.copy(), TinyWorld.PAD, TinyWorld.EOT, small().withSampling(cut)))
                    .hasMessageContaining("whole distribution");
        new PpoTrainer(policy, TinyWorld.model(5), rm, rm.copy(), TinyWorld.PAD, TinyWorld.EOT,
                small().withSampling(SamplingConfig.sample(6).withTemperature(0.7f)));   // a temperature alone is fine
    }

    /**
     * The log-probabilities of an episode's response tokens under softmax(logits / temperature) of model, computed in
     * float64 from one forward pass of the episode alone (every position's logits).
     */
    private static double[] logProbsAlone(Gpt model, Episode e, double temperature) {
        int[] seq = Sequences.concat(e.prompt(), e.response());
        float[] logits;
        try (Scope s = Scope.open(); var g = org.instruct4j.engine.autograd.GradMode.off()) {
            logits = model.forward(Tensor.ofInts(seq, 1, seq.length), null).toFloatArray();
        }
        int vocab = TinyWorld.VOCAB;
        double[] out = new double[e.response().length];
        for (int i = 0; i < out.length; i++) {
            int at = (e.prompt().length - 1 + i) * vocab;
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int v = 0; v < vocab; v++) max = Math.max(max, logits[at + v] / temperature);
            for (int v = 0; v < vocab; v++) sum += Math.exp(logits[at + v] / temperature - max);
            out[i] = logits[at + e.response()[i]] / temperature - max - Math.log(sum);
        }
        return out;
    }

    @Test
    void responsesCutOffAtMaxTokensAreScoredWithEndOfTextAppendedAndPenalised() {
        Gpt policy = TinyWorld.model(3);
        RewardModel rm = RewardModel.fromLm(policy, TinyWorld.PAD, new Rng(4));
        // Two new tokens at most: most samples of the untrained model are cut off.
        PpoTrainer t = new PpoTrainer(policy, copy(policy), rm, rm.copy(), TinyWorld.PAD, TinyWorld.EOT,
                small().withSampling(SamplingConfig.sample(2)).withNoEotPenalty(0.5f)).quiet();
        PpoTrainer.Rollout r = t.rollout(prompts(16, 7));
        int cut = 0;
        for (Episode e : r.episodes()) {
            int[] seen = e.endedWithEot() ? e.response() : java.util.Arrays.copyOf(e.response(), e.response().length + 1);
            if (!e.endedWithEot()) {
                seen[e.response().length] = TinyWorld.EOT;
                cut++;
            }
            float expected;
            try (Scope s = Scope.open()) {
                expected = rm.scores(List.of(Sequences.concat(e.prompt(), seen))).toFloatArray()[0];
            }
            assertThat(e.rawScore()).isCloseTo(expected, within(1e-4f));
            assertThat(e.score()).isCloseTo(expected - (e.endedWithEot() ? 0f : 0.5f), within(1e-4f));
        }
        assertThat(cut).isPositive();
    }

    @Test
    void ptxGradientIsTheSumOfThePpoAndPretrainingGradients() {
        ptxGradientIsTheSum(List.of(new int[] {1, 2, 3, 4, 5}, new int[] {5, 4, 3}));
    }

    /** small()'s minibatch is 8 episodes: 19 pretraining sequences go through in pieces of 8, 8 and 3. */
    @Test
    void aPtxBatchLargerThanAMinibatchGivesTheGradientOfTheWholeBatch() {
        Rng rng = new Rng(11);
        List<int[]> ptx = new ArrayList<>();
        for (int i = 0; i < 19; i++) {
            int[] q = new int[2 + rng.nextInt(9)];   // unequal lengths: the pieces weigh by tokens, not by sequences
            for (int j = 0; j < q.length; j++) q[j] = 1 + rng.nextInt(5);
            ptx.add(q);
        }
        ptxGradientIsTheSum(ptx);
    }

    /**
     * PPO-ptx's gradient for a minibatch is the PPO loss's plus gamma times that of the whole pretraining batch's
     * loss (one LM loss over all its tokens), and the step reports that loss.
     */
    private static void ptxGradientIsTheSum(List<int[]> ptx) {
        Gpt policy = TinyWorld.model(6);
        RewardModel rm = RewardModel.fromLm(policy, TinyWorld.PAD, new Rng(7));
        float gamma = 2.5f;
        PpoTrainer t = new PpoTrainer(policy, copy(policy), rm, rm.copy(), TinyWorld.PAD, TinyWorld.EOT, small().withPtx(gamma)).quiet();
        PpoTrainer.Rollout r = t.rollout(prompts(8, 3));
        int[] rows = {0, 1, 2, 3, 4, 5, 6, 7};
        int[] lossFrom = new int[ptx.size()];
        Arrays.fill(lossFrom, 1);

        t.accumulatePolicyGradients(r, rows, List.of(), 0f);
        Map<String, float[]> ppo = grads(policy);
        policy.zeroGrad();
        double wholeLoss;
        try (Scope s = Scope.open()) {
            Tensor whole = Sequences.lmLoss(policy, ptx, lossFrom, TinyWorld.PAD, false, null);
            whole.scale(gamma).backward();
            wholeLoss = whole.item();
        }
        Map<String, float[]> lm = grads(policy);
        policy.zeroGrad();
        PpoTrainer.PolicyStep step = t.accumulatePolicyGradients(r, rows, ptx, gamma);
        Map<String, float[]> both = grads(policy);
        policy.zeroGrad();

        assertThat(step.ptxLoss()).isCloseTo(wholeLoss, within(1e-5 * wholeLoss));
        double maxDiff = 0, maxAbs = 0;
        for (String name : both.keySet()) {
            float[] a = ppo.get(name), b = lm.get(name), c = both.get(name);
            for (int i = 0; i < c.length; i++) {
                maxDiff = Math.max(maxDiff, Math.abs(c[i] - ((a == null ? 0 : a[i]) + (b == null ? 0 : b[i]))));
                maxAbs = Math.max(maxAbs, Math.abs(c[i]));
            }
        }
        assertThat(maxAbs).isGreaterThan(1e-4);
        assertThat(maxDiff).isLessThan(1e-5 * Math.max(1, maxAbs));
    }

    @Test
    void entropyPenaltySharpensThePolicy() {
        List<int[]> train = prompts(16, 11), held = prompts(32, 12);
        double[] entropy = new double[2];
        float[] penalty = {0f, 5f};
        for (int k = 0; k < 2; k++) {
            Gpt policy = TinyWorld.model(13);
            RewardModel rm = RewardModel.fromLm(policy, TinyWorld.PAD, new Rng(14));
            PpoTrainer t = new PpoTrainer(policy, copy(policy), rm, rm.copy(), TinyWorld.PAD, TinyWorld.EOT,
                    small().withLr(1e-2f, 1e-3f).withEntropyPenalty(penalty[k])).quiet();
            t.train(train, List.of(), 4, null);
            entropy[k] = PpoTrainer.RolloutStats.of(t.rollout(held)).entropy();
        }
        // Same start, same seeds: only the penalty differs, and the sampled tokens' -log p falls with it.
        assertThat(entropy[1]).as("entropy with the penalty, against %.3f without", entropy[0]).isLessThan(0.8 * entropy[0]);
    }

    @Test
    void ppoLearnsFromAProgramThatScoresTheAnswer() {
        // Not a reward model: the labelers' own score (GOOD tokens +1, BAD -1), as a program would check an answer.
        ResponseScorer labelers = (prompts, responses) -> {
            float[] scores = new float[responses.size()];
            for (int i = 0; i < scores.length; i++) {
                int[] r = responses.get(i);
                assertThat(r[r.length - 1]).as("every scored response ends with end-of-text").isEqualTo(TinyWorld.EOT);
                scores[i] = TinyWorld.quality(r);
            }
            return scores;
        };
        Gpt policy = TinyWorld.model(21);
        RewardModel value = RewardModel.fromLm(policy, TinyWorld.PAD, new Rng(22));
        PpoTrainer t = new PpoTrainer(policy, copy(policy), labelers, value, TinyWorld.PAD, TinyWorld.EOT,
                small().withLr(1e-2f, 1e-3f)).quiet();
        List<int[]> held = prompts(64, 24);
        PpoTrainer.Rollout start = t.rollout(held);
        for (Episode e : start.episodes()) assertThat(e.rawScore()).isEqualTo((float) TinyWorld.quality(e.response()));
        double before = PpoTrainer.RolloutStats.of(start).reward();
        t.train(prompts(16, 23), List.of(), 8, null);
        double after = PpoTrainer.RolloutStats.of(t.rollout(held)).reward();
        // Random tokens score about 0; six GOODs would score 6.
        assertThat(after).as("mean score on held-out prompts, %.3f before PPO", before).isGreaterThan(before + 2);
    }

    @Test
    void evaluationPolicyIsTheExponentialAverageOfThePolicyWeights() {
        Gpt policy = TinyWorld.model(8);
        RewardModel rm = RewardModel.fromLm(policy, TinyWorld.PAD, new Rng(9));
        Map<String, float[]> before = weights(policy);
        float decay = 0.75f;
        // One minibatch per iteration: one policy step, so the average is decay * start + (1 - decay) * policy.
        PpoTrainer t = new PpoTrainer(policy, copy(policy), rm, rm.copy(), TinyWorld.PAD, TinyWorld.EOT,
                small().withBatch(8, 8, 1).withEma(decay)).quiet();
        t.train(prompts(8, 5), List.of(), 1, null);
        Map<String, float[]> after = weights(policy), average = weights(t.evaluationPolicy());
        assertThat(t.evaluationPolicy()).isNotSameAs(policy);
        double moved = 0;
        for (String name : before.keySet()) {
            float[] a = before.get(name), b = after.get(name), e = average.get(name);
            for (int i = 0; i < e.length; i++) {
                moved = Math.max(moved, Math.abs(b[i] - a[i]));
                assertThat(e[i]).as("%s[%d]", name, i).isCloseTo(decay * a[i] + (1 - decay) * b[i], within(1e-6f));
            }
        }
        assertThat(moved).as("the policy step moved the weights").isGreaterThan(1e-4);
    }

    static Map<String, float[]> weights(Gpt m) {
        Map<String, float[]> out = new java.util.LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : m.parameters().entrySet()) out.put(e.getKey(), e.getValue().toFloatArray());
        return out;
    }

    static Map<String, float[]> grads(Gpt m) {
        Map<String, float[]> out = new java.util.LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : m.parameters().entrySet())
            if (e.getValue().grad() != null) out.put(e.getKey(), e.getValue().grad().toFloatArray());
        return out;
    }
}
