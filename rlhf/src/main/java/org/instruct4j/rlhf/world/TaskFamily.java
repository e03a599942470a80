package org.instruct4j.rlhf.world;

import org.instruct4j.engine.Rng;

/** One kind of task: how to make one, what an ideal answer is, how to check an answer, how to get one wrong. */
public interface TaskFamily {
    /** The name stored in task JSON. */
    String name();

    /** Whether the answer must stay within the text given in the prompt (hallucination is measured only then). */
    boolean closedDomain();

    /**
     * Checks that task holds the data fields this family's methods read, with values they can use; a task read from
     * a file is checked as it is read (a file of tasks is refused before any of them is answered).
     *
     * @throws IllegalArgumentException naming the first field missing or out of range
     */
    void validate(Task task);

    /** A random task in one of the family's phrasings. */
    Task generate(Rng rng);

    /** The canonical ideal response. */
    String ideal(Task task);

    /** An ideal response as one labeler might word it (demonstrations vary their wording). */
    String ideal(Task task, Rng rng);

    /** The family-specific part of the judgement. */
    FamilyCheck check(Task task, String response);

    /** A response that gets the task partly right. */
    String partial(Task task, Rng rng);

    /** A confidently wrong response; for closed-domain families, one with facts not in the text. */
    String wrong(Task task, Rng rng);

    /** Responses longer than this many words are not concise. */
    default int conciseLimit(Task task) { return Math.max(10, 2 * Words.count(ideal(task))); }
}
