package org.instruct4j.rlhf.world;

import java.util.Map;

/**
 * What World.writeAll made (also written as world.json): file record counts and the measured labeler agreement
 * (fraction of pairwise comparisons two labelers decide the same way).
 */
public record WorldSummary(long seed, Map<String, Integer> counts, long pretrainChars, double labelerNoise,
                           double trainingAgreement, double heldOutAgreement, double trainingVsHeldOutAgreement) {}
