package org.instruct4j.rlhf.rm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import org.instruct4j.engine.Rng;
import org.instruct4j.engine.Tensor;
import org.instruct4j.rlhf.train.TinyWorld;
import org.junit.jupiter.api.Test;

class KWayLossTest {
    @Test
    void kWayLossEqualsTheMeanOfItsPairwiseLossesWithMatchingGradients() {
        float[] r = {0.3f, -1.2f, 2.0f, 0.7f};
        int[][] pairs = {{2, 0}, {2, 1}, {2, 3}, {3, 0}, {3, 1}, {0, 1}};   // K = 4, C(4,2) = 6
        Tensor rewards = Tensor.of(r, 4).requiresGrad(true);
        Tensor loss = KWayLoss.apply(rewards, List.<int[][]>of(pairs));
        loss.backward();
        double meanPairwise = 0;
        float[] summed = new float[4];
        for (int[] p : pairs) {
            Tensor two = Tensor.of(new float[] {r[p[0]], r[p[1]]}, 2).requiresGrad(true);
            Tensor l = KWayLoss.apply(two, List.<int[][]>of(new int[][] {{0, 1}}));
            meanPairwise += l.item() / pairs.length;
            assertThat((double) l.item()).isCloseTo(-Math.log(1 / (1 + Math.exp(-(r[p[0]] - r[p[1]])))), within(1e-5));
            l.backward();
            float[] g = two.grad().toFloatArray();
            summed[p[0]] += g[0] / pairs.length;
            summed[p[1]] += g[1] / pairs.length;
        }
        assertThat((double) loss.item()).isCloseTo(meanPairwise, within(1e-6));
        float[] g = rewards.grad().toFloatArray();
        for (int i = 0; i < 4; i++) assertThat(g[i]).isCloseTo(summed[i], within(1e-6f));
    }

    /**
     * The gradient against central differences of the loss written out in float64 (mean over groups of the mean over
     * each group's pairs of -log sigmoid(r_w - r_l)), for two groups of different sizes sharing no response.
     */
    @Test
    void gradientMatchesFiniteDifferencesOfTheLossInFloat64() {
        float[] r = {0.3f, -1.2f, 2.0f, 0.7f, -0.4f, 1.1f};
        List<int[][]> groups = List.of(new int[][] {{2, 0}, {2, 1}, {0, 1}}, new int[][] {{5, 3}, {3, 4}, {5, 4}, {4, 3}});
        Tensor rewards = Tensor.of(r, r.length).requiresGrad(true);
        Tensor loss = KWayLoss.apply(rewards, groups);
        assertThat((double) loss.item()).isCloseTo(lossInFloat64(r, groups, -1, 0), within(1e-6));
        loss.backward();
        float[] g = rewards.grad().toFloatArray();
        double eps = 1e-4;
        for (int i = 0; i < r.length; i++) {
            double numeric = (lossInFloat64(r, groups, i, eps) - lossInFloat64(r, groups, i, -eps)) / (2 * eps);
            assertThat((double) g[i]).as("d loss / d r[%d]", i).isCloseTo(numeric, within(1e-6));
        }
        assertThat(g[2]).as("the group's winner is pushed up").isNegative();
    }

    /** The ranking loss with r[at] moved by delta, in float64 from the definition. */
    private static double lossInFloat64(float[] r, List<int[][]> groups, int at, double delta) {
        double total = 0;
        for (int[][] pairs : groups) {
            double sum = 0;
            for (int[] p : pairs) {
                double margin = r[p[0]] + (p[0] == at ? delta : 0) - r[p[1]] - (p[1] == at ? delta : 0);
                sum += -Math.log(1 / (1 + Math.exp(-margin)));
            }
            total += sum / pairs.length;
        }
        return total / groups.size();
    }

    @Test
    void groupsAreBatchElementsAveragedOverPrompts() {
        Tensor rewards = Tensor.of(new float[] {1, 0, 5, 1, 2}, 5);
        double a = KWayLoss.apply(rewards, List.<int[][]>of(new int[][] {{0, 1}})).item();
        double b = KWayLoss.apply(rewards, List.<int[][]>of(new int[][] {{2, 3}, {2, 4}, {4, 3}})).item();
        double both = KWayLoss.apply(rewards, List.<int[][]>of(new int[][] {{0, 1}}, new int[][] {{2, 3}, {2, 4}, {4, 3}})).item();
        assertThat(both).isCloseTo((a + b) / 2, within(1e-6));
    }

    @Test
    void eachResponseGoesThroughTheModelOnce() {
        RewardModel rm = RewardModel.fromLm(TinyWorld.model(1), TinyWorld.PAD, new Rng(2));
        List<RmExample> batch = new ArrayList<>(TinyWorld.rankings(4, 5));
        int responses = 0, pairs = 0;
        for (RmExample e : batch) { responses += e.responses().size(); pairs += e.pairs().size(); }
        new RmTrainer(rm, RmConfig.paper().withMaxLen(24).withLr(1e-3f)).quiet().step(batch, 1e-3f, 1);
        assertThat(rm.sequencesScored()).isEqualTo(responses);
        assertThat(pairs).isGreaterThan(0);
    }

    @Test
    void rescaleShiftsScores() {
        RewardModel rm = RewardModel.fromLm(TinyWorld.model(1), TinyWorld.PAD, new Rng(2));
        List<int[]> seqs = List.of(new int[] {1, 2, 8, 15}, new int[] {3, 9, 15}, new int[] {4, 4, 10, 11, 15});
        rm.centerOn(seqs);
        float[] s = rm.scoreNoGrad(seqs, 8);
        assertThat((double) (s[0] + s[1] + s[2]) / 3).isCloseTo(0, within(1e-4));
        rm.standardizeOn(seqs);
        s = rm.scoreNoGrad(seqs, 8);
        double mean = (s[0] + s[1] + s[2]) / 3.0, var = 0;
        for (float x : s) var += (x - mean) * (x - mean) / 3;
        assertThat(mean).isCloseTo(0, within(1e-4));
        assertThat(var).isCloseTo(1, within(1e-3));
    }
}
