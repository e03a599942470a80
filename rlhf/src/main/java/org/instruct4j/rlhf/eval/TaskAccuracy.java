package org.instruct4j.rlhf.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.instruct4j.rlhf.world.Judge;
import org.instruct4j.rlhf.world.Task;

/**
 * How many of the built-in world's tasks a model answers right, family by family, as the world's own checkers
 * judge them ({@link Judge}): the demo's "correct answers per task family" and `eval --tasks`.
 *
 * @param byFamily family -> its right answers, families in name order
 * @param answers  every task with its answer and the checkers' verdict, in the tasks' order
 */
public record TaskAccuracy(Map<String, Count> byFamily, List<Answer> answers) {
    /** Right answers out of a number of tasks. */
    public record Count(int right, int tasks) {
        public double share() { return (double) right / tasks; }
    }

    /** A task, the model's answer and whether the world's checkers call it right. */
    public record Answer(Task task, String response, boolean correct) {}

    /** Response i answers task i. */
    public static TaskAccuracy of(List<Task> tasks, List<String> responses) {
        if (tasks.size() != responses.size())
            throw new IllegalArgumentException(tasks.size() + " tasks but " + responses.size() + " responses");
        Map<String, int[]> counts = new TreeMap<>();
        List<Answer> answers = new ArrayList<>();
        for (int i = 0; i < tasks.size(); i++) {
            boolean correct = Judge.judge(tasks.get(i), responses.get(i)).correct();
            int[] c = counts.computeIfAbsent(tasks.get(i).family(), k -> new int[2]);
            c[1]++;
            if (correct) c[0]++;
            answers.add(new Answer(tasks.get(i), responses.get(i), correct));
        }
        Map<String, Count> byFamily = new TreeMap<>();
        counts.forEach((family, c) -> byFamily.put(family, new Count(c[0], c[1])));
        return new TaskAccuracy(byFamily, List.copyOf(answers));
    }

    /** The answers the checkers call wrong, in the tasks' order. */
    public List<Answer> misses() { return answers.stream().filter(a -> !a.correct()).toList(); }

    /** Every family together. */
    public Count all() {
        int right = 0, tasks = 0;
        for (Count c : byFamily.values()) {
            right += c.right();
            tasks += c.tasks();
        }
        return new Count(right, tasks);
    }

    /** family -> share of its tasks answered right. */
    public Map<String, Double> shares() {
        Map<String, Double> out = new TreeMap<>();
        byFamily.forEach((family, c) -> out.put(family, c.share()));
        return out;
    }
}
