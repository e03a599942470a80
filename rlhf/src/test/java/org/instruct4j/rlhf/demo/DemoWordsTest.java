package org.instruct4j.rlhf.demo;

import static org.assertj.core.api.Assertions.assertThat;

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
}
