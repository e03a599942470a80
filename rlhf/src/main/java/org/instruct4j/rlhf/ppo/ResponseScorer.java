package org.instruct4j.rlhf.ppo;

import java.util.ArrayList;
import java.util.List;
import org.instruct4j.rlhf.rm.RewardModel;
import org.instruct4j.rlhf.train.Sequences;

/**
 * What PPO maximises: a score for each response to its prompt. The paper's is a reward model ({@link #of}); any
 * function of the tokens will do, such as a program that checks the answer.
 */
@FunctionalInterface
public interface ResponseScorer {
    /**
     * One score per response; called without a graph, a PPO minibatch at a time.
     *
     * @param prompts   the prompts' tokens as the policy read them (cut from the left where the response needed room)
     * @param responses the responses' tokens, each ending with end-of-text (appended to one cut off at the token limit)
     */
    float[] score(List<int[]> prompts, List<int[]> responses);

    /** The reward model's score of prompt + response, fitted into its context, read at the last token. */
    static ResponseScorer of(RewardModel rm) {
        return (prompts, responses) -> {
            List<int[]> sequences = new ArrayList<>();
            for (int i = 0; i < prompts.size(); i++)
                sequences.add(Sequences.fit(prompts.get(i), responses.get(i), rm.trunk().config().contextLength()));
            return rm.scores(sequences).toFloatArray();
        };
    }
}
