package org.instruct4j.engine.backend.cpu;

/**
 * LayerNorm and softmax over the last dim, forward and backward side by side. One row per task; the weight
 * gradients are summed over rows in row order by one task per column block, so no result depends on the
 * thread count. Each row goes through {@link RowMath}.
 */
final class CpuNorm {
    /**
     * Columns per task of the weight-gradient sums: a cache line (16 floats), at least a vector, so that each line
     * of the strided rows is read by one task, and a 96-wide model's sums spread over 6 tasks, 3 a thread. A
     * multiple of the lanes, so the same columns fall in the scalar tail whatever the grouping, and every column is
     * summed over rows in row order: the same bits.
     */
    private static final int COLUMN_BLOCK = Math.max(16, VectorSupport.FLOAT_LANES);

    private CpuNorm() {}

    /**
     * Elements per task of the row loops (whole rows, at least one): enough that a task's work outweighs handing it to
     * a helper thread, few enough that a batch of short rows still splits over the threads.
     */
    private static final int ROW_TASK_ELEMENTS = 4096;

    private static int rowGrain(int cols) { return Math.max(1, ROW_TASK_ELEMENTS / Math.max(1, cols)); }

    static void layerNorm(float[] x, float[] w, float[] b, float[] out, float[] mean, float[] rstd,
                          int rows, int cols, float eps) {
        Parallel.forRange(rows, rowGrain(cols), (from, to) -> {
            for (int r = from; r < to; r++) RowMath.layerNormRow(x, w, b, out, r * cols, cols, eps, mean, rstd, r);
        });
    }

    /**
     * With xhat = (x - mean) * rstd and g = dout * w: dx = rstd * (g - mean(g) - xhat * mean(g * xhat)).
     * dweight and dbias are sums over rows, taken in row order so the result does not depend on threads.
     */
    static void layerNormBackward(float[] dout, float[] x, float[] w, float[] mean, float[] rstd,
                                  float[] dx, float[] dw, float[] db, int rows, int cols) {
        Parallel.forRange(rows, rowGrain(cols), (from, to) -> {
            for (int r = from; r < to; r++) RowMath.layerNormBackwardRow(dout, x, w, mean[r], rstd[r], dx, r * cols, cols);
        });
        // Column blocks, rows inner: each block streams through the rows once instead of striding.
        int blocks = (cols + COLUMN_BLOCK - 1) / COLUMN_BLOCK;
        Parallel.forRange(blocks, 1, (fromBlock, toBlock) -> {
            for (int block = fromBlock; block < toBlock; block++) {
                int from = block * COLUMN_BLOCK, to = Math.min(cols, from + COLUMN_BLOCK);
                RowMath.layerNormWeightGrads(dout, x, mean, rstd, rows, cols, dw, db, from, to);
            }
        });
    }

    static void softmax(float[] x, float[] out, int rows, int cols) {
        Parallel.forRange(rows, rowGrain(cols), (from, to) -> {
            for (int r = from; r < to; r++) {
                int o = r * cols;
                float max = RowMath.max(x, o, cols);
                float s = RowMath.expSum(x, o, max, out, o, cols);
                RowMath.scale(out, o, 1f / s, cols);
            }
        });
    }

    static void softmaxBackward(float[] y, float[] dy, float[] dx, int rows, int cols) {
        Parallel.forRange(rows, rowGrain(cols), (from, to) -> {
            for (int r = from; r < to; r++) RowMath.softmaxBackwardRow(y, dy, dx, r * cols, cols);
        });
    }
}
