package org.instruct4j.rlhf.ppo;

/**
 * One bandit episode: prompt, sampled response, the reward model's score (after the missing-end-of-text
 * penalty), and per response token: the policy's and the reference's log-probabilities at rollout time, the
 * per-token KL estimate (their difference), the value estimate, and after GAE the advantage and the return.
 */
public record Episode(int[] prompt, int[] response, boolean endedWithEot, float rawScore, float score,
                      float[] logProbs, float[] refLogProbs, float[] kl, float[] values,
                      float[] rewards, float[] advantages, float[] returns) {
    public double klSum() {
        double s = 0;
        for (float k : kl) s += k;
        return s;
    }
}
