package org.instruct4j.rlhf.ppo;

/**
 * Generalised advantage estimation over one response (a bandit episode of T tokens):
 * delta_t = r_t + gamma V_{t+1} - V_t, A_t = delta_t + gamma lambda A_{t+1}, with V_T = 0 after the last token,
 * and the value targets (returns) R_t = A_t + V_t.
 */
public final class Gae {
    private Gae() {}

    /** Advantages and returns of one episode; rewards and values have one entry per response token. */
    public static Result compute(float[] rewards, float[] values, float gamma, float lambda) {
        if (rewards.length != values.length)
            throw new IllegalArgumentException("GAE: " + rewards.length + " rewards for " + values.length + " values");
        int n = rewards.length;
        float[] advantages = new float[n], returns = new float[n];
        float next = 0, nextValue = 0;
        for (int t = n - 1; t >= 0; t--) {
            float delta = rewards[t] + gamma * nextValue - values[t];
            next = delta + gamma * lambda * next;
            advantages[t] = next;
            returns[t] = next + values[t];
            nextValue = values[t];
        }
        return new Result(advantages, returns);
    }

    public record Result(float[] advantages, float[] returns) {}
}
