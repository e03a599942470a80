package org.instruct4j.rlhf.rm;

/**
 * Reward-model training. The paper: 1 epoch (more overfits), lr 9e-6 with cosine decay to 10%, batch 64
 * prompts (all C(K,2) comparisons of a prompt are one batch element). Build one from {@link #paper()} and the
 * withers, which name what they change.
 */
public record RmConfig(float lr, int epochs, int batchPrompts, long seed, int maxLen, float weightDecay, float gradClip, int microBatch) {
    public RmConfig {
        if (!(lr > 0)) throw new IllegalArgumentException("RM: lr must be positive, got " + lr);
        if (epochs <= 0 || batchPrompts <= 0 || maxLen <= 1)
            throw new IllegalArgumentException("RM: epochs, batchPrompts must be positive and maxLen > 1");
        if (microBatch < 0) throw new IllegalArgumentException("RM: micro-batch must be >= 0 (0: the whole batch at once), got " + microBatch);
    }

    public static RmConfig paper() { return new RmConfig(9e-6f, 1, 64, 1, 2048, 0f, 1f, 0); }

    public RmConfig withLr(float v) { return new RmConfig(v, epochs, batchPrompts, seed, maxLen, weightDecay, gradClip, microBatch); }

    public RmConfig withEpochs(int v) { return new RmConfig(lr, v, batchPrompts, seed, maxLen, weightDecay, gradClip, microBatch); }

    public RmConfig withBatchPrompts(int v) { return new RmConfig(lr, epochs, v, seed, maxLen, weightDecay, gradClip, microBatch); }

    public RmConfig withSeed(long v) { return new RmConfig(lr, epochs, batchPrompts, v, maxLen, weightDecay, gradClip, microBatch); }

    public RmConfig withMaxLen(int v) { return new RmConfig(lr, epochs, batchPrompts, seed, v, weightDecay, gradClip, microBatch); }

    public RmConfig withWeightDecay(float v) { return new RmConfig(lr, epochs, batchPrompts, seed, maxLen, v, gradClip, microBatch); }

    /** The global gradient norm is clipped to v; 0 turns clipping off. */
    public RmConfig withGradClip(float v) { return new RmConfig(lr, epochs, batchPrompts, seed, maxLen, weightDecay, v, microBatch); }

    /**
     * Prompts per forward and backward pass, whose gradients add up to the batch's (each weighted by its share of
     * the prompts that have comparisons): the same step in less memory; 0 (the default) takes the whole batch at once.
     */
    public RmConfig withMicroBatch(int v) { return new RmConfig(lr, epochs, batchPrompts, seed, maxLen, weightDecay, gradClip, v); }
}
