package org.instruct4j.engine.backend.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The CPU backend's threads: the calling thread plus THREADS - 1 helper threads, THREADS sized to the cores
 * (INSTRUCT4J_THREADS overrides). Work is split into contiguous chunks of at least {@code grain} items so small
 * ops stay on the calling thread. Results never depend on the number of threads: each item is computed by one
 * thread in a fixed order.
 *
 * <p>The caller takes chunks itself instead of handing all of them to the pool and sleeping until they are done.
 * The demo's training step makes about 330 parallel calls of 0.05 to 1 ms each, and every hand-over (a pool
 * thread woken, the caller woken at the end) cost tens of microseconds in which no core computed; now the caller
 * starts at once, and a helper that wakes late finds the chunks taken and leaves. Helpers also spin for 0.2 ms
 * after a call before they sleep, so the next call of a step finds them awake: on an AVX2 Zen 3 the demo's
 * pretraining step ran 1.04-1.07x faster than with a ForkJoinPool's sleeping workers (alternating in one JVM).
 */
public final class Parallel {
    public static final int THREADS = threads();
    private static final Helper[] HELPERS = helpers();
    /** The call helpers should join; cleared when it is done so its body (and the arrays it holds) can go. */
    private static volatile Call posted;
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
        run(n, Math.min(THREADS * 4, Math.max(1, n / Math.max(1, grain))), body);
    }

    /**
     * Runs body over [0, n), each item a chunk of its own, for items that each take tens of microseconds or more
     * (a GEMM's C blocks, an attention head): with four chunks per thread the last chunk can leave the other thread
     * idle for an eighth of the call; with one item per chunk, for one item at most.
     */
    public static void forEachItem(int n, RangeBody body) {
        if (n > 0) run(n, n, body);
    }

    private static void run(int n, int chunks, RangeBody body) {
        boolean[] inside = INSIDE.get();
        if (chunks <= 1 || HELPERS.length == 0 || inside[0] || Thread.currentThread() instanceof Helper) {
            body.run(0, n);
            return;
        }
        Call call = new Call(body, n, chunks);
        long postedAt = ParallelStats.ENABLED ? System.nanoTime() : 0;
        posted = call;
        for (Helper h : HELPERS) h.wake();
        inside[0] = true;
        try {
            call.runChunks();
        } finally {
            inside[0] = false;
        }
        try {
            call.awaitDone();
        } finally {
            if (posted == call) posted = null;   // also when a chunk failed: the call's arrays must not stay reachable
        }
        if (ParallelStats.ENABLED)
            ParallelStats.record(body, chunks, System.nanoTime() - postedAt, call.helperBusyNanos.get(), HELPERS.length);
    }

    private static Helper[] helpers() {
        Helper[] helpers = new Helper[THREADS - 1];
        for (int i = 0; i < helpers.length; i++) {
            helpers[i] = new Helper(i + 1);
            helpers[i].start();
        }
        return helpers;
    }

    /**
     * A helper thread: joins each posted call, then spins a while for the next one before it sleeps. A training
     * step's parallel calls come microseconds apart; a sleeping thread took tens of microseconds to wake, in which
     * the caller did the chunks alone.
     */
    private static final class Helper extends Thread {
        private static final long SPIN_NANOS = 200_000;
        private volatile boolean sleeping;

        Helper(int index) {
            super("instruct4j-cpu-" + index);
            setDaemon(true);
        }

        @Override
        public void run() {
            long lastId = 0;   // the last call joined, by number: a reference would keep its arrays from the collector
            while (true) {
                long idleSince = System.nanoTime();
                Call call;
                while ((call = posted) == null || call.id == lastId) {
                    if (System.nanoTime() - idleSince < SPIN_NANOS) {
                        Thread.onSpinWait();
                    } else {
                        sleeping = true;
                        Call now = posted;
                        if (now == null || now.id == lastId) LockSupport.park(this);
                        sleeping = false;
                        idleSince = System.nanoTime();
                    }
                }
                lastId = call.id;
                call.runChunks();
            }
        }

        void wake() { if (sleeping) LockSupport.unpark(this); }
    }

    /** One forRange call: its chunks are claimed one at a time by whichever thread comes first. */
    private static final class Call {
        /** Spins before the caller sleeps waiting for a helper's last chunk (a chunk takes microseconds). */
        private static final int SPINS = 1 << 11;
        private static final AtomicLong CALLS = new AtomicLong();
        private final long id = CALLS.incrementAndGet();
        private final RangeBody body;
        private final int n, chunks;
        private final AtomicInteger next = new AtomicInteger(), done = new AtomicInteger();
        /** Time the helpers spent in this call's chunks, kept only for {@link ParallelStats} (null when it is off). */
        private final AtomicLong helperBusyNanos = ParallelStats.ENABLED ? new AtomicLong() : null;
        private final Thread caller = Thread.currentThread();
        private volatile Throwable failure;

        Call(RangeBody body, int n, int chunks) { this.body = body; this.n = n; this.chunks = chunks; }

        void runChunks() {
            for (int c; (c = next.getAndIncrement()) < chunks; ) {
                try {
                    long start = ParallelStats.ENABLED && Thread.currentThread() != caller ? System.nanoTime() : 0;
                    if (failure == null)
                        body.run((int) ((long) n * c / chunks), (int) ((long) n * (c + 1) / chunks));
                    if (start != 0) helperBusyNanos.addAndGet(System.nanoTime() - start);
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
