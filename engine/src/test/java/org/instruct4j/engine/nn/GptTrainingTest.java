package org.instruct4j.engine.nn;

import static org.assertj.core.api.Assertions.assertThat;

import org.instruct4j.engine.Device;
import org.instruct4j.engine.Rng;
import org.instruct4j.engine.Scope;
import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.ops.CrossEntropy;
import org.instruct4j.engine.optim.AdamW;
import org.junit.jupiter.api.Test;

/** The whole stack learns: a tiny GPT memorises one batch, and the same seed gives the same losses. */
class GptTrainingTest {
    static final GptConfig TINY = new GptConfig(64, 16, 2, 2, 32, 0f, 1e-5f);

    /** Losses of `steps` AdamW steps on one fixed random batch (B=4, T=16). */
    static float[] train(GptConfig config, long seed, int steps, boolean train) {
        Rng rng = new Rng(seed);
        Gpt model = new Gpt(config, rng, Device.CPU);
        int b = 4, t = config.contextLength();
        int[] seq = new int[b * (t + 1)];
        for (int i = 0; i < seq.length; i++) seq[i] = rng.nextInt(config.vocabSize());
        int[] in = new int[b * t], out = new int[b * t];
        for (int r = 0; r < b; r++)
            for (int j = 0; j < t; j++) {
                in[r * t + j] = seq[r * (t + 1) + j];
                out[r * t + j] = seq[r * (t + 1) + j + 1];
            }
        Tensor inputs = Tensor.ofInts(in, b, t), targets = Tensor.ofInts(out, b, t);
        AdamW opt = AdamW.of(model.parameters(), 0.0f);
        Rng dropoutRng = new Rng(seed + 1);
        float[] losses = new float[steps];
        for (int s = 0; s < steps; s++) {
            try (Scope step = Scope.open()) {
                Tensor loss = CrossEntropy.mean(model.logits(model.hidden(inputs, null, null, train, dropoutRng)), targets);
                loss.backward();
                opt.step(1e-2f, 1f);
                opt.zeroGrad();
                losses[s] = loss.item();
            }
        }
        return losses;
    }

    @Test void overfitsOneBatch() {
        float[] losses = train(TINY, 7, 150, false);
        assertThat(losses[0]).isGreaterThan(3.5f);   // about ln(64) = 4.16 at init
        assertThat(losses[losses.length - 1]).isLessThan(0.05f);
    }

    @Test void sameSeedSameLosses() {
        GptConfig withDropout = TINY.withDropout(0.1f);
        float[] a = train(withDropout, 11, 15, true), b = train(withDropout, 11, 15, true);
        assertThat(a).containsExactly(b);
        float[] c = train(withDropout, 12, 15, true);
        assertThat(c).isNotEqualTo(a);
    }

    @Test void dropoutChangesTheTrainingForward() {
        float[] off = train(TINY.withDropout(0.1f), 5, 2, false), on = train(TINY.withDropout(0.1f), 5, 2, true);
        assertThat(on[0]).isNotEqualTo(off[0]);
    }
}
