package org.instruct4j.engine.backend.cpu;

/** LayerNorm and softmax over the last dim, forward and backward side by side. One row per task. */
final class CpuNorm {
    private CpuNorm() {}

    static void layerNorm(float[] x, float[] w, float[] b, float[] out, float[] mean, float[] rstd,
                          int rows, int cols, float eps) {
        Parallel.forRange(rows, Math.max(1, 4096 / Math.max(1, cols)), (from, to) -> {
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
        Parallel.forRange(rows, Math.max(1, 4096 / Math.max(1, cols)), (from, to) -> {
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
        Parallel.forRange(rows, Math.max(1, 4096 / Math.max(1, cols)), (from, to) -> {
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
        Parallel.forRange(rows, Math.max(1, 4096 / Math.max(1, cols)), (from, to) -> {
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
