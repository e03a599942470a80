package org.instruct4j.rlhf.rm;

import java.util.List;
import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.ops.HostOp;

/**
 * The reward model's ranking loss (InstructGPT section 3.5). A batch holds the rewards of every response of
 * several prompts, each scored once; group g's comparisons are (winner, loser) index pairs into that reward
 * vector, and all of them form ONE batch element:
 * <pre>
 *   loss_g = -1/P_g * sum over pairs of log sigmoid(r_w - r_l)      (P_g = C(K,2) when no ties)
 *   loss   = mean over groups of loss_g
 * </pre>
 * d loss / d r_w = -sigmoid(r_l - r_w) / (P_g G) and the opposite for r_l.
 */
public final class KWayLoss {
    private KWayLoss() {}

    /** rewards: (N); groups: for each prompt, its pairs as {winner, loser} indices into rewards. */
    public static Tensor apply(Tensor rewards, List<int[][]> groups) {
        int n = (int) rewards.numel();
        for (int[][] pairs : groups)
            for (int[] p : pairs)
                if (p.length != 2 || p[0] < 0 || p[0] >= n || p[1] < 0 || p[1] >= n)
                    throw new IllegalArgumentException("ranking loss: pair index outside the " + n + " rewards");
        int counted = 0;
        for (int[][] pairs : groups) if (pairs.length > 0) counted++;
        final int groupCount = Math.max(1, counted);
        HostOp.Fn fn = new HostOp.Fn() {
            @Override public float[] forward(float[][] in) {
                double total = 0;
                for (int[][] pairs : groups) {
                    if (pairs.length == 0) continue;
                    double sum = 0;
                    for (int[] p : pairs) sum += logSigmoid(in[0][p[0]] - in[0][p[1]]);
                    total += -sum / pairs.length;
                }
                return new float[] {(float) (total / groupCount)};
            }

            @Override public float[][] backward(float[][] in, float[] out, float[] g) {
                float[] d = new float[n];
                for (int[][] pairs : groups) {
                    for (int[] p : pairs) {
                        double s = sigmoid(in[0][p[1]] - in[0][p[0]]) / pairs.length / groupCount * g[0];
                        d[p[0]] -= (float) s;
                        d[p[1]] += (float) s;
                    }
                }
                return new float[][] {d};
            }
        };
        return HostOp.apply("kway_ranking_loss", fn, new int[0], rewards);
    }

    /** log sigmoid(x) computed without overflow for large |x|. */
    static double logSigmoid(double x) { return x >= 0 ? -Math.log1p(Math.exp(-x)) : x - Math.log1p(Math.exp(x)); }

    static double sigmoid(double x) { return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)); }
}
