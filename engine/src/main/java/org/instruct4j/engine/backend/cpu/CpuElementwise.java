package org.instruct4j.engine.backend.cpu;

import java.util.Arrays;

/** Elementwise primitives and full reductions. Reductions accumulate in double, in index order. */
final class CpuElementwise {
    /**
     * Elements per task: large enough that a task's work outweighs handing it to a helper thread, small enough that
     * a large tensor still splits into several tasks per thread.
     */
    private static final int GRAIN = 1 << 15;

    private CpuElementwise() {}

    static void add(float[] a, float[] b, float[] out, int n, int period) {
        if (period == n) {
            Parallel.forRange(n, GRAIN, (from, to) -> {
                for (int i = from; i < to; i++) out[i] = a[i] + b[i];
            });
            return;
        }
        // A broadcast (bias over rows): loop over rows with b indexed from 0, not i % period per element, an
        // integer division that cost more than the add and kept C2 from vectorizing the loop.
        forRows(n, period, (o, len) -> {
            for (int c = 0; c < len; c++) out[o + c] = a[o + c] + b[c];
        });
    }

    static void mul(float[] a, float[] b, float[] out, int n, int period) {
        if (period == n) {
            Parallel.forRange(n, GRAIN, (from, to) -> {
                for (int i = from; i < to; i++) out[i] = a[i] * b[i];
            });
            return;
        }
        forRows(n, period, (o, len) -> {
            for (int c = 0; c < len; c++) out[o + c] = a[o + c] * b[c];
        });
    }

    /** A body over one row of a broadcast: elements [o, o + len) of the output, b's element c at o + c. */
    @FunctionalInterface
    private interface RowBody {
        void run(int o, int len);
    }

    /** Splits [0, n) into rows of period elements (the last one possibly short) and spreads them over the pool. */
    private static void forRows(int n, int period, RowBody body) {
        int rows = (n + period - 1) / period;
        Parallel.forRange(rows, Math.max(1, GRAIN / period), (from, to) -> {
            for (int r = from; r < to; r++) body.run(r * period, Math.min(period, n - r * period));
        });
    }

    static void axpby(float alpha, float[] x, float beta, float[] y, float[] out, int n) {
        Parallel.forRange(n, GRAIN, (from, to) -> {
            if (y == null || beta == 0f) for (int i = from; i < to; i++) out[i] = alpha * x[i];
            else for (int i = from; i < to; i++) out[i] = alpha * x[i] + beta * y[i];
        });
    }

    static void sumRows(float[] x, float[] out, int rows, int cols) {
        // Rows outer, a block of columns inner: the old column-at-a-time loop strided through x by a whole row
        // per element. Each column still sums its rows in increasing order in double, so the bits are the same.
        // Blocks of at least 16 columns, so a 96-wide bias gradient is 6 tasks, not one. Plain Java, which C2
        // vectorises itself (0.10-0.14 ns an element at 8 lanes on a Zen 5): the Vector API version, as fast when
        // compiled well, was compiled early from a thin profile (a dozen calls a step, thousands of rows each) and
        // in most fresh JVMs of a probe boxed every vector, 20 times slower and 5 MB of garbage a call.
        Parallel.forRange(cols, 16, (from, to) -> {
            int width = to - from;
            double[] acc = COLUMN_SUMS.get();
            if (acc.length < width) COLUMN_SUMS.set(acc = new double[width]);
            Arrays.fill(acc, 0, width, 0.0);
            for (int r = 0; r < rows; r++) {
                int o = r * cols + from;
                for (int j = 0; j < width; j++) acc[j] += x[o + j];
            }
            for (int j = 0; j < width; j++) out[from + j] = (float) acc[j];
        });
    }

    /** Each thread's running column sums for {@link #sumRows}, kept so that a step leaves no array behind. */
    private static final ThreadLocal<double[]> COLUMN_SUMS = ThreadLocal.withInitial(() -> new double[0]);

    static double sum(float[] x, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) s += x[i];
        return s;
    }

    static double sumSquares(float[] x, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) s += (double) x[i] * x[i];
        return s;
    }

    static void gelu(float[] x, float[] out, int n) {
        Parallel.forRange(n, GRAIN, (from, to) -> RowMath.gelu(x, out, from, to));
    }

    /** {@link #gelu}, also keeping each element's tanh term in t for {@link #geluBackwardFromTanh}. */
    static void geluKeepingTanh(float[] x, float[] out, float[] t, int n) {
        Parallel.forRange(n, GRAIN, (from, to) -> RowMath.geluKeepingTanh(x, out, t, from, to));
    }

    /** {@link #geluBackward} with the tanh terms {@link #geluKeepingTanh} kept: the same bits. */
    static void geluBackwardFromTanh(float[] x, float[] t, float[] dout, float[] dx, int n) {
        Parallel.forRange(n, GRAIN, (from, to) -> RowMath.geluBackwardFromTanh(x, t, dout, dx, from, to));
    }

    static void geluBackward(float[] x, float[] dout, float[] dx, int n) {
        Parallel.forRange(n, GRAIN, (from, to) -> RowMath.geluBackward(x, dout, dx, from, to));
    }

    static void dropout(float[] x, float[] out, int n, float p, long seed) {
        float keepScale = 1f / (1f - p);
        // The vector hash needs 64-bit lane multiplies and long-to-float conversions, which C2 compiles only on
        // AVX-512 (16 float lanes): with -XX:UseAVX=2 the vector form took 4.9 to 88 ns per element, the loop 3.5.
        if (VectorSupport.FLOAT_LANES >= 16) {
            Parallel.forRange(n, GRAIN, (from, to) -> VectorMath.dropout(x, out, from, to, p, keepScale, seed));
            return;
        }
        Parallel.forRange(n, GRAIN, (from, to) -> {
            for (int i = from; i < to; i++) out[i] = keep(seed, i, p) ? x[i] * keepScale : 0f;
        });
    }

    /** A counter-based random bit: the same (seed, i) always gives the same answer, on any backend. */
    static boolean keep(long seed, long i, float p) {
        long z = seed + (i + 1) * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z ^= z >>> 31;
        return ((z >>> 40) * 0x1.0p-24f) >= p;
    }
}
