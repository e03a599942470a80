package org.instruct4j.rlhf.world;

import org.instruct4j.engine.Rng;

import java.util.List;

/**
 * How labelers write demonstrations. Writing a good answer is harder than recognising one: a labeler writing a
 * demonstration usually gives the ideal response, but now and then keeps talking after the answer (a pleasantry,
 * then remarks about other things) until the response is longer than the same labeler, comparing responses side
 * by side, finds concise; on a closed-domain task a remark often states a fact that is not in the text, a
 * hallucination. Every such demonstration scores below the ideal under the labelers' own criteria.
 *
 * <p>This is what leaves room for the paper's result that RLHF beats SFT: the SFT model imitates the
 * demonstrations, habit included, while the reward model learns the labelers' preferences from their comparisons
 * and PPO steers the policy towards answers that stop when they are done.
 */
public final class WritingHabits {
    private WritingHabits() {}

    /** Default share of demonstrations that run on past the answer. */
    public static final double DEFAULT_RATE = 0.5;

    private static final List<String> PLEASANTRIES = List.of("I hope this helps!", "Happy to help with that.",
            "Let me know if you need more.", "That was a nice one to do!", "Thank you for asking.");

    /** The response a labeler writes for the task: with probability rate it runs on (see {@link #runOn}). */
    public static String demonstration(Task task, double rate, Rng rng) {
        String ideal = task.familyImpl().ideal(task, rng);
        return rng.nextDouble() < rate ? runOn(task, ideal, rng) : ideal;
    }

    /** The answer, then a pleasantry or a remark, then more remarks until it is past the task's concise limit. */
    private static String runOn(Task task, String answer, Rng rng) {
        StringBuilder sb = new StringBuilder(answer);
        sb.append(' ').append(rng.nextInt(2) == 0 ? Vocab.pick(PLEASANTRIES, rng) : PretrainCorpus.sentence(rng));
        int limit = task.familyImpl().conciseLimit(task);
        while (Words.count(sb.toString()) <= limit) sb.append(' ').append(PretrainCorpus.sentence(rng));
        return sb.toString();
    }
}
