package org.instruct4j.rlhf.eval;

/**
 * The 1-7 overall-quality scale of the paper's evaluations, read off a labeler's score: the share of the best
 * possible score, mapped linearly onto 1..7 and rounded.
 */
public final class Likert {
    private Likert() {}

    public static int of(double score, double bestPossible) {
        double share = Math.max(0, Math.min(1, score / bestPossible));
        return 1 + (int) Math.round(6 * share);
    }
}
