package org.instruct4j.rlhf.cli;

import java.lang.management.ManagementFactory;

/**
 * What a run that ran out of Java heap tells its user: how large a heap this machine can give (at most three
 * quarters of its memory; the launcher gives half), or that it cannot give more. The default demo's reward-model
 * stage needs about 0.7 GiB (measured: -Xmx629m runs out, -Xmx720m makes the same files; the JVM's max heap reads
 * about 20 MiB under -Xmx, one survivor space), so a smaller heap is said before the demo starts rather than when it
 * runs out, minutes in.
 */
final class HeapAdvice {
    private static final long GIB = 1L << 30, MIB = 1L << 20;
    private static final long DEMO_HEAP = 680 * MIB, DEMO_XMX = 768 * MIB;
    /** What the default demo needs, as doctor and the demo's warning say it. */
    static final String DEMO_NEEDS = "the demo needs about 0.7 GiB";

    private HeapAdvice() {}

    /** This machine's memory in bytes, or 0 where the JVM cannot tell. */
    static long machineBytes() {
        return ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
                ? os.getTotalMemorySize() : 0;
    }

    /** The line's words after "out of memory (reason), ": the heap it had, and what to do with the options command has. */
    static String afterOutOfMemory(String command, long maxHeap, long machine) {
        String had = "with a Java heap of at most " + maxHeap / MIB + " MiB"
                + (machine > 0 ? " of this machine's " + gib(machine) + " GiB" : "");
        String smaller = command.equals("eval") || command.equals("generate")
                ? "answer fewer prompts together (a smaller --batch N)"
                : "train a smaller model or batch, or take each batch in pieces (pretrain, sft, rm: --micro-batch N)";
        long larger = roundUp(Math.max(2 * maxHeap, maxHeap + GIB), GIB);
        if (machine > 0) larger = Math.min(larger, machine / 4 * 3 / (256 * MIB) * (256 * MIB));
        if (larger < maxHeap + maxHeap / 4) return had + ", about as much as it can give: " + smaller;
        String size = larger % GIB == 0 ? larger / GIB + "g" : larger / MIB + "m";
        return had + "; give the JVM more (INSTRUCT4J_JAVA_OPTS=-Xmx" + size + " ./instruct4j ...), " + smaller;
    }

    /** A warning for the default demo's first line where the heap is below what it needs, else null. */
    static String beforeDemo(long maxHeap, long machine) {
        if (maxHeap >= DEMO_HEAP) return null;
        String had = "this JVM's heap is at most " + maxHeap / MIB + " MiB, and " + DEMO_NEEDS + " (its reward-model "
                + "stage would run out of memory some minutes in)";
        if (machine > 0 && DEMO_XMX > machine / 4 * 3)
            return had + "; this machine's " + gib(machine) + " GiB may not hold it, try --quick";
        return had + "; give it more: INSTRUCT4J_JAVA_OPTS=-Xmx" + DEMO_XMX / MIB + "m ./instruct4j demo";
    }

    private static long roundUp(long bytes, long unit) { return (bytes + unit - 1) / unit * unit; }

    /** Bytes as GiB with one decimal. */
    static String gib(long bytes) { return String.format(java.util.Locale.ROOT, "%.1f", bytes / (double) GIB); }
}
