package org.instruct4j.rlhf.world;

/**
 * Everything the world can say about one response to one task: the paper's metadata questions (attempts the
 * instruction, follows its constraints, hallucinates on a closed-domain task, is appropriate) plus length and
 * ending, and one scalar quality under the default criterion weights.
 *
 * @param credit  0..1, how much of the task is done (1 when correct)
 * @param words   response length in words
 * @param quality {@link Criteria#DEFAULT} applied to this judgement
 */
public record Judgement(boolean correct, boolean attempts, boolean followsConstraint, boolean hallucinates,
                        boolean rude, boolean concise, boolean endsProperly, double credit, int words, double quality) {

    public boolean polite() { return !rude; }
}
