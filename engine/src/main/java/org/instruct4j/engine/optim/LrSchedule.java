package org.instruct4j.engine.optim;

/**
 * The learning rate at each step (0-based). Schedules compose: {@code linearWarmup(peak, 100, 0.1f,
 * cosine(peak, 900, 0.1f))} warms up for 100 steps, then decays over the next 900.
 */
@FunctionalInterface
public interface LrSchedule {
    float at(int step);

    static LrSchedule constant(float lr) { return step -> lr; }

    /**
     * From fromFraction * peak at step 0 up linearly to peak at step warmupSteps; from there on, then (which
     * sees its own steps counted from 0).
     */
    static LrSchedule linearWarmup(float peak, int warmupSteps, float fromFraction, LrSchedule then) {
        if (warmupSteps < 0) throw new IllegalArgumentException("warm-up steps must be >= 0, got " + warmupSteps);
        return step -> step < warmupSteps
                ? peak * (fromFraction + (1f - fromFraction) * step / warmupSteps)
                : then.at(step - warmupSteps);
    }

    /** Cosine decay from peak at step 0 to floorFraction * peak at totalSteps, flat after. */
    static LrSchedule cosine(float peak, int totalSteps, float floorFraction) {
        if (totalSteps <= 0) throw new IllegalArgumentException("cosine schedule needs totalSteps > 0, got " + totalSteps);
        float floor = floorFraction * peak;
        return step -> {
            if (step >= totalSteps) return floor;
            double progress = Math.max(0, step) / (double) totalSteps;
            return (float) (floor + (peak - floor) * 0.5 * (1 + StrictMath.cos(Math.PI * progress)));
        };
    }
}
