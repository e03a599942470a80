package org.instruct4j.engine.backend.cpu;

/** Embedding lookup and its backward, the scatter-add of each position's gradient into its token's row. */
final class CpuEmbedding {
    private CpuEmbedding() {}

    static void lookup(float[] table, int[] ids, float[] out, int n, int dim, int vocab) {
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
    static void backward(float[] dout, int[] ids, float[] dtable, int n, int dim, int vocab) {
        Parallel.forRange(vocab * dim, CpuBackend.LARGE, (from, to) -> java.util.Arrays.fill(dtable, from, to, 0f));
        for (int i = 0; i < n; i++) {
            int o = ids[i] * dim, g = i * dim;
            for (int c = 0; c < dim; c++) dtable[o + c] += dout[g + c];
        }
    }
}
