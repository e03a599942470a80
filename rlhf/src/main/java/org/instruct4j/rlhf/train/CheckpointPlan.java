package org.instruct4j.rlhf.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.instruct4j.engine.Device;
import org.instruct4j.engine.nn.Pretrained;
import org.instruct4j.engine.text.BpeTokenizer;

/**
 * How a run keeps checkpoints, the same for every trainer: into which folder (the run's output model folder, so
 * that every checkpoint is also a usable model folder, tokenizer included), every how many steps (0: only when the
 * trainer is asked to), and the run's settings by name, which every checkpoint records so that a resume with other
 * settings is refused, naming the setting.
 */
public record CheckpointPlan(Path folder, int every, BpeTokenizer tokenizer, Map<String, String> settings) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public CheckpointPlan {
        if (every < 0) throw new IllegalArgumentException("checkpoint interval must be >= 0, got " + every);
        settings = settings == null ? Map.of() : new LinkedHashMap<>(settings);
    }

    /** No checkpoints. */
    public static CheckpointPlan none() { return new CheckpointPlan(null, 0, null, Map.of()); }

    /** Checkpoints into folder only when a trainer's save is called (no tokenizer, no settings). */
    public static CheckpointPlan at(Path folder) { return new CheckpointPlan(folder, 0, null, Map.of()); }

    /** Whether a checkpoint is due after the given number of steps. */
    public boolean due(long stepsDone) { return folder != null && every > 0 && stepsDone % every == 0; }

    /** The state a trainer saves, with this run's settings and the metrics log's length (log may be null). */
    public TrainState stamp(TrainState state, MetricsLog log) { return state.withRun(log == null ? -1 : log.bytes(), settings); }

    /**
     * The checkpoint in this plan's folder, for a resume: refused (IllegalArgumentException naming the folder) when
     * there is none or when it was made with settings other than this run's.
     */
    public Checkpoint.Loaded resume(Device device) {
        if (folder == null) throw new IllegalArgumentException("--resume needs the run's output folder");
        // An absent folder is left to Checkpoint.load, whose message points to a copy a crash may have left beside it.
        if (Files.isDirectory(folder) && !Files.isRegularFile(folder.resolve(Pretrained.TRAINING_STATE)))
            throw new IllegalArgumentException("--resume: " + folder + " holds no checkpoint to resume (no "
                    + Pretrained.TRAINING_STATE + "; a finished run leaves the model alone, and a run saves "
                    + "checkpoints with --save-every N)");
        Checkpoint.Loaded c = Checkpoint.load(folder, device);
        String differs = c.state().settingThatDiffers(settings);
        if (differs != null)
            throw new IllegalArgumentException("--resume: " + folder + ": " + differs + "; resume with the checkpoint's settings, or start afresh without --resume");
        return c;
    }

    /** A settings record (a trainer config, a model config) as "name" -> value, nested records as "outer.inner". */
    public static Map<String, String> settingsOf(String prefix, Object record) {
        Map<String, String> out = new LinkedHashMap<>();
        flatten(prefix, JSON.valueToTree(record), out);
        return out;
    }

    private static void flatten(String name, JsonNode node, Map<String, String> out) {
        if (!node.isObject()) {
            out.put(name, node.isTextual() ? node.asText() : node.toString());
            return;
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            flatten(name.isEmpty() ? e.getKey() : name + "." + e.getKey(), e.getValue(), out);
        }
    }
}
