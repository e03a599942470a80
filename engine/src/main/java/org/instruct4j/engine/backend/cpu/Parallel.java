package org.instruct4j.engine.backend.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The CPU backend's threads: the calling thread plus a pool of THREADS - 1 helpers, THREADS sized to the cores
 * (INSTRUCT4J_THREADS overrides). Work is split into contiguous chunks of at least {@code grain} items so small
 * ops stay on the calling thread. Results never depend on the number of threads: each item is computed by one
 * thread in a fixed order.
 *
 * <p>The caller takes chunks itself instead of handing all of them to the pool and sleeping until they are done.
 * The demo's training step makes about 330 parallel calls of 0.05 to 1 ms each, and every hand-over (a pool
 * thread woken, the caller woken at the end) cost tens of microseconds in which no core computed; now the caller
 * starts at once, and a helper that wakes late finds the chunks taken and leaves.
 */
public final class Parallel {
    public static final int THREADS = threads();
    private static final ForkJoinPool HELPERS = THREADS > 1 ? new ForkJoinPool(THREADS - 1) : null;
    /** Set while this thread runs chunks of a call: a nested call runs on it alone. */
    private static final ThreadLocal<boolean[]> INSIDE = ThreadLocal.withInitial(() -> new boolean[1]);

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

    /** Runs body over [0, n) in chunks of at least grain items, on the calling thread and the helpers. */
    public static void forRange(int n, int grain, RangeBody body) {
        if (n <= 0) return;
        int chunks = Math.min(THREADS * 4, Math.max(1, n / Math.max(1, grain)));
        boolean[] inside = INSIDE.get();
        if (chunks <= 1 || HELPERS == null || inside[0] || isHelper()) {
            body.run(0, n);
            return;
        }
        Call call = new Call(body, n, chunks);
        for (int i = 0; i < Math.min(THREADS - 1, chunks - 1); i++) HELPERS.execute(call::runChunks);
        inside[0] = true;
        try {
            call.runChunks();
        } finally {
            inside[0] = false;
        }
        call.awaitDone();
    }

    private static boolean isHelper() {
        return Thread.currentThread() instanceof ForkJoinWorkerThread w && w.getPool() == HELPERS;
    }

    /** One forRange call: its chunks are claimed one at a time by whichever thread comes first. */
    private static final class Call {
        /** Spins before the caller sleeps waiting for a helper's last chunk (a chunk takes microseconds). */
        private static final int SPINS = 1 << 11;
        private final RangeBody body;
        private final int n, chunks;
        private final AtomicInteger next = new AtomicInteger(), done = new AtomicInteger();
        private final Thread caller = Thread.currentThread();
        private volatile Throwable failure;

        Call(RangeBody body, int n, int chunks) { this.body = body; this.n = n; this.chunks = chunks; }

        void runChunks() {
            for (int c; (c = next.getAndIncrement()) < chunks; ) {
                try {
                    if (failure == null)
                        body.run((int) ((long) n * c / chunks), (int) ((long) n * (c + 1) / chunks));
                } catch (Throwable t) {
                    if (failure == null) failure = t;
                } finally {
                    if (done.incrementAndGet() == chunks && Thread.currentThread() != caller) LockSupport.unpark(caller);
                }
            }
        }

        void awaitDone() {
            for (int spin = 0; done.get() < chunks; spin++) {
                if (spin < SPINS) Thread.onSpinWait();
                else LockSupport.park(this);
            }
            Throwable t = failure;
            if (t instanceof RuntimeException e) throw e;
            if (t instanceof Error e) throw e;
            if (t != null) throw new IllegalStateException(t);
        }
    }
}
