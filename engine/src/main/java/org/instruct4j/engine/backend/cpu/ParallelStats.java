package org.instruct4j.engine.backend.cpu;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where {@link Parallel}'s helper threads wait, by call site: for every parallel call, its wall time (from posting
 * it to its end) and the helper time in it that ran no chunk (a helper late to join, or done before the caller's last
 * chunk). Off unless the JVM runs with {@code -Dinstruct4j.parallelStats=true}; then SmallGptProfile prints
 * {@link #summary} after its rounds. Diagnostic only: it times every chunk.
 */
public final class ParallelStats {
    public static final boolean ENABLED = Boolean.getBoolean("instruct4j.parallelStats");

    /** Calls, wall nanoseconds, helper nanoseconds (wall x helpers) and the idle part of them, per site and chunks. */
    private static final Map<String, long[]> SITES = new ConcurrentHashMap<>();
    /** When recording began (class load or the last {@link #reset}). */
    private static volatile long since = System.nanoTime();

    private ParallelStats() {}

    /** One finished call: its body (whose class names the call site), chunks, wall time and helpers' busy time. */
    static void record(Parallel.RangeBody body, int chunks, long wallNanos, long helperBusyNanos, int helpers) {
        String site = body.getClass().getName().replaceAll("\\$\\$Lambda.*", "").replace("org.instruct4j.engine.", "")
                + (chunks <= 8 ? ", " + chunks + " chunks" : chunks <= 16 ? ", 9-16 chunks" : ", over 16 chunks");
        long[] s = SITES.computeIfAbsent(site, k -> new long[4]);
        synchronized (s) {
            s[0]++;
            s[1] += wallNanos;
            s[2] += wallNanos * helpers;
            s[3] += Math.max(0, wallNanos * helpers - helperBusyNanos);
        }
    }

    /**
     * A line for all calls, with the share of the time since recording began in which the helpers ran chunks (what
     * they computed, not their spinning between calls, which the process's CPU time counts), then the sites whose
     * helpers waited longest, most first.
     */
    public static List<String> summary(int sites) {
        long wall = 0, helperTime = 0, idle = 0, elapsed = System.nanoTime() - since;
        for (long[] s : SITES.values()) { wall += s[1]; helperTime += s[2]; idle += s[3]; }
        int helpers = Math.max(1, Parallel.THREADS - 1);
        List<String> lines = new ArrayList<>();
        lines.add(String.format("parallel calls: %.1f ms of wall time (%.0f%% of the %.1f ms recorded), helpers idle in "
                        + "them %.1f%%; helpers ran chunks %.1f%% of the time recorded", wall / 1e6,
                100.0 * wall / Math.max(1, elapsed), elapsed / 1e6, 100.0 * idle / Math.max(1, helperTime),
                100.0 * (helperTime - idle) / Math.max(1, elapsed * helpers)));
        SITES.entrySet().stream()
                .sorted((a, b) -> Long.compare(b.getValue()[3], a.getValue()[3]))
                .limit(sites)
                .forEach(e -> lines.add(String.format("  %-55s %8d calls %9.1f ms, helpers idle %5.1f%%", e.getKey(),
                        e.getValue()[0], e.getValue()[1] / 1e6, 100.0 * e.getValue()[3] / Math.max(1, e.getValue()[2]))));
        return lines;
    }

    /** Forgets what was recorded (after a warm-up). */
    public static void reset() {
        SITES.clear();
        since = System.nanoTime();
    }
}
