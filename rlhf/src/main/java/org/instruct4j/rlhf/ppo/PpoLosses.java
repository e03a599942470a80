package org.instruct4j.rlhf.ppo;

import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.ops.HostOp;

/**
 * The two PPO losses as host ops with their derivatives written out (a few thousand numbers per minibatch).
 * Every input is flat, one entry per response token; mask is 1 for a real token and 0 for padding, and both
 * losses are means over the real tokens.
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
                    if (mask[i] == 0 || isClipped(in[0][i], oldLogp[i], advantages[i], clip)) continue;
                    double ratio = Math.exp(in[0][i] - oldLogp[i]);
                    d[i] = (float) (-advantages[i] * ratio * g[0] / count);
                }
                return new float[][] {d};
            }
        };
        return HostOp.apply("ppo_policy_loss", fn, new int[0], logp);
    }

    /** Whether the clipped term is active (strictly larger) for one token: no gradient flows there. */
    public static boolean isClipped(float logp, float oldLogp, float advantage, float clip) {
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
