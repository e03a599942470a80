package org.instruct4j.bench;

import java.util.Arrays;

/**
 * Times two implementations of the same unit of work alternately (the order flips every round), so outside load
 * on a shared machine slows both alike. Per side: wall and process-CPU time of each timed unit, the first
 * results (losses, checksums) so a reader can see both computed the same thing, and the CPU seconds of each
 * group of threads ({@link ThreadCpu}) while that side ran. CPU time that one side's threads spend during the
 * other side's turn (a spinning OpenMP worker, a late garbage collection) is charged to the side whose turn it
 * is; the per-thread columns show how much that was.
 *
 * <p>A unit's CPU time is the process's, in nanoseconds ({@link ThreadCpu#processNanos}), read after a 1 ms pause in
 * which its threads can go to sleep: Linux brings the CPU time of a thread still running on another core up to date
 * only at its next scheduler tick (4 ms here) or switch, so a helper spinning when the unit ends lost on average half a
 * tick from the unit it worked in (a 6 ms step of the tiny model: 1.67 cores, 2.0 read after the pause) and had it
 * charged to the next unit, the other side's. The pause charges the unit with what its threads spin before they sleep
 * (instruct4j's helpers 0.2 ms, OpenMP's by its wait policy).
 */
final class SideBySide {
    interface Work {
        /** Runs one unit and returns a number that identifies its result (a loss, a checksum). */
        float run();
    }

    /** What one side measured: per timed unit wall and CPU milliseconds, and its thread groups' CPU seconds. */
    record Side(String name, double[] wallMs, double[] cpuMs, float[] firstResults, ThreadCpu.Sample threads) {
        double medianMs() { return percentile(wallMs, 0.5); }

        double p95Ms() { return percentile(wallMs, 0.95); }

        double medianCpuMs() { return percentile(cpuMs, 0.5); }

        /** CPU seconds of a thread group per timed unit. */
        double threadSeconds(ThreadCpu.Group g) { return threads.of(g) / wallMs.length; }
    }

    record Result(Side ours, Side theirs) {
        /** How many times faster ours is: their median time over ours. */
        double ratio() { return theirs.medianMs() / ours.medianMs(); }
    }

    private SideBySide() {}

    static Result run(String oursName, Work ours, String theirsName, Work theirs, int warmup, int rounds) {
        ThreadCpu cpu = new ThreadCpu();
        Work[] work = {ours, theirs};
        double[][] wall = new double[2][rounds], cpuMs = new double[2][rounds];
        float[][] first = new float[2][3];
        ThreadCpu.Sample[] threads = {ThreadCpu.Sample.zero(), ThreadCpu.Sample.zero()};
        for (int r = -warmup; r < rounds; r++) {
            for (int k = 0; k < 2; k++) {
                int side = ((r & 1) == 0) == (k == 0) ? 0 : 1;
                ThreadCpu.Snapshot before = cpu.snapshot();
                long c0 = ThreadCpu.processNanos(), t0 = System.nanoTime();
                float result = work[side].run();
                long t1 = System.nanoTime();
                settle();
                long c1 = ThreadCpu.processNanos();
                int done = r + warmup;
                if (done < first[side].length) first[side][done] = result;
                if (r < 0) continue;
                wall[side][r] = (t1 - t0) / 1e6;
                cpuMs[side][r] = (c1 - c0) / 1e6;
                threads[side] = threads[side].plus(cpu.snapshot().since(before));
            }
        }
        return new Result(new Side(oursName, wall[0], cpuMs[0], first[0], threads[0]),
                new Side(theirsName, wall[1], cpuMs[1], first[1], threads[1]));
    }

    /** Sleeps 1 ms so the threads that just worked stop and their CPU time is brought up to date (see above). */
    private static void settle() {
        try {
            Thread.sleep(1);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A table of both sides; units are what one unit of work processes (tokens), for the per-second column. */
    static void print(Result result, long unitsPerRun, String unitName) {
        print(result, unitsPerRun, unitName, String.format("first results: %s %s, %s %s", result.ours().name(),
                Arrays.toString(result.ours().firstResults()), result.theirs().name(),
                Arrays.toString(result.theirs().firstResults())));
    }

    /** The same with resultsLine in place of the first results (a harness whose results read better another way). */
    static void print(Result result, long unitsPerRun, String unitName, String resultsLine) {
        System.out.println(resultsLine);
        System.out.printf("%-11s %9s %8s %7s %11s %10s %6s | CPU-s per run by thread: %5s %5s %5s %5s %6s%n", "side",
                "ms median", "p95", "p95/med", unitName + "/s", "CPU-s/run", "cores", "main", "pool", "gc", "jit", "native");
        for (Side s : new Side[] {result.ours(), result.theirs()}) {
            double med = s.medianMs();
            System.out.printf("%-11s %9.1f %8.1f %7.2f %11.0f %10.3f %6.2f | %29.3f %5.3f %5.3f %5.3f %6.3f%n", s.name(),
                    med, s.p95Ms(), s.p95Ms() / med, unitsPerRun / (med / 1e3), s.medianCpuMs() / 1e3,
                    s.medianCpuMs() / med, s.threadSeconds(ThreadCpu.Group.MAIN), s.threadSeconds(ThreadCpu.Group.POOL),
                    s.threadSeconds(ThreadCpu.Group.GC), s.threadSeconds(ThreadCpu.Group.JIT),
                    s.threadSeconds(ThreadCpu.Group.NATIVE));
        }
        System.out.printf("ratio (%s median ms / %s median ms): %.2f%n", result.theirs().name(), result.ours().name(),
                result.ratio());
    }

    /** The q-quantile by linear interpolation between order statistics. */
    static double percentile(double[] x, double q) {
        double[] s = x.clone();
        Arrays.sort(s);
        double pos = q * (s.length - 1);
        int lo = (int) Math.floor(pos), hi = Math.min(s.length - 1, lo + 1);
        return s[lo] + (pos - lo) * (s[hi] - s[lo]);
    }
}
