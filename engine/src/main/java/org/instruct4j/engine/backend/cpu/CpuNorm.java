package org.instruct4j.engine.backend.cpu;

/**
 * LayerNorm and softmax over the last dim, forward and backward side by side. One row per task; the weight
 * gradients are summed over rows in row order by one task per column block, so no result depends on the
 * thread count. With the Vector API each row goes through {@link VectorMath}; the plain loops below are the
 * fallback and the readable definition.
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

    private static int rowGrain(int cols) { return Math.max(1, 4096 / Math.max(1, cols)); }

    static void layerNorm(float[] x, float[] w, float[] b, float[] out, float[] mean, float[] rstd,
                          int rows, int cols, float eps) {
        if (VectorSupport.AVAILABLE) {
            Parallel.forRange(rows, rowGrain(cols), (from, to) -> {
                for (int r = from; r < to; r++) VectorMath.layerNormRow(x, w, b, out, r * cols, cols, eps, mean, rstd, r);
            });
            return;
        }
        Parallel.forRange(rows, rowGrain(cols), (from, to) -> {
            for (int r = from; r < to; r++) {
                int o = r * cols;
                double s = 0;
                for (int c = 0; c < cols; c++) s += x[o + c];
                float mu = (float) (s / cols);
                double v = 0;
                for (int c = 0; c < cols; c++) { float d = x[o + c] - mu; v += d * d; }
                float rs = (float) (1.0 / Math.sqrt(v / cols + eps));
                for (int c = 0; c < cols; c++) out[o + c] = (x[o + c] - mu) * rs * w[c] + b[c];
                mean[r] = mu;
                rstd[r] = rs;
            }
        });
    }

    /**
     * With xhat = (x - mean) * rstd and g = dout * w: dx = rstd * (g - mean(g) - xhat * mean(g * xhat)).
     * dweight and dbias are sums over rows, taken in row order so the result does not depend on threads.
     */
    static void layerNormBackward(float[] dout, float[] x, float[] w, float[] mean, float[] rstd,
                                  float[] dx, float[] dw, float[] db, int rows, int cols) {
        if (VectorSupport.AVAILABLE) {
            Parallel.forRange(rows, rowGrain(cols), (from, to) -> {
                for (int r = from; r < to; r++) VectorMath.layerNormBackwardRow(dout, x, w, mean[r], rstd[r], dx, r * cols, cols);
            });
            // Column blocks, rows inner: each block streams through the rows once instead of striding.
            int blocks = (cols + COLUMN_BLOCK - 1) / COLUMN_BLOCK;
            Parallel.forRange(blocks, 1, (fromBlock, toBlock) -> {
                for (int block = fromBlock; block < toBlock; block++) {
                    int from = block * COLUMN_BLOCK, to = Math.min(cols, from + COLUMN_BLOCK);
                    VectorMath.layerNormWeightGrads(dout, x, mean, rstd, rows, cols, dw, db, from, to);
                }
            });
            return;
        }
        Parallel.forRange(rows, rowGrain(cols), (from, to) -> {
            for (int r = from; r < to; r++) {
                int o = r * cols;
                float mu = mean[r], rs = rstd[r];
                double sg = 0, sgx = 0;
                for (int c = 0; c < cols; c++) {
                    float g = dout[o + c] * w[c];
                    sg += g;
                    sgx += g * ((x[o + c] - mu) * rs);
                }
                float mg = (float) (sg / cols), mgx = (float) (sgx / cols);
                for (int c = 0; c < cols; c++) {
                    float xhat = (x[o + c] - mu) * rs;
                    dx[o + c] = rs * (dout[o + c] * w[c] - mg - xhat * mgx);
                }
            }
        });
        Parallel.forRange(cols, 64, (from, to) -> {
            for (int c = from; c < to; c++) {
                double sw = 0, sb = 0;
                for (int r = 0; r < rows; r++) {
                    float d = dout[r * cols + c];
                    sw += d * ((x[r * cols + c] - mean[r]) * rstd[r]);
                    sb += d;
                }
                dw[c] = (float) sw;
                db[c] = (float) sb;
            }
        });
    }

    static void softmax(float[] x, float[] out, int rows, int cols) {
        if (VectorSupport.AVAILABLE) {
            Parallel.forRange(rows, rowGrain(cols), (from, to) -> {
                for (int r = from; r < to; r++) {
                    int o = r * cols;
                    float max = VectorMath.max(x, o, cols);
                    float s = VectorMath.expSum(x, o, max, out, o, cols);
                    VectorMath.scale(out, o, 1f / s, cols);
                }
            });
            return;
        }
        Parallel.forRange(rows, rowGrain(cols), (from, to) -> {
            for (int r = from; r < to; r++) {
                int o = r * cols;
                float max = Float.NEGATIVE_INFINITY;
                for (int c = 0; c < cols; c++) max = Math.max(max, x[o + c]);
                double s = 0;
                for (int c = 0; c < cols; c++) { float e = (float) Math.exp(x[o + c] - max); out[o + c] = e; s += e; }
                float inv = (float) (1.0 / s);
                for (int c = 0; c < cols; c++) out[o + c] *= inv;
            }
        });
    }

    static void softmaxBackward(float[] y, float[] dy, float[] dx, int rows, int cols) {
        if (VectorSupport.AVAILABLE) {
            Parallel.forRange(rows, rowGrain(cols), (from, to) -> {
                for (int r = from; r < to; r++) VectorMath.softmaxBackwardRow(y, dy, dx, r * cols, cols);
            });
            return;
        }
        Parallel.forRange(rows, rowGrain(cols), (from, to) -> {
            for (int r = from; r < to; r++) {
                int o = r * cols;
                double dot = 0;
                for (int c = 0; c < cols; c++) dot += dy[o + c] * y[o + c];
                float d = (float) dot;
                for (int c = 0; c < cols; c++) dx[o + c] = y[o + c] * (dy[o + c] - d);
            }
        });
    }
}
