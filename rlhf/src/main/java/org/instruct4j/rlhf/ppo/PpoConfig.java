package org.instruct4j.rlhf.ppo;

import org.instruct4j.engine.generate.SamplingConfig;

/**
 * PPO and PPO-ptx settings. {@link #paper()} has InstructGPT's where the paper gives them (section 3 and appendix C):
 * beta 0.02 fixed, clip 0.2, GAE gamma 1, batch 512 episodes, minibatch 64, one inner epoch, 10 warm-up iterations
 * from a tenth of the peak lr, EMA 0.992, the value model's lr 9e-6, sampling at temperature 1, 8 pretraining
 * sequences per episode (ptxPerEpisode) once {@link #withPtx} turns PPO-ptx on (paper() itself is plain PPO: ptx 0). The rest are not the paper's: GAE lambda 0.95 (what
 * public reproductions use), the policy's lr 9.65e-6 (the paper's SFT lr, the policy's is not given), the value
 * loss clipped at 0.2, gradients clipped at global norm 1, responses of at most 256 tokens, and a penalty of 1 for a
 * response without end-of-text (reproductions' guard against length hacking).
 *
 * <p>The ptx coefficient weighs a per-token mean cross-entropy against a per-token mean PPO loss of whitened
 * advantages; the paper does not say how its 27.8 was normalised, so the two are not comparable (the demo's 0.05
 * was tuned, docs/REPRODUCTION.md). The entropy penalty has the opposite sign of CleanRL's entropy bonus: it
 * sharpens the policy rather than keeping it spread.
 *
 * @param klCoef        beta, or the adaptive controller's starting value when adaptiveKl
 * @param noEotPenalty  subtracted from the reward of a response that did not end with end-of-text
 * @param ptxCoef       gamma of PPO-ptx; 0 is plain PPO
 * @param ptxPerEpisode pretraining sequences per RL episode in a minibatch (8 in the paper; fractions allowed)
 * @param emaDecay      decay of the evaluation EMA of the policy weights; 0 turns it off
 * @param entropyPenalty added to the policy's loss times the mean entropy of its next-token distribution over the
 *                      response tokens; 0 (the paper's objective) leaves the entropy to the reward and the KL penalty
 */
public record PpoConfig(float lr, float valueLr, int batchSize, int minibatchSize, int innerEpochs,
                        float clip, float valueClip, float gamma, float lambda,
                        double klCoef, boolean adaptiveKl, double klTarget, double klHorizon,
                        float noEotPenalty, float ptxCoef, double ptxPerEpisode, int warmupIterations,
                        float emaDecay, float entropyPenalty, float gradClip, SamplingConfig sampling, long seed) {
    public PpoConfig {
        if (!(lr > 0) || !(valueLr > 0)) throw new IllegalArgumentException("PPO: learning rates must be positive");
        if (batchSize <= 0 || minibatchSize <= 0 || innerEpochs <= 0)
            throw new IllegalArgumentException("PPO: batch, minibatch and inner epochs must be positive");
        if (batchSize % minibatchSize != 0)
            throw new IllegalArgumentException("PPO: batch " + batchSize + " is not a multiple of minibatch " + minibatchSize);
        if (!(clip > 0)) throw new IllegalArgumentException("PPO: clip must be positive, got " + clip);
        if (ptxCoef < 0) throw new IllegalArgumentException("PPO: ptx coefficient must be >= 0, got " + ptxCoef);
        if (emaDecay < 0 || emaDecay >= 1) throw new IllegalArgumentException("PPO: EMA decay must be in [0, 1), got " + emaDecay);
        if (!(entropyPenalty >= 0)) throw new IllegalArgumentException("PPO: entropy penalty must be >= 0, got " + entropyPenalty);
    }

    public static PpoConfig paper() {
        return new PpoConfig(9.65e-6f, 9e-6f, 512, 64, 1, 0.2f, 0.2f, 1f, 0.95f, 0.02, false, 6, 10_000,
                1f, 0f, 8, 10, 0.992f, 0f, 1f, SamplingConfig.sample(256), 1);
    }

    /** PPO-ptx with pretraining-mix coefficient gamma = coef (the paper's is 27.8, in its own normalisation). */
    public PpoConfig withPtx(float coef) { return copy(b -> b.ptxCoef = coef); }

    public PpoConfig withAdaptiveKl(double init, double target, double horizon) {
        return copy(b -> { b.adaptiveKl = true; b.klCoef = init; b.klTarget = target; b.klHorizon = horizon; });
    }

    public PpoConfig withKlCoef(double beta) { return copy(b -> { b.klCoef = beta; b.adaptiveKl = false; }); }

    public PpoConfig withLr(float policy, float value) { return copy(b -> { b.lr = policy; b.valueLr = value; }); }

    public PpoConfig withBatch(int batch, int minibatch, int innerEpochs) {
        return copy(b -> { b.batchSize = batch; b.minibatchSize = minibatch; b.innerEpochs = innerEpochs; });
    }

    public PpoConfig withSampling(SamplingConfig s) { return copy(b -> b.sampling = s); }

    public PpoConfig withSeed(long seed) { return copy(b -> b.seed = seed); }

    public PpoConfig withEma(float decay) { return copy(b -> b.emaDecay = decay); }

    public PpoConfig withEntropyPenalty(float coef) { return copy(b -> b.entropyPenalty = coef); }

    public PpoConfig withPtxPerEpisode(double n) { return copy(b -> b.ptxPerEpisode = n); }

    public PpoConfig withNoEotPenalty(float p) { return copy(b -> b.noEotPenalty = p); }

    public PpoConfig withWarmup(int iterations) { return copy(b -> b.warmupIterations = iterations); }

    private PpoConfig copy(java.util.function.Consumer<Builder> edit) {
        Builder b = new Builder(this);
        edit.accept(b);
        return b.build();
    }

    /** Mutable copy for the with* methods. */
    private static final class Builder {
        float lr, valueLr, clip, valueClip, gamma, lambda, noEotPenalty, ptxCoef, emaDecay, entropyPenalty, gradClip;
        int batchSize, minibatchSize, innerEpochs, warmupIterations;
        double klCoef, klTarget, klHorizon, ptxPerEpisode;
        boolean adaptiveKl;
        SamplingConfig sampling;
        long seed;

        Builder(PpoConfig c) {
            lr = c.lr; valueLr = c.valueLr; batchSize = c.batchSize; minibatchSize = c.minibatchSize; innerEpochs = c.innerEpochs;
            clip = c.clip; valueClip = c.valueClip; gamma = c.gamma; lambda = c.lambda; klCoef = c.klCoef;
            adaptiveKl = c.adaptiveKl; klTarget = c.klTarget; klHorizon = c.klHorizon; noEotPenalty = c.noEotPenalty;
            ptxCoef = c.ptxCoef; ptxPerEpisode = c.ptxPerEpisode; warmupIterations = c.warmupIterations;
            emaDecay = c.emaDecay; entropyPenalty = c.entropyPenalty; gradClip = c.gradClip; sampling = c.sampling; seed = c.seed;
        }

        PpoConfig build() {
            return new PpoConfig(lr, valueLr, batchSize, minibatchSize, innerEpochs, clip, valueClip, gamma, lambda,
                    klCoef, adaptiveKl, klTarget, klHorizon, noEotPenalty, ptxCoef, ptxPerEpisode, warmupIterations,
                    emaDecay, entropyPenalty, gradClip, sampling, seed);
        }
    }
}
