package org.instruct4j.rlhf.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.instruct4j.rlhf.data.Jsonl;
import org.instruct4j.rlhf.plot.ChartsTest;
import org.instruct4j.rlhf.rm.RmTrainer;
import org.instruct4j.rlhf.train.MetricsLog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportChartsTest {
    @TempDir Path dir;

    @Test
    void theRewardModelsHeldOutAccuracyIsDrawnBesideItsTrainingBatches() throws Exception {
        // The demo measured it (report.json's rm_validation_accuracy) but drew only the loss, which has no held-out twin.
        MetricsLog log = new MetricsLog(null);
        for (int step = 1; step <= 12; step++) log.log(step, Map.of("loss", 0.7, "accuracy", 0.5 + step / 100.0));
        log.log(12, Map.of("val_accuracy", 0.572));
        DemoReport.RmAccuracy accuracy = DemoReport.RmAccuracy.of(log);
        assertThat(accuracy.trainingBatches()).hasSize(12);
        assertThat(accuracy.validation()).containsExactly(0.572);

        Path png = dir.resolve(ReportCharts.RM_ACCURACY);
        ReportCharts.rmAccuracy(png, accuracy);
        BufferedImage img = ChartsTest.png(png);
        // Drawn in the RM's colour (its validation dashed, with a marker).
        int rm = ChartsTest.colour("RM") & 0xFFFFFF, n = 0;
        for (int y = 0; y < img.getHeight(); y++)
            for (int x = 0; x < img.getWidth(); x++) if ((img.getRGB(x, y) & 0xFFFFFF) == rm) n++;
        assertThat(n).isGreaterThan(100);
        assertThat(ReportCharts.ALL).contains(ReportCharts.RM_ACCURACY);

        Path none = dir.resolve("none.png");
        ReportCharts.rmAccuracy(none, new DemoReport.RmAccuracy(null, null));
        assertThat(none).doesNotExist();
    }

    @Test
    void anRmStageJsonWrittenBeforeTheAccuracyCurvesReadsWithoutThem() throws Exception {
        RmTrainer.Result result = new RmTrainer.Result(List.of(0.7, 0.6), 0.6, 0.57);
        Demo.RmResult now = new Demo.RmResult(result, -0.5f, new DemoReport.RmAccuracy(List.of(0.5, 0.6), List.of(0.57)));
        String json = Jsonl.mapper().writeValueAsString(now);
        assertThat(Jsonl.mapper().readValue(json, Demo.RmResult.class)).isEqualTo(now);
        Demo.RmResult before = Jsonl.mapper().readValue(
                "{\"result\":{\"losses\":[0.7,0.6],\"trainAccuracy\":0.6,\"validationAccuracy\":0.57},\"bias\":-0.5}", Demo.RmResult.class);
        assertThat(before.result()).isEqualTo(result);
        assertThat(before.accuracy()).isNull();
    }
}
