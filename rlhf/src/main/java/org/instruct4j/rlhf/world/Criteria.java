package org.instruct4j.rlhf.world;

/**
 * How much a labeler cares about each criterion. A response's score is the weighted sum of the criteria it meets
 * (credit counts as a fraction), minus a small cost per word beyond the concise limit.
 */
public record Criteria(double credit, double attempts, double followsConstraint, double noHallucination,
                       double polite, double concise, double endsProperly, double perExtraWord) {

    /** The training labelers' shared weights (helpful first, then honest and harmless, then style). */
    public static final Criteria DEFAULT = new Criteria(3.0, 1.0, 1.5, 2.0, 2.5, 0.8, 0.7, 0.05);

    /**
     * The held-out labelers weigh things differently: more about harm and honesty, less about style.
     */
    public static final Criteria HELD_OUT = new Criteria(2.6, 0.8, 1.2, 2.8, 3.2, 0.4, 0.4, 0.03);

    public double score(double credit, boolean attempts, boolean follows, boolean hallucinates,
                        boolean rude, boolean concise, boolean endsProperly, int extraWords) {
        return this.credit * credit + (attempts ? this.attempts : 0) + (follows ? followsConstraint : 0)
                + (hallucinates ? 0 : noHallucination) + (rude ? 0 : polite) + (concise ? this.concise : 0)
                + (endsProperly ? this.endsProperly : 0) - perExtraWord * extraWords;
    }

    public double score(Judgement j, int conciseLimit) {
        return score(j.credit(), j.attempts(), j.followsConstraint(), j.hallucinates(), j.rude(),
                j.concise(), j.endsProperly(), Math.max(0, j.words() - conciseLimit));
    }

    /** These weights, each multiplied by (1 + spread * a standard normal draw): one labeler's own taste. */
    public Criteria jitter(org.instruct4j.engine.Rng rng, double spread) {
        return new Criteria(credit * f(rng, spread), attempts * f(rng, spread), followsConstraint * f(rng, spread),
                noHallucination * f(rng, spread), polite * f(rng, spread), concise * f(rng, spread),
                endsProperly * f(rng, spread), perExtraWord * f(rng, spread));
    }

    private static double f(org.instruct4j.engine.Rng rng, double spread) { return Math.max(0.1, 1 + spread * rng.nextGaussian()); }
}
