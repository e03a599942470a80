package org.instruct4j.rlhf.ppo;

import java.util.ArrayList;
import java.util.List;

/** Batch statistics the PPO update needs: whitening advantages and the explained variance of the value model. */
public final class Whiten {
    private Whiten() {}

    /** The rows shifted and scaled all together to mean 0, std 1, as new arrays (the inputs are left as they are). */
    public static List<float[]> whiten(List<float[]> rows) {
        double sum = 0, sq = 0;
        long n = 0;
        for (float[] r : rows) for (float v : r) { sum += v; sq += (double) v * v; n++; }
        double mean = n == 0 ? 0 : sum / n, var = n == 0 ? 0 : Math.max(0, sq / n - mean * mean);
        double inv = 1.0 / Math.sqrt(var + 1e-8);
        List<float[]> out = new ArrayList<>(rows.size());
        for (float[] r : rows) {
            float[] w = new float[r.length];
            for (int i = 0; i < r.length; i++) w[i] = (float) ((r[i] - mean) * inv);
            out.add(w);
        }
        return out;
    }

    /** 1 - Var(targets - predictions) / Var(targets): 1 is a perfect value model, 0 predicts the mean. */
    public static double explainedVariance(List<float[]> predictions, List<float[]> targets) {
        double st = 0, stt = 0, sd = 0, sdd = 0;
        long n = 0;
        for (int i = 0; i < targets.size(); i++) {
            float[] p = predictions.get(i), t = targets.get(i);
            for (int j = 0; j < t.length; j++) {
                double d = t[j] - p[j];
                st += t[j]; stt += (double) t[j] * t[j]; sd += d; sdd += d * d; n++;
            }
        }
        if (n == 0) return Double.NaN;
        double varT = stt / n - (st / n) * (st / n), varD = sdd / n - (sd / n) * (sd / n);
        return varT <= 1e-12 ? Double.NaN : 1 - varD / varT;
    }
}
