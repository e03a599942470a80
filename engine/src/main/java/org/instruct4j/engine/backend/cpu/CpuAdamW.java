package org.instruct4j.engine.backend.cpu;

/** One fused AdamW step: moments, bias correction, decoupled weight decay, the clipping scale folded in. */
final class CpuAdamW {
    private CpuAdamW() {}

    static void step(float[] p, float[] g, float[] m, float[] v, int n, float lr, float beta1, float beta2,
                     float eps, float wd, int t, float gradScale) {
        float bc1 = 1f - (float) StrictMath.pow(beta1, t), bc2 = 1f - (float) StrictMath.pow(beta2, t);
        // Chunks of at least 8,192 parameters: a 96-wide model's weight matrices (9,216 to 98,304) split over both
        // threads (with 32,768 most of them ran on one).
        Parallel.forRange(n, 1 << 13, (from, to) -> {
            for (int i = from; i < to; i++) {
                float gi = g[i] * gradScale;
                float mi = m[i] = beta1 * m[i] + (1 - beta1) * gi;
                float vi = v[i] = beta2 * v[i] + (1 - beta2) * gi * gi;
                float mhat = mi / bc1, vhat = vi / bc2;
                p[i] -= lr * (mhat / ((float) Math.sqrt(vhat) + eps) + wd * p[i]);
            }
        });
    }
}
