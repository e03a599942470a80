package org.instruct4j.engine.backend.cpu;

/** Softmax cross-entropy, forward and backward side by side. */
final class CpuLosses {
    private CpuLosses() {}

    /**
     * Logits per task of the loss rows (whole rows, at least one): enough that a task's work outweighs handing it to a
     * helper thread, few enough that a batch of rows over a small vocabulary still splits over the threads.
     */
    private static final int ROW_TASK_LOGITS = 8192;

    private static int rowGrain(int vocab) { return Math.max(1, ROW_TASK_LOGITS / Math.max(1, vocab)); }

    static void crossEntropy(float[] logits, int[] targets, float[] loss, float[] lse, int rows, int vocab) {
        Parallel.forRange(rows, rowGrain(vocab), (from, to) -> {
            for (int r = from; r < to; r++) {
                int o = r * vocab;
                float l = logSumExp(logits, o, vocab);
                lse[r] = l;
                int t = targets[r];
                if (t >= vocab) throw new IndexOutOfBoundsException("target " + t + " at row " + r + " outside vocab " + vocab);
                loss[r] = t < 0 ? 0f : l - logits[o + t];
            }
        });
    }

    private static float logSumExp(float[] x, int o, int n) {
        float max = RowMath.max(x, o, n);
        return max + (float) StrictMath.log(RowMath.expSum(x, o, max, null, 0, n));
    }

    static void crossEntropyBackward(float[] logits, int[] targets, float[] lse, float[] dloss, float[] dlogits,
                                     int rows, int vocab) {
        Parallel.forRange(rows, rowGrain(vocab), (from, to) -> {
            for (int r = from; r < to; r++) {
                int o = r * vocab, t = targets[r];
                if (t < 0) { java.util.Arrays.fill(dlogits, o, o + vocab, 0f); continue; }
                float g = dloss[r], l = lse[r];
                RowMath.scaledExp(logits, o, l, g, dlogits, o, vocab);
                dlogits[o + t] -= g;
            }
        });
    }
}
