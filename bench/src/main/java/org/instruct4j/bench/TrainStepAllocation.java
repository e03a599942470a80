package org.instruct4j.bench;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import org.instruct4j.engine.backend.cpu.ParallelStats;

/**
 * What a training step leaves to the garbage collector: instruct4j's step of {@link TrainStepSideBySide} alone
 * (no peer, so GPT-2 124M takes seconds, not minutes), printing per step the wall time, the bytes allocated on
 * the Java heap by all threads, and the collections that ran with their time. After the first step the array
 * pool should leave only a few MB per step and no collection. Usage: {@code java --add-modules
 * jdk.incubator.vector -XX:+UseParallelGC -Xss8m -Xmx6g -cp benchmarks.jar
 * org.instruct4j.bench.TrainStepAllocation [tiny|demo|pretrain|gpt2] [steps, default 5]}. With
 * {@code -Dinstruct4j.parallelStats=true} it also prints, for the steps after the first, how long the helper threads
 * ran chunks and where they sat idle ({@link ParallelStats}).
 */
public final class TrainStepAllocation {
    static { RunEnvironment.requireLib("TrainStepAllocation", false); }   // before any field that needs the engine

    static final String USAGE = "usage: TrainStepAllocation [size, one of tiny, demo, pretrain, gpt2; default gpt2] [steps; default 5]";

    private TrainStepAllocation() {}

    public static void main(String[] args) {
        BenchArgs a = BenchArgs.of("TrainStepAllocation", USAGE, args);
        TrainStepSideBySide.Size size = TrainStepSideBySide.size(a.name(0, "size", "gpt2", TrainStepSideBySide.SIZES));
        int steps = a.count(1, "steps", 1, 5);
        a.done();
        RunEnvironment.start("TrainStepAllocation");
        SideBySide.Work step = TrainStepSideBySide.Ours.of(size).step(size);
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        System.out.printf("%s, batch %d x %d, max heap %.1f GB%n", size.name(), size.batch(), size.seq(),
                Runtime.getRuntime().maxMemory() / 1e9);
        for (int s = 0; s < steps; s++) {
            if (s == 1) ParallelStats.reset();
            long bytes = threads.getTotalThreadAllocatedBytes(), count = collections(), ms = collectionMs();
            long t0 = System.nanoTime();
            float loss = step.run();
            long t1 = System.nanoTime();
            System.out.printf("step %d: loss %.6f, %.1f ms, allocated %.1f MB, %d collections, %d ms%n", s, loss,
                    (t1 - t0) / 1e6, (threads.getTotalThreadAllocatedBytes() - bytes) / 1e6, collections() - count,
                    collectionMs() - ms);
        }
        if (ParallelStats.ENABLED) ParallelStats.summary(12).forEach(System.out::println);
    }

    private static long collections() {
        long n = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) n += gc.getCollectionCount();
        return n;
    }

    private static long collectionMs() {
        long ms = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) ms += gc.getCollectionTime();
        return ms;
    }
}
