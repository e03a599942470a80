package org.instruct4j.rlhf.data;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * K completions of one prompt, ranked by a labeler, best first.
 *
 * <p>The order is kept as tiers: each tier is a group of completion indices the labeler judged equal, and
 * tiers run from best to worst. A strict ranking [2, 0, 1] is the tiers [[2], [0], [1]]; in JSONL a tie is
 * written as an inner array, e.g. "ranking": [2, [0, 3], 1]. The reward model trains on {@link #pairs()}:
 * one (winner, loser) pair for every two completions in different tiers; pairs inside a tier are dropped, as
 * in the paper.
 *
 * <p>A plain class rather than a record because it has two natural constructors (strict order and tiers)
 * whose parameter types erase to the same signature.
 */
public final class Ranking implements HasPrompt {
    private final String prompt;
    private final List<String> completions;
    private final List<List<Integer>> tiers;

    /** A strict ranking: completion indices, best first. Must be a permutation of 0..K-1. */
    public Ranking(String prompt, List<String> completions, List<Integer> ranking) {
        this(prompt, completions, ranking.stream().map(List::of).toList(), true);
    }

    private Ranking(String prompt, List<String> completions, List<List<Integer>> tiers, boolean unused) {
        this.prompt = Objects.requireNonNull(prompt, "prompt");
        this.completions = List.copyOf(completions);
        this.tiers = tiers.stream().map(List::copyOf).toList();
        String problem = problem(this.completions.size(), this.tiers);
        if (problem != null) throw new IllegalArgumentException(problem);
    }

    /** A ranking with ties: tiers of completion indices, best tier first. Every index in exactly one tier. */
    public static Ranking withTies(String prompt, List<String> completions, List<List<Integer>> tiers) {
        return new Ranking(prompt, completions, tiers, true);
    }

    /** Null when the tiers are a partition of 0..k-1 into non-empty tiers, else what is wrong. */
    static String problem(int k, List<List<Integer>> tiers) {
        if (k < 2) return "a ranking needs at least 2 completions, got " + k;
        boolean[] seen = new boolean[k];
        int count = 0;
        for (List<Integer> tier : tiers) {
            if (tier.isEmpty()) return "ranking has an empty tie group";
            for (Integer i : tier) {
                if (i == null || i < 0 || i >= k) return "ranking index " + i + " is outside 0.." + (k - 1);
                if (seen[i]) return "ranking lists completion " + i + " twice";
                seen[i] = true;
                count++;
            }
        }
        if (count != k) return "ranking is not a permutation of the " + k + " completion indices (has " + count + ")";
        return null;
    }

    @Override public String prompt() { return prompt; }

    public List<String> completions() { return completions; }

    /** Tie groups of completion indices, best first. */
    public List<List<Integer>> tiers() { return tiers; }

    /** All completion indices best first; tied completions appear in the order they were listed. */
    public List<Integer> ranking() {
        return tiers.stream().flatMap(List::stream).toList();
    }

    public int k() { return completions.size(); }

    public boolean hasTies() { return tiers.size() < completions.size(); }

    /** A comparison for every two completions in different tiers; ties dropped. */
    public List<Comparison> pairs() {
        List<Comparison> pairs = new ArrayList<>();
        for (int a = 0; a < tiers.size(); a++)
            for (int b = a + 1; b < tiers.size(); b++)
                for (int winner : tiers.get(a))
                    for (int loser : tiers.get(b))
                        pairs.add(new Comparison(winner, loser));
        return pairs;
    }

    @Override public boolean equals(Object o) {
        return o instanceof Ranking r && prompt.equals(r.prompt) && completions.equals(r.completions) && tiers.equals(r.tiers);
    }

    @Override public int hashCode() { return Objects.hash(prompt, completions, tiers); }

    @Override public String toString() {
        return "Ranking[prompt=" + prompt + ", completions=" + completions + ", tiers=" + tiers + "]";
    }
}
