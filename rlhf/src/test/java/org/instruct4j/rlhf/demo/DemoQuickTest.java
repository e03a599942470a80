package org.instruct4j.rlhf.demo;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.instruct4j.rlhf.data.Jsonl;
import org.instruct4j.rlhf.eval.CapabilityProbes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `instruct4j demo --quick` end to end (under a minute on 2 cores): the report is complete and well-formed, and
 * `--resume` reuses its finished stages.
 */
class DemoQuickTest {
    @TempDir Path out;

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
        assertThat(report.publicNlp()).containsOnlyKeys("GPT", "SFT", "PPO", "PPO-ptx");
        report.publicNlp().values().forEach(s -> assertThat(s.loss()).isFinite().isPositive());
        assertThat(report.rmValidationAccuracy()).isBetween(0.0, 1.0);

        for (String f : List.of("report.md", "report.json", "figure1-win-rate.png", "figure1-win-rate-heldout.png", "likert.png",
                "hallucination.png", "rudeness-asked.png", "rudeness-polite.png", "alignment-tax.png", "curve-pretrain-loss.png",
                "curve-ppo-reward.png", "curve-ppo-kl.png", "world/demonstrations.jsonl", "world/rankings.jsonl",
                "models/sft/model.safetensors", "models/ppo-ptx/config.json"))
            assertThat(out.resolve(f)).as(f).isNotEmptyFile();
        CapabilitySection cap = report.capabilities();
        assertThat(cap.probes()).extracting(CapabilityProbes.Probe::name).containsExactlyElementsOf(CapabilityProbes.names());
        cap.probes().forEach(p -> assertThat(p.exact()).isBetween(0.0, 1.0));
        assertThat(cap.correctByFamily()).containsKeys("GPT", "SFT", "PPO-ptx", "SFT, greedy", "PPO-ptx, greedy");
        cap.correctByFamily().values().forEach(byFamily -> assertThat(byFamily.values()).allSatisfy(v -> assertThat(v).isBetween(0.0, 1.0)));
        assertThat(cap.headline()).containsOnlyKeys("PPO-ptx vs GPT", "PPO-ptx vs GPT-prompted");
        String md = Files.readString(out.resolve("report.md"));
        assertThat(md).contains("Can the models do the tasks?", "last word of a list", "PPO-ptx vs GPT-prompted", "smoke test");
        assertThat(md).contains("Win rate against SFT", "PPO-ptx", "alignment tax", "Example responses").doesNotContain("NaN");
        JsonNode json = Jsonl.mapper().readTree(out.resolve("report.json").toFile());
        assertThat(json.path("policies").path("PPO-ptx").path("win_rate_training").isNumber()).isTrue();
        assertThat(console.toString(StandardCharsets.UTF_8)).contains("== summary", "smoke test");
        byte[] png = Files.readAllBytes(out.resolve("figure1-win-rate.png"));
        assertThat(png).startsWith((byte) 0x89, (byte) 'P', (byte) 'N', (byte) 'G');

        // --resume in the same folder reuses the three finished stages and, the run being deterministic, gives
        // the same report; the metrics of the stages that ran again are replaced, not appended to.
        long ppoRows = Files.readAllLines(out.resolve("ppo-metrics.jsonl")).size();
        ByteArrayOutputStream again = new ByteArrayOutputStream();
        new Demo(DemoConfig.quick(1), out, new PrintStream(again, true, StandardCharsets.UTF_8), true).run();
        String log = again.toString(StandardCharsets.UTF_8);
        assertThat(log.split("reused from an earlier run", -1)).hasSize(4);
        assertThat(Jsonl.mapper().readTree(out.resolve("report.json").toFile()).path("policies")).isEqualTo(json.path("policies"));
        assertThat(Files.readAllLines(out.resolve("ppo-metrics.jsonl"))).hasSize((int) ppoRows);
    }
}
