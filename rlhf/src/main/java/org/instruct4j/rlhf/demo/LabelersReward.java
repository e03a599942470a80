package org.instruct4j.rlhf.demo;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.instruct4j.engine.text.BpeTokenizer;
import org.instruct4j.rlhf.ppo.ResponseScorer;
import org.instruct4j.rlhf.world.Labeler;
import org.instruct4j.rlhf.world.Task;
import org.instruct4j.rlhf.world.WorldFormat;

/**
 * PPO's reward taken from the training labelers themselves instead of the reward model learnt from their rankings:
 * the mean of their noiseless scores of the answer, on a reward model's scale. Not the paper's method: an
 * experiment that says what a reward model that saw everything the labelers see would give PPO in the same minutes,
 * and so how much of what RLHF leaves undone is the reward model's.
 */
final class LabelersReward implements ResponseScorer {
    /**
     * A labeler prefers a to b with the chance Phi(gap / (noise sqrt 2)) (Labeler.prefers); a reward model fits
     * sigmoid(r_a - r_b) to the same choices, and Phi(z) is close to sigmoid(1.702 z).
     */
    static final double SCALE = 1.702 / (Labeler.TRAINING_NOISE * Math.sqrt(2));

    private final Map<String, Task> tasksByPrompt = new HashMap<>();
    private final List<Labeler> labelers;
    private final BpeTokenizer tokenizer;
    /** Subtracted so that the tasks' ideal answers score 0 on average (the reward model centres demonstrations). */
    private final double centre;

    LabelersReward(List<Task> tasks, List<Labeler> labelers, BpeTokenizer tokenizer) {
        this.labelers = List.copyOf(labelers);
        this.tokenizer = tokenizer;
        double sum = 0;
        for (Task t : tasks) {
            tasksByPrompt.put(t.prompt(), t);
            sum += meanScore(t, WorldFormat.completion(t.familyImpl().ideal(t)));
        }
        centre = tasks.isEmpty() ? 0 : sum / tasks.size();
    }

    @Override
    public float[] score(List<int[]> prompts, List<int[]> responses) {
        float[] scores = new float[prompts.size()];
        for (int i = 0; i < scores.length; i++) {
            String prompt = tokenizer.decode(prompts.get(i));
            Task task = tasksByPrompt.get(prompt);
            if (task == null) throw new IllegalArgumentException("labelers' reward: no task has the prompt " + prompt);
            int[] response = responses.get(i);
            String answer = tokenizer.decode(response, 0, response.length - 1);   // the end-of-text is not read
            scores[i] = (float) (SCALE * (meanScore(task, WorldFormat.completion(answer)) - centre));
        }
        return scores;
    }

    private double meanScore(Task task, String answer) {
        double sum = 0;
        for (Labeler l : labelers) sum += l.score(task, answer);
        return sum / labelers.size();
    }
}
