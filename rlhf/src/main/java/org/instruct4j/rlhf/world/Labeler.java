package org.instruct4j.rlhf.world;

import org.instruct4j.engine.Rng;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A programmed labeler: scores a response with its own criterion weights, and ranks responses with Gaussian noise
 * on each score, so two labelers disagree on close calls as people do.
 *
 * <p>Training labelers share {@link Criteria#DEFAULT} with a small personal jitter; the noise is calibrated (see
 * {@link #calibrateNoise}) so that two of them agree on about 73% of pairwise comparisons of typical responses,
 * the paper's 72.6%. Held-out labelers start from {@link Criteria#HELD_OUT}.
 */
public record Labeler(String name, Criteria criteria, double noise) {

    /** Standard deviation of a labeler's per-response score noise; measured by calibrateNoise for 0.73 agreement. */
    public static final double TRAINING_NOISE = 1.7;

    /** How much one labeler's weights differ from the group's (relative standard deviation). */
    public static final double WEIGHT_SPREAD = 0.15;

    /** The noiseless score: what this labeler thinks of the response on reflection. */
    public double score(Task task, String response) {
        return score(task, Judge.judge(task, response));
    }

    /** The noiseless score of an already judged response. */
    public double score(Task task, Judgement judgement) {
        return criteria.score(judgement, task.familyImpl().conciseLimit(task));
    }

    /** One reading of the response: the score plus this labeler's noise. */
    public double noisyScore(Task task, String response, Rng rng) {
        return score(task, response) + noise * rng.nextGaussian();
    }

    /**
     * The chance that this labeler, reading each response once, prefers a to b: the two readings' noises differ by
     * a normal of standard deviation noise * sqrt(2). Identical responses (after stripping) are a toss-up.
     */
    public double prefers(Task task, String a, String b) {
        if (a.strip().equals(b.strip())) return 0.5;
        double gap = score(task, a.strip()) - score(task, b.strip());
        return noise == 0 ? (gap > 0 ? 1 : gap < 0 ? 0 : 0.5) : Gaussian.cdf(gap / (noise * Math.sqrt(2)));
    }

    /** Response indices best first, from one noisy reading of each response. */
    public List<Integer> rank(Task task, List<String> responses, Rng rng) {
        double[] s = new double[responses.size()];
        for (int i = 0; i < s.length; i++) s[i] = noisyScore(task, responses.get(i), rng);
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < s.length; i++) order.add(i);
        order.sort(Comparator.comparingDouble((Integer i) -> -s[i]).thenComparingInt(i -> i));
        return order;
    }

    /** The training labelers: shared weights, each slightly jittered, calibrated noise. */
    public static List<Labeler> training(int count, long seed) {
        return group("train", Criteria.DEFAULT, TRAINING_NOISE, count, seed);
    }

    /** Held-out labelers: different weights; the same noise level. They write no training data. */
    public static List<Labeler> heldOut(int count, long seed) {
        return group("heldout", Criteria.HELD_OUT, TRAINING_NOISE, count, seed);
    }

    static List<Labeler> group(String prefix, Criteria base, double noise, int count, long seed) {
        Rng rng = new Rng(seed);
        List<Labeler> out = new ArrayList<>();
        for (int i = 0; i < count; i++) out.add(new Labeler(prefix + "-" + i, base.jitter(rng, WEIGHT_SPREAD), noise));
        return out;
    }

    /**
     * How often two labelers of the list prefer the same response, over every pair of labelers and every pair of
     * different responses in the dataset (each labeler reads each response once per set).
     */
    public static double agreement(List<Labeler> labelers, List<ResponseSet> dataset, Rng rng) {
        return agreement(labelers, labelers, dataset, rng);
    }

    /** Agreement between the labelers of group a and those of group b (pairs of the same labeler skipped). */
    public static double agreement(List<Labeler> a, List<Labeler> b, List<ResponseSet> dataset, Rng rng) {
        long agree = 0, total = 0;
        for (ResponseSet set : dataset) {
            List<String> r = set.responses();
            List<Labeler> all = new ArrayList<>(a);
            for (Labeler l : b) if (!all.contains(l)) all.add(l);
            Judgement[] judged = new Judgement[r.size()];
            for (int i = 0; i < r.size(); i++) judged[i] = Judge.judge(set.task(), r.get(i));
            double[][] scores = new double[all.size()][r.size()];
            for (int l = 0; l < all.size(); l++)
                for (int i = 0; i < r.size(); i++)
                    scores[l][i] = all.get(l).score(set.task(), judged[i]) + all.get(l).noise() * rng.nextGaussian();
            for (Labeler la : a)
                for (Labeler lb : b) {
                    if (la.equals(lb) || (a == b && a.indexOf(la) > a.indexOf(lb))) continue;
                    double[] sa = scores[all.indexOf(la)], sb = scores[all.indexOf(lb)];
                    for (int i = 0; i < r.size(); i++)
                        for (int j = i + 1; j < r.size(); j++) {
                            if (r.get(i).strip().equals(r.get(j).strip())) continue;
                            total++;
                            if ((sa[i] > sa[j]) == (sb[i] > sb[j])) agree++;
                        }
                }
        }
        if (total == 0) throw new IllegalArgumentException("no comparisons: need two labelers and two different responses");
        return (double) agree / total;
    }

    /**
     * The noise level at which labelers with these base weights agree at the target rate on the dataset, by
     * bisection (agreement falls as noise grows). Same seed, same answer.
     */
    public static double calibrateNoise(Criteria base, int labelers, double target, List<ResponseSet> dataset, long seed) {
        double lo = 0, hi = 20;
        for (int it = 0; it < 20; it++) {
            double mid = (lo + hi) / 2;
            double agreement = agreement(group("cal", base, mid, labelers, seed), dataset, new Rng(seed + 1));
            if (agreement > target) lo = mid; else hi = mid;
        }
        return (lo + hi) / 2;
    }
}
