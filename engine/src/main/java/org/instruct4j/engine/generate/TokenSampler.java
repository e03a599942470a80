package org.instruct4j.engine.generate;

import java.util.Arrays;
import org.instruct4j.engine.Rng;
import org.instruct4j.engine.backend.cpu.Parallel;

/**
 * Picks one token from one row of logits on the host. The log-probability returned is that of the chosen token
 * under softmax(logits / temperature) over the WHOLE vocabulary, not the truncated top-k / top-p one: that is
 * the distribution the PPO trainer recomputes, so the two agree when the settings match.
 */
public final class TokenSampler {
    private TokenSampler() {}

    public record Pick(int token, float logProb) {}

    /**
     * Each thread's two rows of the vocabulary's size (scaled logits, probabilities), reused from pick to pick: made
     * fresh, they were 4 GB of a resumed demo's garbage (JFR), more than any other allocation.
     */
    private static final ThreadLocal<double[][]> ROWS = ThreadLocal.withInitial(() -> new double[2][0]);

    private static double[] row(int which, int vocab) {
        double[][] rows = ROWS.get();
        if (rows[which].length < vocab) rows[which] = new double[vocab];
        return rows[which];
    }

    /**
     * One pick for each row of a batch x vocab block of logits, null for the rows marked done. The rows' random
     * numbers are drawn first, one per row in row order as {@link #pick} row by row would draw them, so the rows can
     * then be picked on all the host's threads with the same results: a batch of 64 rows over a vocabulary of 1,024
     * is 131,072 exponentials a step, which took one thread a third to a half of the model's step time.
     */
    public static Pick[] pickRows(float[] logits, int vocab, boolean[] done, SamplingConfig cfg, Rng rng) {
        int batch = done.length;
        double[] uniform = new double[batch];
        if (!cfg.greedy()) for (int b = 0; b < batch; b++) if (!done[b]) uniform[b] = rng.nextDouble();
        Pick[] picks = new Pick[batch];
        Parallel.forRange(batch, 8, (from, to) -> {
            for (int b = from; b < to; b++) if (!done[b]) picks[b] = pick(logits, b * vocab, vocab, cfg, uniform[b]);
        });
        return picks;
    }

    public static Pick pick(float[] logits, int offset, int vocab, SamplingConfig cfg, Rng rng) {
        return pick(logits, offset, vocab, cfg, cfg.greedy() ? 0 : rng.nextDouble());
    }

    /** One row's pick, uniform the row's random number in [0, 1) (unused when greedy). */
    private static Pick pick(float[] logits, int offset, int vocab, SamplingConfig cfg, double uniform) {
        double[] scaled = row(0, vocab);
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) {
            scaled[i] = logits[offset + i] / (double) cfg.temperature();
            if (scaled[i] > max) max = scaled[i];
        }
        double z = 0;
        for (int i = 0; i < vocab; i++) z += StrictMath.exp(scaled[i] - max);
        double logZ = max + StrictMath.log(z);
        int token = cfg.greedy() ? argmax(scaled, vocab) : draw(scaled, vocab, logZ, cfg, uniform);
        return new Pick(token, (float) (scaled[token] - logZ));
    }

    /** The first index of the largest of x's first n values. */
    static int argmax(double[] x, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) if (x[i] > x[best]) best = i;
        return best;
    }

    /**
     * Keeps the top-k of the first vocab tokens, then the smallest prefix of them whose mass reaches top-p, then
     * draws.
     */
    static int draw(double[] scaled, int vocab, double logZ, SamplingConfig cfg, double uniform) {
        double[] p = row(1, vocab);
        for (int i = 0; i < vocab; i++) p[i] = StrictMath.exp(scaled[i] - logZ);
        boolean truncate = (cfg.topK() > 0 && cfg.topK() < vocab) || cfg.topP() < 1;
        if (!truncate) return drawFrom(p, null, vocab, uniform);
        Integer[] order = new Integer[vocab];
        for (int i = 0; i < vocab; i++) order[i] = i;
        // Highest probability first; ties by lower id, so the order is deterministic.
        Arrays.sort(order, (a, b) -> p[a] != p[b] ? Double.compare(p[b], p[a]) : Integer.compare(a, b));
        int keep = cfg.topK() > 0 ? Math.min(cfg.topK(), vocab) : vocab;
        if (cfg.topP() < 1) {
            double mass = 0;
            for (int i = 0; i < keep; i++) {
                mass += p[order[i]];
                if (mass >= cfg.topP()) { keep = i + 1; break; }
            }
        }
        return drawFrom(p, order, keep, uniform);
    }

    private static int drawFrom(double[] p, Integer[] order, int count, double uniform) {
        double total = 0;
        for (int i = 0; i < count; i++) total += p[order == null ? i : order[i]];
        double u = uniform * total, acc = 0;
        for (int i = 0; i < count; i++) {
            int id = order == null ? i : order[i];
            acc += p[id];
            if (u < acc) return id;
        }
        return order == null ? count - 1 : order[count - 1];
    }
}
