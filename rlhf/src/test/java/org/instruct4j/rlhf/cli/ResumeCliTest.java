package org.instruct4j.rlhf.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.instruct4j.engine.Device;
import org.instruct4j.engine.Rng;
import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.backend.cpu.VectorSupport;
import org.instruct4j.engine.io.SafeTensors;
import org.instruct4j.rlhf.data.Jsonl;
import org.instruct4j.rlhf.train.Fingerprint;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every training command survives kill -9: it runs in a child process with --save-every, is killed (SIGKILL) at a
 * random point after one of its checkpoints, and is resumed with --resume (in this JVM, as the uninterrupted run
 * it is compared with); its final weights and its metrics file must then be byte for byte those of the
 * uninterrupted run (CPU, this machine). The models are tiny and the runs a few dozen steps.
 */
class ResumeCliTest {
    @TempDir static Path dir;
    private static String lm, sft, rm, corpus, demos, ranks, prompts;
    private static final Pattern SAVED = Pattern.compile("checkpoint of (?:step|iteration) (\\d+) in ");
    private final Rng rng = new Rng(13);   // which checkpoint each run is killed after

    @BeforeAll
    static void inputs() throws Exception {
        corpus = write("corpus.txt", CatCorpus.documents(40));
        StringBuilder d = new StringBuilder(), r = new StringBuilder(), p = new StringBuilder();
        String[] things = {"cat", "mat", "hat", "bat", "rat", "sat", "fat", "pat"};
        for (int i = 0; i < things.length; i++) {
            String a = things[i], b = things[(i + 3) % things.length];
            d.append("{\"prompt\": \"").append(a).append("?\", \"completion\": \" the ").append(a).append(" sat\"}\n");
            r.append("{\"prompt\": \"").append(a).append("?\", \"completions\": [\" the ").append(a).append("\", \" ").append(b)
                    .append(" ").append(b).append("\", \" sat\"], \"ranking\": [0, 2, 1]}\n");
            p.append("{\"prompt\": \"").append(a).append("?\"}\n");
        }
        demos = write("demos.jsonl", d.toString());
        ranks = write("ranks.jsonl", r.toString());
        prompts = write("prompts.jsonl", p.toString());
        lm = dir.resolve("lm").toString();
        sft = dir.resolve("sft").toString();
        rm = dir.resolve("rm").toString();
        assertThat(Main.run(new String[] {"pretrain", "--text", corpus, "--out", lm, "--vocab", "280", "--context", "32", "--steps", "4", "--batch", "2"})).isZero();
        assertThat(Main.run(new String[] {"sft", "--model", lm, "--data", demos, "--out", sft, "--epochs", "1", "--batch", "4", "--lr", "1e-3"})).isZero();
        assertThat(Main.run(new String[] {"rm", "--model", sft, "--data", ranks, "--out", rm, "--batch", "4"})).isZero();
    }

    private static String write(String name, String text) throws IOException {
        Path f = dir.resolve(name);
        Files.writeString(f, text);
        return f.toString();
    }

    @Test
    void pretrain() throws Exception {
        // with a held-out loss every 5 steps: its lines in the metrics file survive the kill as the training's do
        killAndResume("pretrain", 4, "pretrain", "--text", corpus, "--vocab", "280", "--context", "32", "--steps", "24", "--batch", "4",
                "--validation", corpus, "--eval-every", "5");
    }

    @Test
    void sft() throws Exception {
        // dropout 0.2 (its random stream), validation at each epoch end and the best epoch's weights kept at the end
        killAndResume("sft", 3, "sft", "--model", lm, "--data", demos, "--validation", demos, "--epochs", "3", "--batch", "1", "--lr", "1e-3");
    }

    @Test
    void rm() throws Exception {
        killAndResume("rm", 3, "rm", "--model", sft, "--data", ranks, "--validation", ranks, "--epochs", "3", "--batch", "1", "--lr", "1e-4");
    }

    @Test
    void ppo() throws Exception {
        killAndResume("ppo", 2, "ppo", "--policy", sft, "--reward", rm, "--prompts", prompts, "--iterations", "8", "--batch", "2",
                "--minibatch", "1", "--max-new", "4", "--lr", "1e-3", "--value-lr", "1e-3");
    }

    @Test
    void ppoPtxWithAdaptiveKl() throws Exception {
        killAndResume("ppo-ptx", 2, "ppo", "--policy", sft, "--reward", rm, "--prompts", prompts, "--iterations", "8", "--batch", "2",
                "--minibatch", "1", "--max-new", "4", "--lr", "1e-3", "--value-lr", "1e-3", "--ptx-coef", "1", "--ptx-text", corpus, "--adaptive-kl");
    }

    @Test
    void resumingWithoutACheckpointSaysSo() throws Exception {
        String out = dir.resolve("settings").toString();
        String[] run = {"sft", "--model", lm, "--data", demos, "--out", out, "--epochs", "1", "--batch", "4", "--save-every", "1"};
        assertThat(Main.run(run)).isZero();
        assertThatThrownBy(() -> new SftCommand().run(new String[] {"--model", lm, "--data", demos, "--out", out, "--epochs", "1", "--batch", "4", "--resume"}))
                .isInstanceOf(UserError.class).hasMessageContaining("holds no checkpoint to resume");   // a finished run leaves a model
        Files.writeString(Path.of(out, "training_state.json"), "{}");   // a state that records no settings
        assertThatThrownBy(() -> new SftCommand().run(new String[] {"--model", lm, "--data", demos, "--out", out, "--epochs", "1", "--batch", "4", "--resume"}))
                .isInstanceOf(UserError.class).hasMessageContaining("setting 'lr' differs: the checkpoint was made with no such setting");
    }

    /** A checkpoint whose training state a crash or a full disk cut short is refused in one line naming the file and where it ends. */
    @Test
    void aCheckpointWithADamagedStateIsRefusedNamingTheFile() throws Exception {
        Path out = dir.resolve("damaged-state");
        String[] args = {"--model", lm, "--data", demos, "--out", out.toString(), "--epochs", "1", "--batch", "4"};
        assertThat(new SftCommand().run(args)).isZero();
        Files.writeString(out.resolve("training_state.json"), "{\n  \"step\" : 1,\n  \"rngSt");
        String[] resume = java.util.stream.Stream.concat(java.util.Arrays.stream(args), java.util.stream.Stream.of("--resume")).toArray(String[]::new);
        assertThatThrownBy(() -> new SftCommand().run(resume)).isInstanceOf(UserError.class)
                .hasMessageContaining(out.resolve("training_state.json") + ":3:").hasMessageContaining("not valid JSON")
                .hasMessageNotContaining("\n").hasMessageNotContaining("REDACTED");
    }

    /** A resume with other inputs of the same size (other demonstrations, another reward model) is refused by name. */
    @Test
    void resumingWithOtherInputsIsRefusedNamingThem() throws Exception {
        String sftOut = dir.resolve("other-data").toString();
        assertThat(run(List.of("sft", "--model", lm, "--data", demos, "--epochs", "50", "--batch", "1", "--save-every", "2", "--out", sftOut),
                2, KILL).exitCode()).isNotZero();
        Path shuffled = dir.resolve("demos-shuffled.jsonl");   // the same lines in another order: as many, not the same
        List<String> lines = new ArrayList<>(Files.readAllLines(Path.of(demos)));
        lines.add(lines.removeFirst());
        Files.write(shuffled, lines);
        assertThatThrownBy(() -> new SftCommand().run(new String[] {"--model", lm, "--data", shuffled.toString(), "--epochs", "50",
                "--batch", "1", "--save-every", "2", "--out", sftOut, "--resume"}))
                .isInstanceOf(UserError.class).hasMessageContaining("setting 'demonstrations' differs");

        String otherRm = dir.resolve("rm-seed-5").toString();
        assertThat(Main.run(new String[] {"rm", "--model", sft, "--data", ranks, "--out", otherRm, "--batch", "4", "--seed", "5"})).isZero();
        String ppoOut = dir.resolve("other-reward").toString();
        List<String> ppo = List.of("ppo", "--policy", sft, "--reward", rm, "--prompts", prompts, "--iterations", "50", "--batch", "2",
                "--minibatch", "2", "--max-new", "4", "--save-every", "2", "--out", ppoOut);
        assertThat(run(ppo, 2, KILL).exitCode()).isNotZero();
        List<String> otherReward = new ArrayList<>(ppo.subList(1, ppo.size()));
        otherReward.set(otherReward.indexOf(rm), otherRm);
        otherReward.add("--resume");
        assertThatThrownBy(() -> new PpoCommand().run(otherReward.toArray(String[]::new)))
                .isInstanceOf(UserError.class).hasMessageContaining("setting 'reward weights' differs");
    }

    /** A policy whose weights come in shards (model.safetensors.index.json), as larger Hugging Face models do. */
    @Test
    void ppoStartsFromAShardedPolicyFolder() throws Exception {
        Path sharded = dir.resolve("sft-sharded");
        Files.createDirectories(sharded);
        try (var files = Files.list(Path.of(sft))) {
            for (Path f : files.toList()) if (!f.getFileName().toString().equals("model.safetensors")) Files.copy(f, sharded.resolve(f.getFileName()));
        }
        Map<String, Tensor> all = SafeTensors.read(Path.of(sft, "model.safetensors"), Device.CPU);
        Map<String, Tensor> first = new LinkedHashMap<>(), second = new LinkedHashMap<>();
        Map<String, String> weightMap = new LinkedHashMap<>();
        for (var e : all.entrySet()) {
            boolean early = first.size() < all.size() / 2;
            (early ? first : second).put(e.getKey(), e.getValue());
            weightMap.put(e.getKey(), early ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors");
        }
        SafeTensors.write(sharded.resolve("model-00001-of-00002.safetensors"), first, Map.of("format", "pt"));
        SafeTensors.write(sharded.resolve("model-00002-of-00002.safetensors"), second, Map.of("format", "pt"));
        Files.writeString(sharded.resolve("model.safetensors.index.json"), Jsonl.mapper().writeValueAsString(Map.of("weight_map", weightMap)));
        assertThat(Main.run(new String[] {"ppo", "--policy", sharded.toString(), "--reward", rm, "--prompts", prompts, "--iterations", "1",
                "--batch", "2", "--minibatch", "2", "--max-new", "4", "--out", dir.resolve("ppo-from-shards").toString()})).isZero();
    }

    /** A run stopped as Ctrl-C stops it says which checkpoint it leaves and how to go on from it. */
    @Test
    void aStoppedRunSaysWhereItsCheckpointIs() throws Exception {
        Path out = dir.resolve("stopped");
        Ended ended = run(List.of("pretrain", "--text", corpus, "--vocab", "280", "--context", "32", "--steps", "100000", "--batch", "2",
                "--save-every", "3", "--out", out.toString()), 3, TERM);
        assertThat(ended.exitCode()).isNotZero();
        long saved = Long.parseLong(Files.readString(out.resolve("training_state.json")).replaceAll("(?s).*\"step\"\\s*:\\s*(\\d+).*", "$1"));
        Matcher notice = Pattern.compile("instruct4j pretrain: stopped before the end\\. The checkpoint of step (\\d+) is in "
                + Pattern.quote(out.toString()) + ": the same command with --resume goes on from there\\.").matcher(ended.stderr());
        assertThat(notice.find()).as("the notice in %s", ended.stderr()).isTrue();
        // the training goes on while the JVM stops, so a later checkpoint may land after the notice was written
        assertThat(Long.parseLong(notice.group(1))).isBetween(3L, saved);
    }

    /** A demo stopped says what --resume reuses: the pretrained, SFT and reward models, not PPO's, which run again. */
    @Test
    void aStoppedDemoSaysWhatResumeReuses() {
        Path models = dir.resolve("demo/models");
        assertThat(StopNotice.demoNotice("7/7 evaluation", models, 0)).isEqualTo("instruct4j demo: stopped during stage 7/7 evaluation. "
                + "The stages finished before it are kept in " + models + ": the same command with --resume reuses the pretrained, SFT "
                + "and reward models among them and runs PPO and PPO-ptx again (with --save-every N it would also go on with a stage from within).");
        assertThat(StopNotice.demoNotice("4/7 supervised fine-tuning (SFT)", models, 5))
                .endsWith("and runs PPO and PPO-ptx again, and goes on with this stage from its last checkpoint.");
    }

    /**
     * While one run writes to a folder, a second one given the same --out is refused, naming the first one's process;
     * once the first is gone, the second is refused for the checkpoint it left.
     */
    @Test
    void aSecondRunIntoTheSameFolderIsRefusedWhileTheFirstWrites() throws Exception {
        String out = dir.resolve("busy").toString();
        String[] second = {"pretrain", "--text", corpus, "--vocab", "280", "--context", "32", "--steps", "4", "--batch", "2", "--out", out};
        int[] secondExit = new int[1];
        String[] secondSays = new String[1];
        Ended first = run(List.of("pretrain", "--text", corpus, "--vocab", "280", "--context", "32", "--steps", "100000", "--batch", "2",
                "--save-every", "3", "--out", out), 3, child -> {
            PrintStream saved = System.err;
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            System.setErr(new PrintStream(bytes, true, StandardCharsets.UTF_8));
            try {
                secondExit[0] = Main.run(second);
            } finally {
                System.setErr(saved);
                KILL.at(child);
            }
            secondSays[0] = bytes.toString(StandardCharsets.UTF_8);
        });
        assertThat(first.exitCode()).isNotZero();
        assertThat(secondExit[0]).isEqualTo(2);
        assertThat(secondSays[0]).startsWith("instruct4j pretrain: --out " + out + ": another instruct4j run (process ")
                .contains("is writing there; wait for it to end, or give another --out");
        // Once the first run is gone its checkpoint is what a fresh run would write over.
        PrintStream saved = System.err;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        System.setErr(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try {
            assertThat(Main.run(second)).as("the folder once the first run is gone").isEqualTo(2);
        } finally {
            System.setErr(saved);
        }
        assertThat(bytes.toString(StandardCharsets.UTF_8)).startsWith("instruct4j pretrain: --out " + out
                + " holds the checkpoint of an unfinished run (step ");
    }

    /**
     * kill -9 between the two renames of a checkpoint's save leaves --out missing, its last complete content in
     * ".NAME.old-*" beside it and the unplaced new one in ".NAME.new-*": --resume goes on from that content, ends as
     * the uninterrupted run, and leaves nothing of the crash beside the folder.
     */
    @Test
    void aCheckpointCutShortBetweenTheRenamesOfItsSaveIsResumed() throws Exception {
        Path reference = dir.resolve("renames-reference"), out = dir.resolve("renames");
        List<String> args = List.of("sft", "--model", lm, "--data", demos, "--epochs", "3", "--batch", "1", "--lr", "1e-3");
        List<String> ref = new ArrayList<>(args), saving = new ArrayList<>(args);
        ref.addAll(List.of("--out", reference.toString()));
        saving.addAll(List.of("--out", out.toString(), "--save-every", "2"));
        assertThat(Main.run(ref.toArray(String[]::new))).isZero();
        assertThat(run(saving, 4, KILL).exitCode()).isNotZero();
        Files.move(out, dir.resolve(".renames.old-1f"));
        Files.createDirectories(dir.resolve(".renames.new-42"));
        Files.writeString(dir.resolve(".renames.new-42/model.safetensors"), "half a file");

        saving.add("--resume");
        assertThat(Main.run(saving.toArray(String[]::new))).isZero();
        assertThat(Fingerprint.sha256(out.resolve("model.safetensors"))).isEqualTo(Fingerprint.sha256(reference.resolve("model.safetensors")));
        try (var siblings = Files.list(dir)) {
            assertThat(siblings.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".renames.")))
                    .as("the lock file alone, which this JVM holds").containsExactly(".renames.lock");
        }
    }

    /**
     * Runs args to the end with --out reference/name; runs them again with --save-every into resumed/name, kills that
     * run after a randomly chosen checkpoint, checks that a resume with another seed is refused by name, resumes it
     * and checks the two outputs are the same bytes.
     */
    private void killAndResume(String name, int every, String... args) throws Exception {
        Path reference = dir.resolve("reference").resolve(name), resumed = dir.resolve("resumed").resolve(name);
        List<String> plain = new ArrayList<>(List.of(args));
        List<String> ref = new ArrayList<>(plain);
        ref.addAll(List.of("--out", reference.toString()));
        assertThat(Main.run(ref.toArray(String[]::new))).as("uninterrupted %s", name).isZero();

        List<String> saving = new ArrayList<>(plain);
        saving.addAll(List.of("--out", resumed.toString(), "--save-every", Integer.toString(every)));
        int killAfter = every * (1 + rng.nextInt(2));   // the first or second checkpoint: the run has far to go
        assertThat(run(saving, killAfter, KILL).exitCode()).as("%s killed after the checkpoint of step %d", name, killAfter).isNotZero();
        long savedStep = Long.parseLong(Files.readString(resumed.resolve("training_state.json")).replaceAll("(?s).*\"step\"\\s*:\\s*(\\d+).*", "$1"));
        assertThat(savedStep).as("the checkpoint %s was killed after", name).isGreaterThanOrEqualTo(killAfter);

        List<String> resume = new ArrayList<>(saving);
        resume.add("--resume");
        List<String> otherSeed = new ArrayList<>(resume);
        otherSeed.addAll(List.of("--seed", "99"));
        Command command = Main.commands().stream().filter(c -> c.name().equals(args[0])).findFirst().orElseThrow();
        byte[] metricsOfTheKilledRun = Files.readAllBytes(metrics(resumed));
        assertThatThrownBy(() -> command.run(otherSeed.subList(1, otherSeed.size()).toArray(String[]::new)))
                .as("%s resumed with another seed", name).isInstanceOf(UserError.class).hasMessageContaining("setting 'seed' differs");
        assertThat(Files.readAllBytes(metrics(resumed))).as("a refused resume leaves the metrics alone").isEqualTo(metricsOfTheKilledRun);
        assertThat(Main.run(resume.toArray(String[]::new))).as("resumed %s", name).isZero();
        assertThat(Fingerprint.sha256(resumed.resolve("model.safetensors"))).as("%s weights", name)
                .isEqualTo(Fingerprint.sha256(reference.resolve("model.safetensors")));
        Path refMetrics = metrics(reference), resMetrics = metrics(resumed);
        assertThat(Files.readAllLines(resMetrics)).as("%s metrics", name).isEqualTo(Files.readAllLines(refMetrics)).isNotEmpty();
        assertThat(resumed.resolve("training_state.json")).as("a finished run leaves a plain model folder").doesNotExist();
    }

    private static Path metrics(Path out) { return out.resolveSibling(out.getFileName() + "-metrics.jsonl"); }

    /** How a child run ended: its exit code and what it wrote to stderr. */
    private record Ended(int exitCode, String stderr) {}

    /** How a child run is ended once it reports the checkpoint it was waiting for. */
    private interface Stop { void at(Process child) throws Exception; }

    /** SIGKILL: no shutdown hooks, no flushing, like a power cut (through the handle: Process's own would close the stream read here). */
    private static final Stop KILL = child -> child.toHandle().destroyForcibly();
    /** SIGTERM, as Ctrl-C stops a run. */
    private static final Stop TERM = child -> child.toHandle().destroy();

    /**
     * Runs instruct4j with args in a child JVM and, as soon as it reports the checkpoint of step stopAfter, ends it
     * as stop says, reading on to hear what it says as it ends.
     */
    private static Ended run(List<String> args, int stopAfter, Stop stop) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        // The kernels of this JVM, so the bits of the runs it compares with: vector ones, or plain loops without the module.
        if (VectorSupport.AVAILABLE) cmd.addAll(List.of("--add-modules", "jdk.incubator.vector"));
        cmd.addAll(List.of("--enable-native-access=ALL-UNNAMED", "-Xss8m", "-Xmx1g"));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        StringBuilder err = new StringBuilder();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8))) {
            boolean stopped = false;
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                err.append(line).append('\n');
                Matcher m = SAVED.matcher(line);
                if (!stopped && m.find() && Integer.parseInt(m.group(1)) >= stopAfter) {
                    stopped = true;
                    stop.at(p);
                }
            }
        } finally {
            if (p.isAlive() && !p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("instruct4j " + args + " did not finish in 120 s");
            }
        }
        if (p.exitValue() != 0 && !err.toString().contains("checkpoint of")) System.err.println(err);   // it failed on its own
        return new Ended(p.exitValue(), err.toString());
    }
}
