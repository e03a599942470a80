package org.instruct4j.rlhf.pretrain;

/**
 * Language-model pretraining: steps of batch x seqLen random windows of the corpus, AdamW with a linear warm-up
 * then cosine decay to minLrFraction of the peak. Build one from {@link #defaults} and the withers.
 */
public record PretrainConfig(int steps, int batch, int seqLen, float lr, float minLrFraction, int warmup,
                             float weightDecay, float gradClip, long seed, int microBatch) {
    public PretrainConfig {
        if (steps <= 0 || batch <= 0 || seqLen <= 1) throw new IllegalArgumentException("pretrain: steps, batch must be positive and seqLen > 1");
        if (microBatch < 0) throw new IllegalArgumentException("pretrain: micro-batch must be >= 0 (0: the whole batch at once), got " + microBatch);
        if (!(lr > 0)) throw new IllegalArgumentException("pretrain: lr must be positive, got " + lr);
    }

    /** lr 2e-3 decaying to a tenth, warm-up over the first 5% of the steps, weight decay 0.1, gradients clipped to 1, seed 1. */
    public static PretrainConfig defaults(int steps, int batch, int seqLen) {
        return new PretrainConfig(steps, batch, seqLen, 2e-3f, 0.1f, Math.max(1, steps / 20), 0.1f, 1f, 1, 0);
    }

    public PretrainConfig withLr(float v) { return new PretrainConfig(steps, batch, seqLen, v, minLrFraction, warmup, weightDecay, gradClip, seed, microBatch); }

    public PretrainConfig withSeed(long v) { return new PretrainConfig(steps, batch, seqLen, lr, minLrFraction, warmup, weightDecay, gradClip, v, microBatch); }

    /** Steps of linear warm-up before the cosine decay. */
    public PretrainConfig withWarmup(int v) { return new PretrainConfig(steps, batch, seqLen, lr, minLrFraction, v, weightDecay, gradClip, seed, microBatch); }

    /**
     * Sequences per forward and backward pass, whose gradients add up to the batch's (each weighted by its share
     * of the sequences, which are all seqLen long): the same step in less memory; 0 (the default) takes the whole
     * batch at once.
     */
    public PretrainConfig withMicroBatch(int v) {
        return new PretrainConfig(steps, batch, seqLen, lr, minLrFraction, warmup, weightDecay, gradClip, seed, v);
    }
}
