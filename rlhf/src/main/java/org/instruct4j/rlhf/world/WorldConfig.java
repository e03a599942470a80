package org.instruct4j.rlhf.world;

import java.util.List;

/**
 * Sizes of the world's data sets; everything is deterministic given the seed.
 *
 * @param pretrainChars     size of pretrain.txt in characters (about bytes: the language is ASCII)
 * @param rmTasks           tasks whose model samples the pipeline ranks for the reward model
 * @param syntheticRankings rankings of generated (model-free) candidates, K = 4..9, for tests and a quick RM
 * @param agreementSets     response sets used to measure labeler agreement for world.json
 * @param habitRate         share of demonstrations written with a habit the labelers mark down (WritingHabits)
 */
public record WorldConfig(long seed, long pretrainChars, int demonstrations, int rmTasks, int syntheticRankings,
                          int ppoPrompts, int evalTasks, int publicNlp, int trainingLabelers, int heldOutLabelers,
                          int agreementSets, double habitRate) {

    public WorldConfig {
        if (pretrainChars < 0 || demonstrations < 0 || rmTasks < 0 || syntheticRankings < 0 || ppoPrompts < 0
                || evalTasks < 0 || publicNlp < 0 || agreementSets < 0)
            throw new IllegalArgumentException("world sizes must not be negative: " + this);
        if (trainingLabelers < 2 || heldOutLabelers < 2)
            throw new IllegalArgumentException("need at least 2 training and 2 held-out labelers to measure agreement");
        if (!(habitRate >= 0 && habitRate <= 1)) throw new IllegalArgumentException("habitRate must be in [0, 1], got " + habitRate);
    }

    /** The default world: 2 MB of pretraining text, a few thousand examples per set. */
    public static WorldConfig defaults(long seed) {
        return new WorldConfig(seed, 2_000_000, 12_000, 1500, 1000, 3000, 600, 400, 5, 3, 300, WritingHabits.DEFAULT_RATE);
    }

    /** A tiny world for tests. */
    public static WorldConfig tiny(long seed) {
        return new WorldConfig(seed, 50_000, 50, 20, 20, 50, 30, 20, 3, 2, 40, WritingHabits.DEFAULT_RATE);
    }

    /** This world's training labelers: they write the demonstrations, rank answers for the reward model and judge. */
    public List<Labeler> trainingPanel() { return Labeler.training(trainingLabelers, seed ^ 0x5EEDL); }

    /** This world's held-out labelers, who write no training data. */
    public List<Labeler> heldOutPanel() { return Labeler.heldOut(heldOutLabelers, seed ^ 0xFEEDL); }

    public WorldConfig withSeed(long newSeed) {
        return new WorldConfig(newSeed, pretrainChars, demonstrations, rmTasks, syntheticRankings, ppoPrompts,
                evalTasks, publicNlp, trainingLabelers, heldOutLabelers, agreementSets, habitRate);
    }
}
