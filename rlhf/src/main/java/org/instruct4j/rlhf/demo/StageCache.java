package org.instruct4j.rlhf.demo;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Comparator;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Stream;
import org.instruct4j.engine.Device;
import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.io.AtomicFiles;
import org.instruct4j.engine.io.IoErrors;
import org.instruct4j.engine.nn.Pretrained;
import org.instruct4j.engine.nn.PretrainedModel;
import org.instruct4j.engine.text.BpeTokenizer;
import org.instruct4j.rlhf.data.Jsonl;
import org.instruct4j.rlhf.train.CheckpointPlan;
import org.instruct4j.rlhf.train.Fingerprint;
import org.instruct4j.rlhf.train.MetricsLog;
import org.instruct4j.rlhf.train.TrainState;

/**
 * The finished stages of a demo run (models/&lt;stage&gt;/), so that {@code demo --resume} can pick up where an
 * interrupted or earlier run stopped. Each stage folder holds the weights and a stage.json with the settings that
 * made them (a fingerprint string), the weights' digest and the stage's results for the report. A stage is reused
 * only when its fingerprint matches the current settings exactly and its weights are still those; stage.json is
 * written last, so a half-written stage is never reused. A stage that was cut short continues from its checkpoint (models/&lt;stage&gt;-checkpoint/, written every
 * saveEvery steps and made with the same fingerprint) and ends as it would have ended uninterrupted.
 */
final class StageCache {
    private static final String STAGE_FILE = "stage.json", CHECKPOINT = "-checkpoint";

    /**
     * What stage.json holds: the settings, the SHA-256 of the weights file it was written with (a later save into the
     * folder, by another command, keeps stage.json but not those weights) and the stage's results.
     */
    record Entry<R>(String fingerprint, String weights, R result) {}

    private final Path models;
    private final boolean resume;
    private final int saveEvery;
    private final PrintStream console;

    /**
     * console hears, when resuming, why a stage is run again instead of reused; saveEvery: steps between a running
     * stage's checkpoints (0: none).
     */
    StageCache(Path models, boolean resume, int saveEvery, PrintStream console) {
        this.models = models;
        this.resume = resume;
        this.saveEvery = saveEvery;
        this.console = console;
    }

    /**
     * Without --resume, a line when the folder holds an earlier run's models: a run started again by mistake
     * replaces each of them as its stage ends, and --resume would have kept those made with the same settings.
     */
    void warnOfEarlierModels() throws IOException {
        if (resume || !Files.isDirectory(models)) return;
        try (var entries = Files.list(models)) {
            if (entries.findAny().isEmpty()) return;
        }
        console.println("  " + models + " holds an earlier run's models: each is replaced when its stage ends "
                + "(--resume reuses those made with the same settings)");
    }

    /** The checkpoint a run cut short left in models (models/&lt;stage&gt;-checkpoint with its training state), if any. */
    static Optional<Path> checkpointLeft(Path models) throws IOException {
        if (!Files.isDirectory(models)) return Optional.empty();
        try (Stream<Path> s = Files.list(models)) {
            return s.filter(p -> p.getFileName().toString().endsWith(CHECKPOINT) && Files.isRegularFile(p.resolve(Pretrained.TRAINING_STATE)))
                    .sorted().findFirst();
        }
    }

    /** A stage about to train: where and how often it saves checkpoints, and its metrics log. */
    record Run(CheckpointPlan plan, MetricsLog log) {}

    /**
     * Starts a stage's training: when resuming and the stage's checkpoint was made with the same fingerprint,
     * restore (the trainer's resume method) continues from it and the metrics file is cut back to it; otherwise
     * the metrics file starts afresh.
     */
    Run start(String stage, String fingerprint, BpeTokenizer tokenizer, Path metricsFile, Function<CheckpointPlan, TrainState> restore)
            throws IOException {
        CheckpointPlan plan = new CheckpointPlan(models.resolve(stage + CHECKPOINT), saveEvery, tokenizer, Map.of("stage", fingerprint));
        if (resume) Pretrained.settle(plan.folder());   // a checkpoint whose save a crash cut short is still one
        if (resume && Files.isRegularFile(plan.folder().resolve(Pretrained.TRAINING_STATE))) {
            try {
                TrainState state = restore.apply(plan);   // checks the fingerprint before it restores anything
                console.println("  --resume: continuing from " + plan.folder() + " after step " + state.step());
                return new Run(plan, MetricsLog.resume(metricsFile, state.metricsBytes()));
            } catch (IllegalArgumentException e) {
                console.println("  --resume: " + plan.folder() + " was made with other settings; the stage starts afresh");
            }
        }
        return new Run(plan, MetricsLog.fresh(metricsFile));
    }

    /** Drops the stage's checkpoint once the stage is finished (its model and stage.json are written), and what crashes left of it. */
    void dropCheckpoint(String stage) throws IOException {
        Path folder = models.resolve(stage + CHECKPOINT);
        Pretrained.settle(folder);
        if (!Files.exists(folder)) return;
        try (Stream<Path> s = Files.walk(folder)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }

    /** The saved result of the stage, when resuming and the stage was finished with the same settings. */
    <R> Optional<R> result(String stage, String fingerprint, Class<R> type) throws IOException {
        if (!resume) return Optional.empty();
        Pretrained.settle(folder(stage));
        Path file = models.resolve(stage).resolve(STAGE_FILE);
        if (!Files.exists(file) || !Files.exists(weightsFile(stage)))
            // With a checkpoint to go on from, start() says what happens to the stage, in one line.
            return hasCheckpoint(stage) ? Optional.empty() : again(models.resolve(stage) + " holds no finished stage");
        try {
            var node = Jsonl.mapper().readTree(file.toFile());
            String made = node.path("fingerprint").asText();
            if (!fingerprint.equals(made)) return again(file + " was made with other settings" + firstDifference(made, fingerprint));
            // A stage.json written before it kept the weights' digest has none to compare.
            String weights = node.path("weights").asText("");
            if (!weights.isEmpty() && !weights.equals(Fingerprint.sha256(weightsFile(stage))))
                return again(weightsFile(stage) + " is not the one its stage.json was written with (another command saved into the folder since)");
            return Optional.of(Jsonl.mapper().treeToValue(node.path("result"), type));
        } catch (IOException e) {
            return again(file + " cannot be read (" + IoErrors.describe(e) + ")");
        }
    }

    /**
     * Where two stage fingerprints (settings written out as words) first differ, with the word before it for
     * context: ` (it has "seed=1" where this run has "seed=2")`; empty when they differ only in length.
     */
    static String firstDifference(String made, String wanted) {
        String[] a = made.split("[\\s\\[\\],]+"), b = wanted.split("[\\s\\[\\],]+");
        for (int i = 0; i < Math.min(a.length, b.length); i++) {
            if (a[i].equals(b[i])) continue;
            String before = i > 0 && !a[i].contains("=") ? a[i - 1] + " " : "";
            return " (it has \"" + before + a[i] + "\" where this run has \"" + before + b[i] + "\")";
        }
        return "";
    }

    private <R> Optional<R> again(String why) {
        console.println("  --resume: " + why + "; running the stage again");
        return Optional.empty();
    }

    /** The weights of a stage that {@link #result} found: the GPT-2's parameters and a head's tensors, by our names. */
    Map<String, Tensor> weights(String stage, Device device) throws IOException {
        PretrainedModel m = Pretrained.loadWithExtras(folder(stage), device, null);
        Map<String, Tensor> all = new LinkedHashMap<>(m.gpt().parameters());
        all.putAll(m.extras());
        return all;
    }

    /** Marks the stage finished (its model folder must already be in models/&lt;stage&gt;/) and drops its checkpoint. */
    void finish(String stage, String fingerprint, Object result) throws IOException {
        Entry<Object> entry = new Entry<>(fingerprint, Fingerprint.sha256(weightsFile(stage)), result);
        byte[] json = (Jsonl.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(entry) + "\n")
                .getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(models.resolve(stage).resolve(STAGE_FILE), o -> o.write(json));
        dropCheckpoint(stage);
    }

    Path folder(String stage) { return models.resolve(stage); }

    private boolean hasCheckpoint(String stage) throws IOException {
        Path checkpoint = models.resolve(stage + CHECKPOINT);
        Pretrained.settle(checkpoint);
        return Files.isRegularFile(checkpoint.resolve(Pretrained.TRAINING_STATE));
    }

    private Path weightsFile(String stage) { return models.resolve(stage).resolve("model.safetensors"); }
}
