package org.instruct4j.rlhf.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.instruct4j.rlhf.plot.Charts;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainUtilitiesTest {
    @TempDir Path dir;

    @Test
    void metricsAreJsonLinesAndPlotsArePngs() throws Exception {
        Path file = dir.resolve("m.jsonl");
        try (MetricsLog log = new MetricsLog(file)) {
            for (int s = 1; s <= 5; s++) log.log(s, Map.of("loss", 1.0 / s));
            log.log(6, Map.of("loss", Double.NaN));
            Charts.metrics(log, dir, "run", "loss", "missing");
            assertThat(log.series("loss")[1]).hasSize(5);
        }
        List<String> lines = Files.readAllLines(file);
        assertThat(lines).hasSize(6);
        assertThat(lines.get(1)).isEqualTo("{\"step\":2,\"loss\":0.5}");
        assertThat(lines.get(5)).contains("null");
        var img = ImageIO.read(dir.resolve("run-loss.png").toFile());
        assertThat(img.getWidth()).isEqualTo(Charts.WIDTH);
        assertThat(dir.resolve("run-missing.png")).doesNotExist();
    }

    @Test
    void progressBarPrintsRateAndEta() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ProgressBar bar = new ProgressBar("sft", 10, new PrintStream(bytes), false, 0);
        bar.update(5, Map.of("loss", 2.5));
        String line = bar.line(5, 2.0, Map.of("loss", 2.5));
        assertThat(line).startsWith("sft [##########..........] 5/10").contains("2.50 it/s").contains("ETA 2s").contains("loss 2.500");
        assertThat(bytes.toString()).contains("5/10");
        assertThat(ProgressBar.duration(3725)).isEqualTo("1h02m");
    }
}
