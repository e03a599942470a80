package org.instruct4j.rlhf.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.instruct4j.engine.Device;
import org.instruct4j.engine.nn.Gpt;
import org.instruct4j.rlhf.train.ModelFolder;
import org.instruct4j.rlhf.train.TinyWorld;
import org.instruct4j.engine.Rng;
import org.instruct4j.rlhf.pretrain.PretrainConfig;
import org.instruct4j.rlhf.pretrain.Pretrainer;
import org.instruct4j.rlhf.train.MetricsLog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A stage is reused only with --resume, only when finished, and only with the same settings; otherwise it says why. */
class StageCacheTest {
    @TempDir Path models;

    record Losses(List<Double> losses) {}

    private final ByteArrayOutputStream said = new ByteArrayOutputStream();

    private StageCache cache(boolean resume) {
        return new StageCache(models, resume, 3, new PrintStream(said, true, StandardCharsets.UTF_8));
    }

    @Test
    void reusesOnlyAFinishedStageWithTheSameSettings() throws Exception {
        assertThat(cache(true).result("gpt", "key 1", Losses.class)).isEmpty();
        assertThat(said.toString(StandardCharsets.UTF_8)).contains("holds no finished stage");

        Gpt gpt = TinyWorld.model(5);
        ModelFolder.saveLm(models.resolve("gpt"), gpt, null);
        assertThat(cache(true).result("gpt", "key 1", Losses.class)).as("weights but no stage.json: unfinished").isEmpty();

        cache(true).finish("gpt", "key 1", new Losses(List.of(3.0, 2.5)));
        assertThat(cache(true).result("gpt", "key 1", Losses.class)).contains(new Losses(List.of(3.0, 2.5)));
        assertThat(cache(true).weights("gpt", Device.CPU).get("wte.weight").toFloatArray())
                .containsExactly(gpt.parameters().get("wte.weight").toFloatArray());
        assertThat(cache(false).result("gpt", "key 1", Losses.class)).as("without --resume").isEmpty();

        said.reset();
        assertThat(cache(true).result("gpt", "key 2", Losses.class)).isEmpty();
        assertThat(said.toString(StandardCharsets.UTF_8)).contains("stage.json was made with other settings (it has \"key 1\" where this run has \"key 2\")");

        Files.writeString(models.resolve("gpt/stage.json"), "{ not json");
        said.reset();
        assertThat(cache(true).result("gpt", "key 1", Losses.class)).isEmpty();
        assertThat(said.toString(StandardCharsets.UTF_8)).contains("cannot be read");
    }

    /**
     * A stage folder whose weights another command replaced since (sft --out runs/demo/models/sft: the save keeps the
     * files it does not write, stage.json among them) is not taken for the stage: --resume runs the stage again.
     */
    @Test
    void aStageWhoseWeightsWereReplacedSinceRunsAgain() throws Exception {
        ModelFolder.saveLm(models.resolve("gpt"), TinyWorld.model(5), null);
        cache(true).finish("gpt", "key 1", new Losses(List.of(3.0)));
        assertThat(cache(true).result("gpt", "key 1", Losses.class)).isPresent();

        ModelFolder.saveLm(models.resolve("gpt"), TinyWorld.model(6), null);
        assertThat(models.resolve("gpt/stage.json")).as("kept by the save").exists();
        said.reset();
        assertThat(cache(true).result("gpt", "key 1", Losses.class)).isEmpty();
        assertThat(said.toString(StandardCharsets.UTF_8)).contains(models.resolve("gpt/model.safetensors")
                + " is not the one its stage.json was written with");
    }

    @Test
    void saysWhichSettingOfAStageDiffers() {
        String made = "sft v2 WorldConfig[seed=1, demonstrations=800] SftConfig[lr=0.001, epochs=1]";
        assertThat(StageCache.firstDifference(made, made.replace("seed=1", "seed=2"))).isEqualTo(" (it has \"seed=1\" where this run has \"seed=2\")");
        assertThat(StageCache.firstDifference(made, made.replace("epochs=1", "epochs=4"))).isEqualTo(" (it has \"epochs=1\" where this run has \"epochs=4\")");
        assertThat(StageCache.firstDifference("gpt v4 1 300000", "gpt v4 2 300000")).isEqualTo(" (it has \"v4 1\" where this run has \"v4 2\")");
        assertThat(StageCache.firstDifference(made, made + " more")).isEmpty();
    }

    @Test
    void aRunWithoutResumeSaysWhenItWillReplaceAnEarlierRunsModels() throws Exception {
        cache(false).warnOfEarlierModels();
        assertThat(said.toString(StandardCharsets.UTF_8)).as("an empty folder").isEmpty();
        ModelFolder.saveLm(models.resolve("gpt"), TinyWorld.model(5), null);
        cache(true).warnOfEarlierModels();
        assertThat(said.toString(StandardCharsets.UTF_8)).as("with --resume").isEmpty();
        cache(false).warnOfEarlierModels();
        assertThat(said.toString(StandardCharsets.UTF_8)).contains("holds an earlier run's models: each is replaced when its stage ends");
    }

    @Test
    void aStageCutShortContinuesFromItsCheckpointAndEndsAsAnUninterruptedOne() throws Exception {
        Rng rng = new Rng(4);
        int[] corpus = new int[200];
        for (int i = 0; i < corpus.length; i++) corpus[i] = 1 + rng.nextInt(12);
        PretrainConfig pc = PretrainConfig.defaults(8, 2, 8).withSeed(3);
        Path straightLog = models.resolve("straight.jsonl"), stageLog = models.resolve("stage.jsonl");
        Gpt straight = TinyWorld.model(1);
        List<Double> straightLosses;
        try (MetricsLog log = MetricsLog.fresh(straightLog)) {
            straightLosses = new Pretrainer(straight, pc).quiet().train(corpus, log);
        }

        // A run that saved checkpoints every 3 steps and was cut off before the stage was marked finished.
        Pretrainer first = new Pretrainer(TinyWorld.model(1), pc).quiet();
        StageCache.Run run = cache(false).start("gpt", "key 1", null, stageLog, first::resume);
        try (MetricsLog log = run.log()) {
            first.train(corpus, log, run.plan());
        }
        assertThat(models.resolve("gpt-checkpoint/training_state.json")).exists();

        said.reset();
        Gpt other = TinyWorld.model(9);
        StageCache.Run otherKey = cache(true).start("gpt", "key 2", null, models.resolve("other.jsonl"), new Pretrainer(other, pc).quiet()::resume);
        otherKey.log().close();
        assertThat(said.toString(StandardCharsets.UTF_8)).contains("was made with other settings; the stage starts afresh");

        Gpt resumed = TinyWorld.model(9);   // another init: everything must come from the checkpoint
        Pretrainer again = new Pretrainer(resumed, pc).quiet();
        said.reset();
        assertThat(cache(true).result("gpt", "key 1", Losses.class)).isEmpty();
        StageCache.Run second = cache(true).start("gpt", "key 1", null, stageLog, again::resume);
        assertThat(again.step()).isEqualTo(6);
        assertThat(said.toString(StandardCharsets.UTF_8)).as("one line, that says what happens")
                .isEqualTo("  --resume: continuing from " + models.resolve("gpt-checkpoint") + " after step 6" + System.lineSeparator());
        List<Double> losses;
        try (MetricsLog log = second.log()) {
            losses = again.train(corpus, log, second.plan());
        }
        assertThat(losses).containsExactlyElementsOf(straightLosses);
        assertThat(Files.readAllLines(stageLog)).isEqualTo(Files.readAllLines(straightLog));
        assertThat(resumed.parameters().get("wte.weight").toFloatArray()).containsExactly(straight.parameters().get("wte.weight").toFloatArray());
        ModelFolder.saveLm(models.resolve("gpt"), resumed, null);   // as the demo does before it marks the stage finished
        cache(true).finish("gpt", "key 1", new Losses(losses));
        assertThat(models.resolve("gpt-checkpoint")).doesNotExist();
    }

    /**
     * kill -9 in the middle of a save leaves the folder's temporary copies beside it (".NAME.new-*", never placed;
     * ".NAME.old-*", the content before the save) and AtomicFiles' temporary files: --resume goes on from the last
     * complete checkpoint, also when the crash fell between the two renames of its save (the folder is then missing),
     * and once the stage is finished none of them is left.
     */
    @Test
    void aSaveCutShortLosesNoCheckpointAndLeavesNothingBehind(@TempDir Path logs) throws Exception {
        Rng rng = new Rng(4);
        int[] corpus = new int[200];
        for (int i = 0; i < corpus.length; i++) corpus[i] = 1 + rng.nextInt(12);
        PretrainConfig pc = PretrainConfig.defaults(8, 2, 8).withSeed(3);
        Gpt straight = TinyWorld.model(1);
        try (MetricsLog log = MetricsLog.fresh(logs.resolve("straight.jsonl"))) {
            new Pretrainer(straight, pc).quiet().train(corpus, log);
        }

        Pretrainer first = new Pretrainer(TinyWorld.model(1), pc).quiet();
        StageCache.Run run = cache(false).start("gpt", "key 1", null, logs.resolve("stage.jsonl"), first::resume);
        try (MetricsLog log = run.log()) {
            first.train(corpus, log, run.plan());
        }
        ModelFolder.saveLm(models.resolve("gpt"), TinyWorld.model(7), null);   // an earlier run's model, with a stage.json cut short
        Files.writeString(models.resolve("gpt/.stage.json.8071.tmp"), "{ \"finger");
        Files.move(models.resolve("gpt-checkpoint"), models.resolve(".gpt-checkpoint.old-1f"));   // between the two renames
        Files.createDirectories(models.resolve(".gpt-checkpoint.new-42"));
        Files.writeString(models.resolve(".gpt-checkpoint.new-42/model.safetensors"), "half a file");
        Files.createDirectories(models.resolve(".gpt.new-77"));

        Gpt resumed = TinyWorld.model(9);
        Pretrainer again = new Pretrainer(resumed, pc).quiet();
        StageCache.Run second = cache(true).start("gpt", "key 1", null, logs.resolve("stage.jsonl"), again::resume);
        assertThat(again.step()).as("the checkpoint of step 6, from where the crash left it").isEqualTo(6);
        List<Double> losses;
        try (MetricsLog log = second.log()) {
            losses = again.train(corpus, log, second.plan());
        }
        assertThat(resumed.parameters().get("wte.weight").toFloatArray()).containsExactly(straight.parameters().get("wte.weight").toFloatArray());
        ModelFolder.saveLm(models.resolve("gpt"), resumed, null);
        cache(true).finish("gpt", "key 1", new Losses(losses));
        try (var left = Files.list(models)) {
            assertThat(left.map(p -> p.getFileName().toString())).containsExactly("gpt");
        }
        try (var left = Files.list(models.resolve("gpt"))) {
            assertThat(left.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith("."));
        }
    }
}
