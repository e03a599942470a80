package org.instruct4j.engine.backend.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.RecursiveAction;

/**
 * The CPU backend's thread pool, sized to the cores (INSTRUCT4J_THREADS overrides). Work is split into
 * contiguous chunks of at least {@code grain} items so small ops stay on the calling thread. Results never
 * depend on the number of threads: each item is computed by one thread in a fixed order.
 */
public final class Parallel {
    public static final int THREADS = threads();
    private static final ForkJoinPool POOL = THREADS > 1 ? new ForkJoinPool(THREADS) : null;

    private Parallel() {}

    private static int threads() {
        String env = System.getenv("INSTRUCT4J_THREADS");
        if (env != null && !env.isBlank()) return Math.max(1, Integer.parseInt(env.trim()));
        return Math.max(1, Runtime.getRuntime().availableProcessors());
    }

    /** A body over the half-open range [from, to). */
    @FunctionalInterface
    public interface RangeBody {
        void run(int from, int to);
    }

    /** Runs body over [0, n) in chunks of at least grain items across the pool. */
    public static void forRange(int n, int grain, RangeBody body) {
        if (n <= 0) return;
        int chunks = Math.min(THREADS * 4, Math.max(1, n / Math.max(1, grain)));
        if (chunks <= 1 || POOL == null || ForkJoinTask.getPool() == POOL) {
            body.run(0, n);
            return;
        }
        POOL.invoke(new Chunks(body, n, chunks, 0, chunks));
    }

    private static final class Chunks extends RecursiveAction {
        private final RangeBody body;
        private final int n, chunks, lo, hi;

        Chunks(RangeBody body, int n, int chunks, int lo, int hi) {
            this.body = body; this.n = n; this.chunks = chunks; this.lo = lo; this.hi = hi;
        }

        @Override protected void compute() {
            if (hi - lo == 1) {
                int from = (int) ((long) n * lo / chunks), to = (int) ((long) n * (lo + 1) / chunks);
                body.run(from, to);
                return;
            }
            int mid = (lo + hi) >>> 1;
            invokeAll(new Chunks(body, n, chunks, lo, mid), new Chunks(body, n, chunks, mid, hi));
        }
    }
}
