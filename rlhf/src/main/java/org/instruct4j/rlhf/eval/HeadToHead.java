package org.instruct4j.rlhf.eval;

import java.util.List;
import org.instruct4j.engine.Rng;
import org.instruct4j.rlhf.world.Labeler;
import org.instruct4j.rlhf.world.Task;

/**
 * The paper's main evaluation: for each held-out prompt one labeler (taken in turn from a group) reads the model's
 * response and the baseline's response and says which is better. Identical responses are a tie.
 */
public final class HeadToHead {
    private HeadToHead() {}

    public static WinRate compare(List<Task> tasks, List<String> model, List<String> baseline, List<Labeler> labelers, Rng rng) {
        if (model.size() != tasks.size() || baseline.size() != tasks.size())
            throw new IllegalArgumentException("head-to-head needs one model and one baseline response per task");
        WinRate r = new WinRate(0, 0, 0);
        for (int i = 0; i < tasks.size(); i++) {
            Labeler labeler = labelers.get(i % labelers.size());
            if (model.get(i).strip().equals(baseline.get(i).strip())) { r = r.tie(); continue; }
            double a = labeler.noisyScore(tasks.get(i), model.get(i), rng), b = labeler.noisyScore(tasks.get(i), baseline.get(i), rng);
            r = a > b ? r.win() : a < b ? r.loss() : r.tie();
        }
        return r;
    }

    /** Mean Likert score of the responses as the labelers (in turn) read them. */
    public static double meanLikert(List<Task> tasks, List<String> responses, List<Labeler> labelers, Rng rng, double bestPossible) {
        double sum = 0;
        for (int i = 0; i < tasks.size(); i++)
            sum += Likert.of(labelers.get(i % labelers.size()).noisyScore(tasks.get(i), responses.get(i), rng), bestPossible);
        return tasks.isEmpty() ? Double.NaN : sum / tasks.size();
    }
}
