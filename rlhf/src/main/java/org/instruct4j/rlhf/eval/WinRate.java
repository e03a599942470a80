package org.instruct4j.rlhf.eval;

import java.util.Locale;

/**
 * How often labelers prefer a model's responses to a baseline's: the mean over prompts of the chance that the
 * prompt's labeler prefers the model's response (1 a sure win, 0 a sure loss, 0.5 a tie or a toss-up), with a
 * 95% interval for that mean (normal approximation over the prompts; the per-prompt values lie in [0, 1] and there
 * are hundreds of them). Plain win/tie/loss counts are the special case of values 1, 0.5 and 0.
 */
public record WinRate(int n, double sum, double sumOfSquares) {
    private static final double Z95 = 1.959964;

    public WinRate {
        if (n < 0 || sum < 0 || sum > n || sumOfSquares < 0) throw new IllegalArgumentException("not a win rate: n=" + n + ", sum=" + sum);
    }

    public static WinRate of(double... perPrompt) {
        double s = 0, s2 = 0;
        for (double p : perPrompt) {
            if (!(p >= 0 && p <= 1)) throw new IllegalArgumentException("a preference must lie in [0, 1], got " + p);
            s += p;
            s2 += p * p;
        }
        return new WinRate(perPrompt.length, s, s2);
    }

    public double rate() { return n == 0 ? Double.NaN : sum / n; }

    public double lower95() { return Math.max(0, rate() - halfWidth()); }

    public double upper95() { return Math.min(1, rate() + halfWidth()); }

    /** 1.96 standard errors of the mean (sample variance over the prompts). */
    private double halfWidth() {
        if (n < 2) return Double.NaN;
        double mean = rate(), variance = Math.max(0, (sumOfSquares - n * mean * mean) / (n - 1));
        return Z95 * Math.sqrt(variance / n);
    }

    @Override public String toString() {
        return String.format(Locale.ROOT, "%.1f%% [%.1f, %.1f] (n=%d)", 100 * rate(), 100 * lower95(), 100 * upper95(), n);
    }
}
