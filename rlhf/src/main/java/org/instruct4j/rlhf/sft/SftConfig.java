package org.instruct4j.rlhf.sft;

/**
 * Supervised fine-tuning. The paper: 16 epochs, cosine decay to 10% of the peak lr, no warm-up, residual
 * dropout 0.2, lr 9.65e-6, batch 32. The dropout is the model's: build the model with
 * {@code config.withDropout(dropout)} ({@link org.instruct4j.engine.nn.Gpt#copy(float)} does it for a loaded model).
 * Build one from {@link #paper()} and the withers, which name what they change.
 */
public record SftConfig(float lr, int epochs, int batchSize, float dropout, long seed, int maxLen, float weightDecay, float gradClip,
                        int microBatch) {
    public SftConfig {
        if (!(lr > 0)) throw new IllegalArgumentException("SFT: lr must be positive, got " + lr);
        if (epochs <= 0 || batchSize <= 0) throw new IllegalArgumentException("SFT: epochs and batch must be positive");
        if (microBatch < 0) throw new IllegalArgumentException("SFT: micro-batch must be >= 0 (0: the whole batch at once), got " + microBatch);
        if (maxLen < 2) throw new IllegalArgumentException("SFT: maxLen must be at least 2, got " + maxLen);
    }

    public static SftConfig paper() { return new SftConfig(9.65e-6f, 16, 32, 0.2f, 1, 2048, 0f, 1f, 0); }

    public SftConfig withLr(float v) { return new SftConfig(v, epochs, batchSize, dropout, seed, maxLen, weightDecay, gradClip, microBatch); }

    public SftConfig withEpochs(int v) { return new SftConfig(lr, v, batchSize, dropout, seed, maxLen, weightDecay, gradClip, microBatch); }

    public SftConfig withBatchSize(int v) { return new SftConfig(lr, epochs, v, dropout, seed, maxLen, weightDecay, gradClip, microBatch); }

    public SftConfig withDropout(float v) { return new SftConfig(lr, epochs, batchSize, v, seed, maxLen, weightDecay, gradClip, microBatch); }

    public SftConfig withSeed(long v) { return new SftConfig(lr, epochs, batchSize, dropout, v, maxLen, weightDecay, gradClip, microBatch); }

    public SftConfig withMaxLen(int v) { return new SftConfig(lr, epochs, batchSize, dropout, seed, v, weightDecay, gradClip, microBatch); }

    public SftConfig withWeightDecay(float v) { return new SftConfig(lr, epochs, batchSize, dropout, seed, maxLen, v, gradClip, microBatch); }

    /** The global gradient norm is clipped to v; 0 turns clipping off. */
    public SftConfig withGradClip(float v) { return new SftConfig(lr, epochs, batchSize, dropout, seed, maxLen, weightDecay, v, microBatch); }

    /**
     * Demonstrations per forward and backward pass, whose gradients add up to the batch's (each weighted by its
     * share of the completion tokens): the same step in less memory; 0 (the default) takes the whole batch at once.
     */
    public SftConfig withMicroBatch(int v) { return new SftConfig(lr, epochs, batchSize, dropout, seed, maxLen, weightDecay, gradClip, v); }
}
