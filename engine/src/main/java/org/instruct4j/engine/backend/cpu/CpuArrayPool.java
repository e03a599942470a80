package org.instruct4j.engine.backend.cpu;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Arrays of freed CPU buffers, kept for the next buffer of the same dtype and length. A training step repeats
 * the same shapes, so after the first step it allocates (almost) nothing from the Java heap: no young-generation
 * churn of hundreds of megabytes per step, no collections in the middle of a step, no first touches of new heap
 * pages. A reused array is zeroed, as a new one would be (by the pool's threads when it is large, where the JVM
 * zeroes a new array on the allocating thread alone), so results are the same bits; except an op's output, which
 * its primitive overwrites in full: that one comes back as it is (zeroing the demo's step's outputs took 14 % of
 * the step). With assertions on (the tests) such an array is filled with NaN (ints with Integer.MIN_VALUE)
 * instead, so a primitive that leaves an element unwritten shows in its results rather than reading a zero.
 *
 * <p>The pool holds at most half of the maximum heap ({@code -Dinstruct4j.cpuPoolBytes} overrides; 0 turns it
 * off): a GPT-2 124M step (batch 4 x 64) frees about 2.6 GB, so with a quarter of a 6 GB heap it handed 1.1 GB
 * per step to the collector (one or two collections every step, 1.2 to 5.2 s), with half it allocates 4 MB per
 * step. When a returned array does not fit, the lengths used least recently are dropped to the garbage
 * collector first. Arrays under {@link #MIN_LENGTH} elements are not pooled: the JVM allocates them cheaply.
 */
final class CpuArrayPool {
    static final int MIN_LENGTH = 256;
    /** Zeroing a reused array is a memory-bound pass: large ones are spread over the pool. */
    private static final int FILL_GRAIN = 1 << 16;
    /** Unfilled arrays are poisoned when assertions are on, as in the tests. */
    private static final boolean POISON = CpuArrayPool.class.desiredAssertionStatus();
    static final CpuArrayPool SHARED = new CpuArrayPool(limit());

    private final long limitBytes;
    /** Free arrays by key (length, negative for int[]), in least-recently-used order. */
    private final LinkedHashMap<Integer, ArrayDeque<Object>> free = new LinkedHashMap<>(64, 0.75f, true);
    private long heldBytes;

    CpuArrayPool(long limitBytes) { this.limitBytes = limitBytes; }

    private static long limit() {
        String s = System.getProperty("instruct4j.cpuPoolBytes");
        if (s != null && !s.isBlank()) return Long.parseLong(s.trim());
        return Runtime.getRuntime().maxMemory() / 2;
    }

    /** A float[length], a pooled one when there is one: zeroed, or when not, holding whatever it held. */
    float[] floats(int length, boolean zeroed) {
        Object a = take(length);
        float[] f = a == null ? new float[length] : (float[]) a;
        if (!zeroed && POISON) fill(f, Float.NaN);
        else if (zeroed && a != null) fill(f, 0f);
        return f;
    }

    /** An int[length], a pooled one when there is one: zeroed, or when not, holding whatever it held. */
    int[] ints(int length, boolean zeroed) {
        Object a = take(-length);
        int[] i = a == null ? new int[length] : (int[]) a;
        if (!zeroed && POISON) fill(i, Integer.MIN_VALUE);
        else if (zeroed && a != null) fill(i, 0);
        return i;
    }

    private static void fill(float[] f, float value) {
        Parallel.forRange(f.length, FILL_GRAIN, (from, to) -> Arrays.fill(f, from, to, value));
    }

    private static void fill(int[] i, int value) {
        Parallel.forRange(i.length, FILL_GRAIN, (from, to) -> Arrays.fill(i, from, to, value));
    }

    /** Gives a float[] or int[] back; the caller must hold no other reference to it. */
    void give(Object array) {
        int length = array instanceof float[] f ? f.length : ((int[]) array).length;
        if (length < MIN_LENGTH) return;
        long bytes = 4L * length;
        synchronized (this) {
            if (bytes > limitBytes) return;
            evictUntil(limitBytes - bytes);
            free.computeIfAbsent(array instanceof float[] ? length : -length, k -> new ArrayDeque<>()).push(array);
            heldBytes += bytes;
        }
    }

    /** Bytes held for reuse now. */
    synchronized long heldBytes() { return heldBytes; }

    private Object take(int key) {
        if (Math.abs(key) < MIN_LENGTH) return null;
        synchronized (this) {
            ArrayDeque<Object> list = free.get(key);
            if (list == null || list.isEmpty()) return null;
            heldBytes -= 4L * Math.abs(key);
            return list.pop();
        }
    }

    private void evictUntil(long bytes) {
        Iterator<Map.Entry<Integer, ArrayDeque<Object>>> it = free.entrySet().iterator();
        while (heldBytes > bytes && it.hasNext()) {
            Map.Entry<Integer, ArrayDeque<Object>> e = it.next();
            heldBytes -= 4L * Math.abs(e.getKey()) * e.getValue().size();
            it.remove();
        }
    }
}
