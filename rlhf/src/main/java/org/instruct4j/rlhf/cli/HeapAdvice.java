package org.instruct4j.rlhf.cli;

import java.lang.management.ManagementFactory;

/**
 * What a run that ran out of Java heap tells its user: how large a heap this machine can give (at most three
 * quarters of its memory; the launcher gives half), or that it cannot give more. The demo's reward-model stage
 * needs about 0.7 GiB.
 */
final class HeapAdvice {
    private static final long GIB = 1L << 30, MIB = 1L << 20;

    private HeapAdvice() {}

    /** This machine's memory in bytes, or 0 where the JVM cannot tell. */
    static long machineBytes() {
        return ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
                ? os.getTotalMemorySize() : 0;
    }

    /** The line's words after "out of memory (reason), ": the heap it had, and what to do. */
    static String afterOutOfMemory(long maxHeap, long machine) {
        String had = "with a Java heap of at most " + maxHeap / MIB + " MiB"
                + (machine > 0 ? " of this machine's " + gib(machine) + " GiB" : "");
        String smaller = "train a smaller model or batch, or take each batch in pieces (pretrain, sft, rm: --micro-batch N)";
        long larger = roundUp(Math.max(2 * maxHeap, maxHeap + GIB), GIB);
        if (machine > 0) larger = Math.min(larger, machine / 4 * 3 / (256 * MIB) * (256 * MIB));
        if (larger < maxHeap + maxHeap / 4) return had + ", about as much as it can give: " + smaller;
        String size = larger % GIB == 0 ? larger / GIB + "g" : larger / MIB + "m";
        return had + "; give the JVM more (INSTRUCT4J_JAVA_OPTS=-Xmx" + size + " ./instruct4j ...), " + smaller;
    }

    private static long roundUp(long bytes, long unit) { return (bytes + unit - 1) / unit * unit; }

    /** Bytes as GiB with one decimal. */
    static String gib(long bytes) { return String.format(java.util.Locale.ROOT, "%.1f", bytes / (double) GIB); }
}
