package org.instruct4j.engine.backend.cpu;

/** Embedding lookup and softmax cross-entropy, forward and backward side by side. */
final class CpuLosses {
    private CpuLosses() {}

    static void embedding(float[] table, int[] ids, float[] out, int n, int dim, int vocab) {
        for (int i = 0; i < n; i++) {
            int id = ids[i];
            if (id < 0 || id >= vocab) throw new IndexOutOfBoundsException("token id " + id + " at position " + i + " outside the table of " + vocab + " rows");
            System.arraycopy(table, id * dim, out, i * dim, dim);
        }
    }

    /**
     * Scatter-add in order of i, so repeated ids sum the same way every run. Zeroing a large table (GPT-2's is
     * 38.6M floats, a serial pass of the step before) is spread over the pool; the sums stay on this thread.
     */
    static void embeddingBackward(float[] dout, int[] ids, float[] dtable, int n, int dim, int vocab) {
        Parallel.forRange(vocab * dim, CpuBackend.LARGE, (from, to) -> java.util.Arrays.fill(dtable, from, to, 0f));
        for (int i = 0; i < n; i++) {
            int o = ids[i] * dim, g = i * dim;
            for (int c = 0; c < dim; c++) dtable[o + c] += dout[g + c];
        }
    }

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
