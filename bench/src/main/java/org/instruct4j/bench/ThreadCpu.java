package org.instruct4j.bench;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.management.ManagementFactory;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;

/**
 * CPU time of this process's threads from /proc/self/task, summed by who they work for, so a side-by-side run
 * can say how many cores each side kept busy: the benchmark's main thread (it drives both sides),
 * instruct4j's helper threads (instruct4j-cpu-N), the JVM's garbage collector and JIT compilers, and every other
 * thread (libtorch's OpenMP workers are native threads without a Java name). Linux only; the ticks are
 * 1/100 s, so a caller sums many steps before dividing.
 */
final class ThreadCpu {
    enum Group { MAIN, POOL, GC, JIT, NATIVE }

    /** CPU seconds of every live thread at one moment, by thread id with its group. */
    record Snapshot(Map<String, Double> seconds, Map<String, Group> groups) {
        /**
         * CPU seconds per group spent between earlier and this snapshot: threads that ended in between are left
         * out (their last interval is lost, their history is not subtracted); threads that started count whole.
         */
        Sample since(Snapshot earlier) {
            Map<Group, Double> d = new EnumMap<>(Sample.zero().seconds());
            for (Map.Entry<String, Double> e : seconds.entrySet())
                d.merge(groups.get(e.getKey()), e.getValue() - earlier.seconds.getOrDefault(e.getKey(), 0.0), Double::sum);
            return new Sample(d);
        }
    }

    /** CPU seconds per group over some interval. */
    record Sample(Map<Group, Double> seconds) {
        static Sample zero() {
            Map<Group, Double> z = new EnumMap<>(Group.class);
            for (Group g : Group.values()) z.put(g, 0.0);
            return new Sample(z);
        }

        Sample plus(Sample other) {
            Map<Group, Double> d = new EnumMap<>(Group.class);
            for (Group g : Group.values()) d.put(g, seconds.get(g) + other.seconds.get(g));
            return new Sample(d);
        }

        double of(Group g) { return seconds.get(g); }
    }

    private static final double TICKS_PER_SECOND = 100;
    /** Linux's clock of the whole process's CPU time, in nanoseconds. */
    private static final int CLOCK_PROCESS_CPUTIME_ID = 2;
    private static final MethodHandle CLOCK_GETTIME = clockGettime();

    /**
     * CPU nanoseconds of the whole process: the calling thread's exact, every other thread's up to its last
     * scheduler tick or switch (see {@link SideBySide} for why a caller lets them settle first). The JDK's
     * {@code OperatingSystemMXBean.getProcessCpuTime} counts in 10 ms ticks, as coarse as a tiny model's step, so a
     * per-step median of it read 10 ms for a 6 ms step that used 12 (1.6 cores for 2). Falls back to that bean where
     * {@code clock_gettime} cannot be called.
     */
    static long processNanos() {
        if (CLOCK_GETTIME != null) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment ts = arena.allocate(16, 8);   // struct timespec { long tv_sec; long tv_nsec; }
                if ((int) CLOCK_GETTIME.invokeExact(CLOCK_PROCESS_CPUTIME_ID, ts) == 0)
                    return ts.get(ValueLayout.JAVA_LONG, 0) * 1_000_000_000L + ts.get(ValueLayout.JAVA_LONG, 8);
            } catch (Throwable e) {
                // fall through to the coarse clock
            }
        }
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    private static MethodHandle clockGettime() {
        try {
            Linker linker = Linker.nativeLinker();
            return linker.defaultLookup().find("clock_gettime")
                    .map(f -> linker.downcallHandle(f, FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                            ValueLayout.ADDRESS)))
                    .orElse(null);
        } catch (RuntimeException e) {
            return null;   // no native access: the coarse clock
        }
    }
    private final String mainTid;

    /** Call on the thread that drives the benchmark: it is the MAIN group. */
    ThreadCpu() {
        String tid = "";
        try {
            tid = Files.readSymbolicLink(Path.of("/proc/thread-self")).getFileName().toString();
        } catch (IOException | UnsupportedOperationException e) {
            // not Linux: every snapshot is empty, so the per-thread columns read zero
        }
        mainTid = tid;
    }

    boolean available() { return !mainTid.isEmpty(); }

    Snapshot snapshot() {
        Map<String, Double> seconds = new HashMap<>();
        Map<String, Group> groups = new HashMap<>();
        if (!available()) return new Snapshot(seconds, groups);
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
            for (Path task : tasks) {
                String stat;
                try {
                    stat = Files.readString(task.resolve("stat"));
                } catch (IOException gone) {
                    continue;   // the thread ended between the listing and the read
                }
                // pid (comm) state ... : comm may hold spaces, so fields are counted after the last ')'
                int open = stat.indexOf('('), close = stat.lastIndexOf(')');
                String tid = task.getFileName().toString(), comm = stat.substring(open + 1, close);
                String[] f = stat.substring(close + 2).split(" ");
                seconds.put(tid, (Long.parseLong(f[11]) + Long.parseLong(f[12])) / TICKS_PER_SECOND); // utime, stime
                groups.put(tid, group(tid, comm));
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read /proc/self/task: " + e.getMessage(), e);
        }
        return new Snapshot(seconds, groups);
    }

    private Group group(String tid, String comm) {
        if (tid.equals(mainTid)) return Group.MAIN;
        if (comm.startsWith("instruct4j-cpu")) return Group.POOL;
        if (comm.startsWith("GC ") || comm.startsWith("G1 ") || comm.startsWith("VM ")) return Group.GC;
        if (comm.contains("Compiler")) return Group.JIT;
        return Group.NATIVE;
    }
}
