package org.instruct4j.rlhf.ppo;

import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.ops.HostOp;

/**
 * PPO's losses as host ops with their derivatives written out (a few thousand numbers per minibatch, the
 * entropy's a vocabulary's worth per token). Every input has one entry (or row) per response token; mask is 1 for
 * a real token and 0 for padding, and every loss is a mean over the real tokens.
 */
public final class PpoLosses {
    private PpoLosses() {}

    /**
     * Clipped surrogate: L = mean over tokens of max(-A ratio, -A clip(ratio, 1 - eps, 1 + eps)) with
     * ratio = exp(logp - oldLogp). Its gradient flows to logp only, and is zero where the clipped term is the
     * larger one (the update already moved the ratio far enough in the advantage's direction).
     */
    public static Tensor policy(Tensor logp, float[] oldLogp, float[] advantages, float[] mask, float clip) {
        int n = (int) logp.numel();
        check(n, oldLogp, advantages, mask);
        float count = count(mask);
        HostOp.Fn fn = new HostOp.Fn() {
            @Override public float[] forward(float[][] in) {
                double loss = 0;
                for (int i = 0; i < n; i++) {
                    if (mask[i] == 0) continue;
                    double ratio = Math.exp(in[0][i] - oldLogp[i]);
                    double unclipped = -advantages[i] * ratio;
                    double clipped = -advantages[i] * Math.max(1 - clip, Math.min(1 + clip, ratio));
                    loss += Math.max(unclipped, clipped);
                }
                return new float[] {(float) (loss / count)};
            }

            @Override public float[][] backward(float[][] in, float[] out, float[] g) {
                float[] d = new float[n];
                for (int i = 0; i < n; i++) {
                    if (mask[i] == 0 || clipCutsGradient(in[0][i], oldLogp[i], advantages[i], clip)) continue;
                    double ratio = Math.exp(in[0][i] - oldLogp[i]);
                    d[i] = (float) (-advantages[i] * ratio * g[0] / count);
                }
                return new float[][] {d};
            }
        };
        return HostOp.apply("ppo_policy_loss", fn, new int[0], logp);
    }

    /** Whether the clipped term is active (strictly larger) for one token: no gradient flows there. */
    public static boolean clipCutsGradient(float logp, float oldLogp, float advantage, float clip) {
        double ratio = Math.exp(logp - oldLogp);
        double unclipped = -advantage * ratio, clipped = -advantage * Math.max(1 - clip, Math.min(1 + clip, ratio));
        return clipped > unclipped;
    }

    /**
     * Clipped value loss: 0.5 * mean max((V - R)^2, (clip(V, Vold - eps, Vold + eps) - R)^2), so the value
     * model cannot move far from its rollout-time predictions in one batch.
     */
    public static Tensor value(Tensor values, float[] oldValues, float[] returns, float[] mask, float clip) {
        int n = (int) values.numel();
        check(n, oldValues, returns, mask);
        float count = count(mask);
        HostOp.Fn fn = new HostOp.Fn() {
            @Override public float[] forward(float[][] in) {
                double loss = 0;
                for (int i = 0; i < n; i++) {
                    if (mask[i] == 0) continue;
                    double v = in[0][i], vc = clamp(v, oldValues[i], clip);
                    loss += 0.5 * Math.max(sq(v - returns[i]), sq(vc - returns[i]));
                }
                return new float[] {(float) (loss / count)};
            }

            @Override public float[][] backward(float[][] in, float[] out, float[] g) {
                float[] d = new float[n];
                for (int i = 0; i < n; i++) {
                    if (mask[i] == 0) continue;
                    double v = in[0][i], vc = clamp(v, oldValues[i], clip);
                    double plain = sq(v - returns[i]), clipped = sq(vc - returns[i]);
                    // d/dv of the larger term: the clipped one is flat in v where the clamp is active.
                    double grad = plain >= clipped ? v - returns[i] : (vc == v ? v - returns[i] : 0);
                    d[i] = (float) (grad * g[0] / count);
                }
                return new float[][] {d};
            }
        };
        return HostOp.apply("ppo_value_loss", fn, new int[0], values);
    }

    /**
     * Mean entropy of softmax(logits) over the real tokens, logits one row of the vocabulary's size per response
     * token: the entropy penalty's term. Its gradient, dH/dz_j = -p_j (log p_j + H) for each row, moves
     * probability towards the tokens the policy already prefers.
     */
    public static Tensor entropy(Tensor logits, float[] mask) {
        int n = mask.length;
        if (n == 0 || logits.numel() % n != 0)
            throw new IllegalArgumentException("PPO entropy: " + logits.numel() + " logits for " + n + " tokens");
        int v = (int) (logits.numel() / n);
        float count = count(mask);
        HostOp.Fn fn = new HostOp.Fn() {
            @Override public float[] forward(float[][] in) {
                double total = 0;
                double[] p = new double[v];
                for (int i = 0; i < n; i++) {
                    if (mask[i] == 0) continue;
                    double logSum = logSumExp(in[0], i * v, p);
                    total += entropy(in[0], i * v, p, logSum);
                }
                return new float[] {(float) (total / count)};
            }

            @Override public float[][] backward(float[][] in, float[] out, float[] g) {
                float[] d = new float[n * v];
                double[] p = new double[v];
                for (int i = 0; i < n; i++) {
                    if (mask[i] == 0) continue;
                    int row = i * v;
                    double logSum = logSumExp(in[0], row, p), h = entropy(in[0], row, p, logSum);
                    for (int j = 0; j < v; j++) d[row + j] = (float) (-p[j] * (in[0][row + j] - logSum + h) * g[0] / count);
                }
                return new float[][] {d};
            }
        };
        return HostOp.apply("ppo_entropy", fn, new int[0], logits);
    }

    /** -sum_j p_j log p_j over the row, given its softmax p and log-sum-exp. */
    private static double entropy(float[] z, int off, double[] p, double logSum) {
        double h = 0;
        for (int j = 0; j < p.length; j++) h -= p[j] * (z[off + j] - logSum);
        return h;
    }

    /** log sum_j exp(z_j) over the row, leaving softmax(z) in p (one exp per entry). */
    private static double logSumExp(float[] z, int off, double[] p) {
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (int j = 0; j < p.length; j++) max = Math.max(max, z[off + j]);
        for (int j = 0; j < p.length; j++) sum += p[j] = Math.exp(z[off + j] - max);
        for (int j = 0; j < p.length; j++) p[j] /= sum;
        return max + Math.log(sum);
    }

    private static double clamp(double v, double old, float clip) { return Math.max(old - clip, Math.min(old + clip, v)); }

    private static double sq(double x) { return x * x; }

    private static float count(float[] mask) {
        float c = 0;
        for (float m : mask) c += m;
        return Math.max(c, 1);
    }

    private static void check(int n, float[]... arrays) {
        for (float[] a : arrays)
            if (a.length != n) throw new IllegalArgumentException("PPO loss: " + a.length + " entries for " + n + " tokens");
    }
}
