package org.instruct4j.rlhf.train;

import java.util.Map;

/**
 * Where a run stands: steps done, the trainer's random stream, and a few named numbers (best score, KL beta).
 * Written as training_state.json beside a checkpoint's weights ({@link Checkpoint}).
 */
public record TrainState(long step, long rngState, Map<String, Double> scalars) {
    public TrainState {
        scalars = Map.copyOf(scalars);
    }

    public double scalar(String name, double fallback) { return scalars.getOrDefault(name, fallback); }
}
