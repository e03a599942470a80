package org.instruct4j.rlhf.ppo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.instruct4j.engine.Rng;
import org.instruct4j.engine.Tensor;
import org.junit.jupiter.api.Test;

class PpoMathTest {
    @Test
    void gaeMatchesTheDirectSumOfDiscountedTdErrors() {
        Rng rng = new Rng(3);
        int n = 7;
        float[] r = new float[n], v = new float[n];
        for (int i = 0; i < n; i++) { r[i] = (float) rng.nextGaussian(); v[i] = (float) rng.nextGaussian(); }
        float gamma = 0.9f, lambda = 0.8f;
        Gae.Result res = Gae.compute(r, v, gamma, lambda);
        for (int t = 0; t < n; t++) {
            double direct = 0;
            for (int l = 0; t + l < n; l++) {
                double next = t + l + 1 < n ? v[t + l + 1] : 0;
                double delta = r[t + l] + gamma * next - v[t + l];
                direct += Math.pow(gamma * lambda, l) * delta;
            }
            assertThat((double) res.advantages()[t]).isCloseTo(direct, within(1e-5));
            assertThat(res.returns()[t]).isCloseTo(res.advantages()[t] + v[t], within(1e-6f));
        }
        // gamma = 1, lambda = 1: the advantage is the sum of future rewards minus the value.
        Gae.Result mc = Gae.compute(new float[] {1, 2, 3}, new float[] {0.5f, 0, 0}, 1, 1);
        assertThat(mc.advantages()[0]).isCloseTo(5.5f, within(1e-6f));
    }

    @Test
    void clippedObjectiveStopsTheGradientBeyondItsBoundaries() {
        float clip = 0.2f;
        // Token 0: A > 0, ratio 1.3 > 1 + clip: clipped, no gradient. Token 1: A > 0, ratio 1.1: inside.
        // Token 2: A < 0, ratio 0.7 < 1 - clip: clipped. Token 3: A < 0, ratio 1.3: unclipped (pessimistic side).
        float[] ratio = {1.3f, 1.1f, 0.7f, 1.3f}, adv = {1, 1, -1, -1}, mask = {1, 1, 1, 1};
        float[] old = new float[4], now = new float[4];
        for (int i = 0; i < 4; i++) { old[i] = -1f; now[i] = (float) (-1 + Math.log(ratio[i])); }
        Tensor logp = Tensor.of(now, 4).requiresGrad(true);
        Tensor loss = PpoLosses.policy(logp, old, adv, mask, clip);
        double expected = (-(1 + clip) * 1 + -1.1 + (1 - clip) * 1 + 1.3) / 4;
        assertThat((double) loss.item()).isCloseTo(expected, within(1e-5));
        loss.backward();
        float[] g = logp.grad().toFloatArray();
        assertThat(g[0]).isEqualTo(0f);
        assertThat(g[1]).isCloseTo(-1.1f / 4, within(1e-5f));
        assertThat(g[2]).isEqualTo(0f);
        assertThat(g[3]).isCloseTo(1.3f / 4, within(1e-5f));
        // Exactly at the boundary the two terms are equal: the unclipped gradient still flows.
        assertThat(PpoLosses.clipCutsGradient((float) Math.log(1.2), 0f, 1f, clip)).isFalse();
    }

    @Test
    void maskedTokensDoNotCountInThePolicyLoss() {
        Tensor logp = Tensor.of(new float[] {0.1f, 5f}, 2).requiresGrad(true);
        Tensor loss = PpoLosses.policy(logp, new float[] {0, 0}, new float[] {1, 100}, new float[] {1, 0}, 0.2f);
        assertThat((double) loss.item()).isCloseTo(-Math.exp(0.1), within(1e-5));
        loss.backward();
        assertThat(logp.grad().toFloatArray()[1]).isEqualTo(0f);
    }

    @Test
    void entropyAndItsGradientMatchFloat64FiniteDifferences() {
        Rng rng = new Rng(5);
        int tokens = 3, vocab = 6;
        float[] z = new float[tokens * vocab];
        for (int i = 0; i < z.length; i++) z[i] = (float) (2 * rng.nextGaussian());
        float[] mask = {1, 0, 1};
        Tensor logits = Tensor.of(z, tokens, vocab).requiresGrad(true);
        Tensor h = PpoLosses.entropy(logits, mask);
        assertThat((double) h.item()).isCloseTo(meanEntropy(z, vocab, mask, -1, 0), within(1e-5));
        h.backward();
        float[] g = logits.grad().toFloatArray();
        double eps = 1e-4;
        for (int i = 0; i < z.length; i++) {
            double numeric = (meanEntropy(z, vocab, mask, i, eps) - meanEntropy(z, vocab, mask, i, -eps)) / (2 * eps);
            assertThat((double) g[i]).as("dH/dz[%d]", i).isCloseTo(numeric, within(1e-6));
            if (i / vocab == 1) assertThat(g[i]).as("a masked token's gradient").isEqualTo(0f);
        }
        // Equal logits: the entropy of a uniform choice, log(vocab), and nothing to gain by moving one of them.
        Tensor uniform = Tensor.of(new float[vocab], 1, vocab).requiresGrad(true);
        Tensor hu = PpoLosses.entropy(uniform, new float[] {1});
        assertThat((double) hu.item()).isCloseTo(Math.log(vocab), within(1e-6));
        hu.backward();
        for (float gi : uniform.grad().toFloatArray()) assertThat(gi).isCloseTo(0f, within(1e-7f));
    }

    /** Mean softmax entropy over the unmasked rows, in float64, with logit [moved] shifted by delta. */
    private static double meanEntropy(float[] z, int vocab, float[] mask, int moved, double delta) {
        double total = 0, count = 0;
        for (int r = 0; r < mask.length; r++) {
            if (mask[r] == 0) continue;
            double[] x = new double[vocab];
            double max = Double.NEGATIVE_INFINITY, sum = 0, h = 0;
            for (int j = 0; j < vocab; j++) {
                x[j] = z[r * vocab + j] + (r * vocab + j == moved ? delta : 0);
                max = Math.max(max, x[j]);
            }
            for (int j = 0; j < vocab; j++) sum += Math.exp(x[j] - max);
            for (int j = 0; j < vocab; j++) {
                double lp = x[j] - max - Math.log(sum);
                h -= Math.exp(lp) * lp;
            }
            total += h;
            count++;
        }
        return total / count;
    }

    @Test
    void valueLossIsClippedAroundTheOldValues() {
        Tensor v = Tensor.of(new float[] {2f, 0.1f}, 2).requiresGrad(true);
        // Token 0: old 0, return 2; clamp to 0.2: clipped error (1.8)^2 > plain 0: loss 0.5 * 3.24, no gradient.
        // Token 1: old 0, return 1; 0.1 inside the clip: loss 0.5 * 0.81, gradient -0.9.
        Tensor loss = PpoLosses.value(v, new float[] {0, 0}, new float[] {2, 1}, new float[] {1, 1}, 0.2f);
        assertThat((double) loss.item()).isCloseTo((0.5 * 3.24 + 0.5 * 0.81) / 2, within(1e-5));
        loss.backward();
        float[] g = v.grad().toFloatArray();
        assertThat(g[0]).isEqualTo(0f);
        assertThat(g[1]).isCloseTo(-0.9f / 2, within(1e-5f));
    }

    @Test
    void adaptiveKlControllerMovesBetaTowardTheTarget() {
        KlController c = KlController.adaptive(0.15, 6, 10_000);
        c.update(12, 512);   // KL above target: beta grows by the clipped error 0.2 * 512 / 10000
        assertThat(c.beta()).isCloseTo(0.15 * (1 + 0.2 * 512 / 10_000.0), within(1e-12));
        double before = c.beta();
        c.update(3, 512);
        assertThat(c.beta()).isLessThan(before);
        KlController f = KlController.fixed(0.02);
        f.update(100, 512);
        assertThat(f.beta()).isEqualTo(0.02);
    }

    @Test
    void whitenedAdvantagesHaveMeanZeroAndUnitStd() {
        List<float[]> rows = List.of(new float[] {1, 2, 3}, new float[] {10});
        List<float[]> white = Whiten.whiten(rows);
        double s = 0, sq = 0;
        for (float[] r : white) for (float x : r) { s += x; sq += x * x; }
        assertThat(s / 4).isCloseTo(0, within(1e-6));
        assertThat(sq / 4).isCloseTo(1, within(1e-4));
        assertThat(rows.get(0)).containsExactly(1, 2, 3);   // the inputs are not touched
    }
}
