package org.instruct4j.rlhf.eval;

/**
 * Head-to-head preference counts of a model against a baseline. A tie counts as half a win, as in the paper's
 * win rates. The 95% interval is Wilson's score interval, which stays inside [0, 1] for small or lopsided samples.
 */
public record WinRate(int wins, int ties, int losses) {
    public WinRate {
        if (wins < 0 || ties < 0 || losses < 0) throw new IllegalArgumentException("negative count");
    }

    public int total() { return wins + ties + losses; }

    public double rate() { return total() == 0 ? Double.NaN : (wins + 0.5 * ties) / total(); }

    public double lower95() { return wilson(-1); }

    public double upper95() { return wilson(+1); }

    public WinRate plus(WinRate o) { return new WinRate(wins + o.wins, ties + o.ties, losses + o.losses); }

    public WinRate win() { return new WinRate(wins + 1, ties, losses); }

    public WinRate tie() { return new WinRate(wins, ties + 1, losses); }

    public WinRate loss() { return new WinRate(wins, ties, losses + 1); }

    private double wilson(int sign) {
        int n = total();
        if (n == 0) return Double.NaN;
        double z = 1.959964, p = rate();
        double denom = 1 + z * z / n;
        double centre = p + z * z / (2.0 * n);
        double half = z * Math.sqrt(p * (1 - p) / n + z * z / (4.0 * n * n));
        return (centre + sign * half) / denom;
    }

    @Override public String toString() {
        return String.format(java.util.Locale.ROOT, "%.1f%% [%.1f, %.1f] (n=%d)", 100 * rate(), 100 * lower95(), 100 * upper95(), total());
    }
}
