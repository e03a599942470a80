package org.instruct4j.rlhf.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import org.instruct4j.engine.Rng;
import org.instruct4j.engine.text.BpeTokenizer;
import org.instruct4j.rlhf.rm.RewardModel;
import org.instruct4j.rlhf.train.Sequences;
import org.instruct4j.rlhf.world.Task;
import org.instruct4j.rlhf.world.TaskFamily;
import org.instruct4j.rlhf.world.WorldFormat;

/**
 * Can the reward model tell a right answer from a wrong one in the same form? For each task it scores the
 * labelers' ideal answer against the family's confidently wrong one ("The answer is 23." for 12 + 5; the passage's
 * town swapped for another): the share of tasks where the ideal scores higher, per family. Both answers are short,
 * polite and well ended, so only rightness separates them; 50% is a reward model that cannot see it, and then PPO
 * cannot learn it from that model either.
 */
public final class RewardRightness {
    private RewardRightness() {}

    public static Map<String, Double> idealOverWrong(RewardModel rm, BpeTokenizer tok, List<Task> tasks, long seed) {
        return idealOverWrong(sequences -> rm.scoreNoGrad(sequences, 64), tok, tasks, seed);
    }

    /** The same with any scorer of whole sequences (prompt, response, end-of-text), one score each, in order. */
    static Map<String, Double> idealOverWrong(Function<List<int[]>, float[]> scorer, BpeTokenizer tok, List<Task> tasks, long seed) {
        Rng rng = new Rng(seed);
        List<int[]> seqs = new ArrayList<>();
        for (Task t : tasks) {
            TaskFamily f = t.familyImpl();
            seqs.add(sequence(tok, t, f.ideal(t)));
            seqs.add(sequence(tok, t, f.wrong(t, rng)));
        }
        float[] scores = scorer.apply(seqs);
        Map<String, int[]> counts = new TreeMap<>();
        for (int i = 0; i < tasks.size(); i++) {
            int[] c = counts.computeIfAbsent(tasks.get(i).family(), k -> new int[2]);
            c[1]++;
            if (scores[2 * i] > scores[2 * i + 1]) c[0]++;
        }
        Map<String, Double> out = new TreeMap<>();
        counts.forEach((family, c) -> out.put(family, (double) c[0] / c[1]));
        return out;
    }

    /** Prompt, response and end-of-text, as the reward model saw its training rankings. */
    private static int[] sequence(BpeTokenizer tok, Task t, String response) {
        int[] r = tok.encode(WorldFormat.completion(response));
        int[] withEot = java.util.Arrays.copyOf(r, r.length + 1);
        withEot[r.length] = tok.endOfText();
        return Sequences.concat(tok.encode(t.prompt()), withEot);
    }
}
