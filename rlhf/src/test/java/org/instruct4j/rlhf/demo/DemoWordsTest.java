package org.instruct4j.rlhf.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.instruct4j.rlhf.plot.Charts;
import org.instruct4j.rlhf.train.MetricsLog;
import org.junit.jupiter.api.Test;

/** What the demo says on the console and in its charts' labels, checked without running a demo. */
class DemoWordsTest {
    @Test
    void theKlIsNamedAnEstimateOnTheConsoleInTheChartAndInTheReport() {
        MetricsLog.Series reward = new MetricsLog.Series(new double[] {1, 2, 3}, new double[] {0.083, 0.1, 0.040});
        MetricsLog.Series kl = new MetricsLog.Series(new double[] {1, 2, 3}, new double[] {0, -0.033, 0.023});
        assertThat(Demo.ppoSummary("PPO", reward, kl)).isEqualTo("  PPO, first -> last iteration: mean reward 0.083 -> 0.040, "
                + "KL from the SFT model (estimated from the samples, nats/response) 0.000 -> 0.023");
        assertThat(ReportCharts.PPO_KL_TITLE).isEqualTo("PPO: KL from the SFT model, estimated from the samples").doesNotContain("distance");
        assertThat(Charts.KL_AXIS).contains("estimated KL");
        assertThat(ReportMarkdown.KL_ESTIMATE).contains("estimated from the samples", "log p(policy) - log p(SFT)", "can dip below zero");
    }

    @Test
    void pretrainingsLineSaysItsLastLossIsAMean() {
        // It read "loss 6.247 -> 2.996" under a progress bar ending at "loss 2.917", the last step's.
        List<Double> losses = new ArrayList<>(List.of(6.247));
        for (int i = 0; i < 149; i++) losses.add(i < 129 ? 4.0 : 3.0);
        assertThat(Demo.pretrainSummary(losses)).isEqualTo("  loss 6.247 (step 1) -> 3.000 (mean of the last 20 steps)");
        assertThat(Demo.pretrainSummary(List.of(6.0, 5.0))).isEqualTo("  loss 6.000 (step 1) -> 5.500 (mean of the last 2 steps)");
        assertThat(Demo.pretrainSummary(List.of(6.0))).isEqualTo("  loss 6.000 (step 1) -> 6.000 (the last step)");
    }
}
