package org.instruct4j.engine.generate;

/**
 * How to pick each next token. temperature divides the logits (also for the reported log-probabilities, as
 * PPO needs); topK 0 and topP 1 keep the whole distribution; greedy takes the most likely token.
 */
public record SamplingConfig(int maxNewTokens, float temperature, int topK, float topP, boolean greedy) {
    public SamplingConfig {
        if (maxNewTokens <= 0) throw new IllegalArgumentException("sampling: maxNewTokens must be positive, got " + maxNewTokens);
        if (!(temperature > 0)) throw new IllegalArgumentException("sampling: temperature must be positive, got " + temperature);
        if (topK < 0) throw new IllegalArgumentException("sampling: topK must be >= 0, got " + topK);
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("sampling: topP must be in (0, 1], got " + topP);
    }

    /** Plain sampling at temperature 1 from the whole distribution (what PPO rollouts use). */
    public static SamplingConfig sample(int maxNewTokens) { return new SamplingConfig(maxNewTokens, 1f, 0, 1f, false); }

    public static SamplingConfig greedy(int maxNewTokens) { return new SamplingConfig(maxNewTokens, 1f, 0, 1f, true); }

    public SamplingConfig withTemperature(float t) { return new SamplingConfig(maxNewTokens, t, topK, topP, greedy); }

    public SamplingConfig withTopK(int k) { return new SamplingConfig(maxNewTokens, temperature, k, topP, greedy); }

    public SamplingConfig withTopP(float p) { return new SamplingConfig(maxNewTokens, temperature, topK, p, greedy); }

    public SamplingConfig withMaxNewTokens(int n) { return new SamplingConfig(n, temperature, topK, topP, greedy); }
}
