package org.instruct4j.rlhf.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.instruct4j.engine.Rng;
import org.instruct4j.rlhf.world.Labeler;
import org.instruct4j.rlhf.world.Task;

/**
 * The paper's main evaluation: for each held-out prompt one labeler (taken in turn from a group) reads the model's
 * response and the baseline's and says which is better.
 *
 * <p>A labeler reads each response once, with noise (see {@link Labeler}); instead of drawing that noise, each
 * comparison counts as the chance that the labeler prefers the model's response ({@link Labeler#prefers}). The
 * expected win rate is the same; the coin flip of the draw is gone, and with it about +-4 points of noise on 600
 * prompts, as large as the differences between the policies. What remains in the interval is the sampling of
 * prompts and responses.
 */
public final class HeadToHead {
    private HeadToHead() {}

    public static WinRate compare(List<Task> tasks, List<String> model, List<String> baseline, List<Labeler> labelers) {
        return WinRate.of(preferences(tasks, model, baseline, labelers));
    }

    /** {@link #compare} per task family, each prompt read by the same labeler as there (family -> win rate). */
    public static Map<String, WinRate> byFamily(List<Task> tasks, List<String> model, List<String> baseline, List<Labeler> labelers) {
        double[] p = preferences(tasks, model, baseline, labelers);
        Map<String, List<Double>> grouped = new TreeMap<>();
        for (int i = 0; i < p.length; i++) grouped.computeIfAbsent(tasks.get(i).family(), f -> new ArrayList<>()).add(p[i]);
        Map<String, WinRate> out = new TreeMap<>();
        grouped.forEach((family, ps) -> out.put(family, WinRate.of(ps.stream().mapToDouble(Double::doubleValue).toArray())));
        return out;
    }

    /** For each prompt, the chance that its labeler (taken in turn) prefers the model's response to the baseline's. */
    private static double[] preferences(List<Task> tasks, List<String> model, List<String> baseline, List<Labeler> labelers) {
        if (model.size() != tasks.size() || baseline.size() != tasks.size())
            throw new IllegalArgumentException("head-to-head needs one model and one baseline response per task");
        double[] p = new double[tasks.size()];
        for (int i = 0; i < p.length; i++)
            p[i] = labelers.get(i % labelers.size()).prefers(tasks.get(i), model.get(i), baseline.get(i));
        return p;
    }

    /** Mean Likert score of the responses as the labelers (in turn) read them. */
    public static double meanLikert(List<Task> tasks, List<String> responses, List<Labeler> labelers, Rng rng, double bestPossible) {
        double sum = 0;
        for (int i = 0; i < tasks.size(); i++)
            sum += Likert.of(labelers.get(i % labelers.size()).noisyScore(tasks.get(i), responses.get(i), rng), bestPossible);
        return tasks.isEmpty() ? Double.NaN : sum / tasks.size();
    }
}
