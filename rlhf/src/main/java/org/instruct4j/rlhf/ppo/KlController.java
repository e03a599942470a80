package org.instruct4j.rlhf.ppo;

/**
 * The KL coefficient beta. Fixed (the paper's 0.02), or adaptive as in Ziegler et al. (2019): after each batch,
 * beta *= 1 + clip(KL / target - 1, -0.2, 0.2) * episodes / horizon, so the policy's KL from the reference
 * drifts toward the target.
 */
public final class KlController {
    private double beta;
    private final boolean adaptive;
    private final double target, horizon;

    private KlController(double beta, boolean adaptive, double target, double horizon) {
        this.beta = beta;
        this.adaptive = adaptive;
        this.target = target;
        this.horizon = horizon;
    }

    public static KlController fixed(double beta) { return new KlController(beta, false, 0, 1); }

    public static KlController adaptive(double initial, double target, double horizon) {
        if (target <= 0 || horizon <= 0) throw new IllegalArgumentException("adaptive KL: target and horizon must be positive");
        return new KlController(initial, true, target, horizon);
    }

    public double beta() { return beta; }

    public void setBeta(double beta) { this.beta = beta; }

    /** Updates beta from the mean per-episode KL of a batch of the given number of episodes. */
    public void update(double meanKl, int episodes) {
        if (!adaptive) return;
        double error = Math.max(-0.2, Math.min(0.2, meanKl / target - 1));
        beta *= 1 + error * episodes / horizon;
    }
}
