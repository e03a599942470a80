package org.instruct4j.rlhf.world;

/**
 * What a family's checker says about one response; the family-independent criteria (rudeness, length, ending)
 * are added by {@link Judge}.
 *
 * @param credit            how much of the task is done, 0..1 (1 when correct; partial answers get part of it)
 * @param correct           the task is done right
 * @param attempts          the response attempts the instruction at all (not a continuation of the prompt)
 * @param followsConstraint the explicit constraints of the instruction are met (true when it states none)
 * @param hallucinates      closed-domain tasks only: states facts that are not in the given text
 */
public record FamilyCheck(double credit, boolean correct, boolean attempts, boolean followsConstraint, boolean hallucinates) {
    public static FamilyCheck of(boolean correct, double partialCredit, boolean attempts, boolean followsConstraint,
                                 boolean hallucinates) {
        return new FamilyCheck(correct ? 1.0 : partialCredit, correct, attempts, followsConstraint, hallucinates);
    }
}
