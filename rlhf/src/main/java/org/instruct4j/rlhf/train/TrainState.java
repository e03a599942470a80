package org.instruct4j.rlhf.train;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where a run stands, written as training_state.json beside a checkpoint's weights ({@link Checkpoint}): the steps
 * done, the trainer's random stream, a few named numbers (best score, KL beta, data cursors), the data orders that
 * a resumed run cannot redraw from the seed alone (PPO's prompt order), how many bytes of the metrics log belong to
 * the steps done (a resumed run cuts off what a killed run wrote after its last checkpoint), and the settings the
 * run was started with, so that a resume with other settings is refused by name.
 *
 * @param history      what a trainer's result reports of every step so far (its losses), so a resumed run returns
 *                     the whole run's
 * @param metricsBytes the metrics log's length at the checkpoint; -1 when the run kept no log
 */
public record TrainState(long step, long rngState, Map<String, Double> scalars, Map<String, int[]> orders,
                         Map<String, List<Double>> history, long metricsBytes, Map<String, String> settings) {
    public TrainState {
        scalars = scalars == null ? Map.of() : Map.copyOf(scalars);
        orders = orders == null ? Map.of() : Map.copyOf(orders);
        Map<String, List<Double>> frozen = new LinkedHashMap<>();
        if (history != null) history.forEach((name, values) -> frozen.put(name, List.copyOf(values)));
        history = Map.copyOf(frozen);
        settings = settings == null ? Map.of() : new LinkedHashMap<>(settings);
    }

    /** A state with no data orders, no history, no metrics log and no recorded settings. */
    public TrainState(long step, long rngState, Map<String, Double> scalars) {
        this(step, rngState, scalars, Map.of(), Map.of(), -1, Map.of());
    }

    /** The same state with the given history. */
    public TrainState withHistory(Map<String, List<Double>> history) {
        return new TrainState(step, rngState, scalars, orders, history, metricsBytes, settings);
    }

    /** A history list, empty when the checkpoint has none of that name. */
    public List<Double> history(String name) { return history.getOrDefault(name, List.of()); }

    public double scalar(String name, double fallback) { return scalars.getOrDefault(name, fallback); }

    /** The same state with the run's metrics-log length and settings (what {@link CheckpointPlan} adds to every save). */
    public TrainState withRun(long metricsBytes, Map<String, String> settings) {
        return new TrainState(step, rngState, scalars, orders, history, metricsBytes, settings);
    }

    /** The first setting whose value differs between this checkpoint and current, as a sentence; null when none does. */
    public String settingThatDiffers(Map<String, String> current) {
        for (Map.Entry<String, String> e : current.entrySet()) {
            String saved = settings.get(e.getKey());
            if (!e.getValue().equals(saved))
                return "setting '" + e.getKey() + "' differs: the checkpoint was made with " + (saved == null ? "no such setting" : saved)
                        + ", this run has " + e.getValue();
        }
        for (String name : settings.keySet())
            if (!current.containsKey(name)) return "setting '" + name + "' differs: the checkpoint was made with " + settings.get(name) + ", this run has none";
        return null;
    }
}
