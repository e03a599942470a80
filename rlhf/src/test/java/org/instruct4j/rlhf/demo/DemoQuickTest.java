package org.instruct4j.rlhf.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import org.instruct4j.rlhf.data.Jsonl;
import org.instruct4j.rlhf.eval.CapabilityProbes;
import org.instruct4j.rlhf.plot.ChartsTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `instruct4j demo --quick` end to end, run once for all these checks (under a minute on 2 cores): the report is
 * complete and well-formed, every chart renders, the models it wrote work in every CLI command and are Hugging
 * Face GPT-2 folders, and `--resume` reuses its finished stages.
 */
class DemoQuickTest {
    @TempDir Path out;
    @TempDir Path dir;

    @Test
    void quickDemoWritesACompleteReportAndResumeReusesItsStages() throws Exception {
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        DemoReport report = new Demo(DemoConfig.quick(1), out, new PrintStream(console, true, StandardCharsets.UTF_8)).run();

        assertThat(report.policies()).containsOnlyKeys("GPT", "GPT-prompted", "SFT", "PPO", "PPO-ptx");
        for (var p : report.policies().values()) {
            for (double v : new double[] {p.vsSftTraining().rate(), p.vsSftTraining().lower95(), p.vsSftTraining().upper95(),
                    p.vsSftHeldOut().rate(), p.rates().correct(), p.rates().hallucinates(), p.rates().rude(), p.rates().concise()})
                assertThat(v).isBetween(0.0, 1.0);
            assertThat(p.vsSftTraining().lower95()).isLessThanOrEqualTo(p.vsSftTraining().rate());
            assertThat(p.vsSftTraining().upper95()).isGreaterThanOrEqualTo(p.vsSftTraining().rate());
            assertThat(p.vsSftTraining().n()).isEqualTo(report.evalTasks());
            assertThat(p.likert()).isBetween(1.0, 7.0);
        }
        // The ideal answers score highest with every labeler, so no policy's expected win rate can exceed theirs.
        for (var p : report.policies().values()) {
            assertThat(report.answerKey().vsSftTraining().rate()).isGreaterThanOrEqualTo(p.vsSftTraining().rate());
            assertThat(report.answerKey().vsSftHeldOut().rate()).isGreaterThanOrEqualTo(p.vsSftHeldOut().rate());
        }
        assertThat(report.answerKey().vsSftTraining().rate()).isBetween(0.5, 1.0);
        assertThat(report.publicNlp()).containsOnlyKeys("GPT", "SFT", "PPO", "PPO-ptx");
        report.publicNlp().values().forEach(s -> assertThat(s.loss()).isFinite().isPositive());
        assertThat(report.rmValidationAccuracy()).isBetween(0.0, 1.0);

        for (String f : List.of("report.md", "report.json", "world/demonstrations.jsonl", "world/rankings.jsonl"))
            assertThat(out.resolve(f)).as(f).isNotEmptyFile();
        for (String chart : ReportCharts.ALL) ChartsTest.png(out.resolve(chart));
        CapabilitySection cap = report.capabilities();
        assertThat(cap.probes()).extracting(CapabilityProbes.Probe::name).containsExactlyElementsOf(CapabilityProbes.names());
        cap.probes().forEach(p -> assertThat(p.passed()).isBetween(0.0, 1.0));
        assertThat(cap.correctByFamily()).containsKeys("GPT", "SFT", "PPO-ptx", "SFT, greedy", "PPO-ptx, greedy",
                "SFT, in other words", "PPO-ptx, in other words", "PPO-ptx, in other words, greedy");
        cap.correctByFamily().values().forEach(byFamily -> assertThat(byFamily.values()).allSatisfy(v -> assertThat(v).isBetween(0.0, 1.0)));
        assertThat(cap.winByFamily()).containsOnlyKeys(cap.correctByFamily().get("PPO-ptx").keySet());
        double pointsLeft = cap.winByFamily().values().stream().mapToDouble(w -> w.pointsLeft(report.evalTasks())).sum();
        assertThat(pointsLeft).as("the families' points left add up to the gap to the ceiling").isCloseTo(
                100 * (report.answerKey().vsSftTraining().rate() - report.policies().get("PPO-ptx").vsSftTraining().rate()), within(1e-9));
        assertThat(cap.headline()).containsOnlyKeys("PPO-ptx vs GPT", "PPO-ptx vs GPT-prompted");
        assertThat(cap.rewardRightness()).isNotEmpty().allSatisfy((family, rate) -> assertThat(rate).isBetween(0.0, 1.0));
        String md = Files.readString(out.resolve("report.md"));
        assertThat(md).contains("Win rate against SFT", "PPO-ptx", "alignment tax", "Example answers", "What was run",
                "What it shows, next to the paper", "docs/REPRODUCTION.md", "hallucinates*: on closed-domain tasks", "checker's verdict", "*(wrong)*",
                "Can the models do the tasks?", "| PPO-ptx, in other words |", "- PPO-ptx, asked \"", "- PPO-ptx, greedy: ", "last word of a list", "points left", "answer key (the ceiling)", "ideal above wrong", "PPO-ptx vs GPT-prompted", "smoke test",
                "./instruct4j generate --model " + out.resolve("models/ppo-ptx") + " --instruction '", "The weights' sha256").doesNotContain("NaN");
        for (String chart : ReportCharts.ALL) assertThat(md).contains("](" + chart + ")");
        JsonNode json = Jsonl.mapper().readTree(out.resolve("report.json").toFile());
        assertThat(json.path("policies").path("PPO-ptx").path("win_rate_training").isNumber()).isTrue();
        assertThat(json.path("answer_key_win_rate_training").isNumber()).isTrue();
        assertThat(json.path("win_rate_training_by_family").path("arithmetic").path("answer_key").isNumber()).isTrue();
        for (String model : List.of("gpt", "sft", "rm", "ppo", "ppo-ptx"))   // what tells this run's bits from another's
            assertThat(json.path("weights_sha256").path(model).asText()).as(model).isEqualTo(HexFormat.of().formatHex(
                    MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(out.resolve("models").resolve(model).resolve("model.safetensors")))));
        String said = console.toString(StandardCharsets.UTF_8);
        assertThat(report.exampleResponses()).containsOnlyKeys("GPT", "GPT-prompted", "SFT", "PPO", "PPO-ptx", "PPO-ptx, greedy");
        assertThat(report.examplesInOtherWords().tasks()).hasSameSizeAs(report.exampleTasks());
        for (int i = 0; i < report.exampleTasks().size(); i++)
            assertThat(report.examplesInOtherWords().tasks().get(i).data()).isEqualTo(report.exampleTasks().get(i).data());
        assertThat(said).contains("== summary", "smoke test", "right answers (the tasks' checkers): GPT ").doesNotContain("GptConfig[", "validation loss [");   // numbers, not Java lists
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(out.resolve("report.md")))).isEqualTo("rw-r--r--");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(out.resolve("figure1-win-rate.png")))).isEqualTo("rw-r--r--");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(out.resolve("models/ppo-ptx")))).isEqualTo("rwxr-xr-x");

        DemoModelsInCli.check(out, dir);

        // Where Java cannot draw (a runtime without java.desktop, or without fonts), the same report without charts.
        Path bare = Files.createDirectory(dir.resolve("no-charts"));
        assertThat(report.write(bare, List.of(), 1, java.util.Optional.of("no AWT here"))).contains("no AWT here");
        assertThat(Files.readString(bare.resolve("report.md"))).contains("*No charts in this report: no AWT here.", "Example answers")
                .doesNotContain(".png)");
        try (var files = Files.list(bare)) { assertThat(files.map(f -> f.getFileName().toString())).containsExactlyInAnyOrder("report.md", "report.json"); }

        // --resume in the same folder reuses the three finished stages and, the run being deterministic, gives
        // the same report; the metrics of the stages that ran again are replaced, not appended to.
        // What kill -9 leaves of writes it cuts short (AtomicFiles' temporary files, a model folder never placed)
        // goes when the run goes on.
        long ppoRows = Files.readAllLines(out.resolve("ppo-metrics.jsonl")).size();
        Files.writeString(out.resolve(".report.md.4548401314879181948.tmp"), "# Instruct");
        Files.writeString(out.resolve("world/.pretrain.txt.13387159588455849663.tmp"), "The ");
        Files.createDirectories(out.resolve("models/.ppo.new-2380086913246913490"));
        ByteArrayOutputStream again = new ByteArrayOutputStream();
        new Demo(DemoConfig.quick(1), out, new PrintStream(again, true, StandardCharsets.UTF_8), true).run();
        try (var all = Files.walk(out)) {
            assertThat(all.map(p -> out.relativize(p).toString())).as("what the crash left").noneMatch(n -> n.startsWith(".") || n.contains("/."));
        }
        String log = again.toString(StandardCharsets.UTF_8);
        assertThat(log.split("reused from an earlier run", -1)).hasSize(4);
        assertThat(Jsonl.mapper().readTree(out.resolve("report.json").toFile()).path("policies")).isEqualTo(json.path("policies"));
        assertThat(Files.readAllLines(out.resolve("ppo-metrics.jsonl"))).hasSize((int) ppoRows);
    }
}
