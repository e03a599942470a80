package org.instruct4j.engine.backend.cpu;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Arrays of freed CPU buffers, kept for the next buffer of the same dtype and size class. A training step repeats
 * the same shapes, so after the first step it allocates (almost) nothing from the Java heap: no young-generation
 * churn of hundreds of megabytes per step, no collections in the middle of a step, no first touches of new heap
 * pages. A reused array is zeroed, as a new one would be (by the pool's threads when it is large, where the JVM
 * zeroes a new array on the allocating thread alone), so results are the same bits; except an op's output, which
 * its primitive overwrites in full: that one comes back as it is (zeroing the demo's step's outputs took 14 % of
 * the step). With assertions on (the tests) such an array is filled with NaN (ints with Integer.MIN_VALUE)
 * instead, so a primitive that leaves an element unwritten shows in its results rather than reading a zero.
 *
 * <p>Size classes: an array is made {@link #capacity} long, the length rounded up to one of eight steps per power
 * of two (at most 12.5 % more), and a request takes the smallest free array of its class or above, up to twice its
 * class, so one made for a longer batch serves a shorter one. A buffer reads and writes only its own length (under
 * assertions the rest is NaN, so a primitive that reads past it shows). Fine-tuning's and the reward model's
 * batches differ in length from step to step: with one key per exact length the demo's SFT found almost no array of
 * its length, and the pool, full of lengths it would not see again, had the collector pause for a quarter of that
 * stage (docs/BENCHMARKS.md, "Eighteenth pass").
 *
 * <p>The pool holds at most half of the maximum heap ({@code -Dinstruct4j.cpuPoolBytes} overrides; 0 turns it
 * off): a GPT-2 124M step (batch 4 x 64) frees about 2.6 GB, so with a quarter of a 6 GB heap it handed 1.1 GB
 * per step to the collector (one or two collections every step, 1.2 to 5.2 s), with half it allocates 4 MB per
 * step. When a returned array does not fit, the classes used least recently are dropped to the garbage
 * collector first; when the heap has no room for a new array, all of them. Arrays under {@link #MIN_LENGTH}
 * elements are not pooled: the JVM allocates them cheaply.
 */
final class CpuArrayPool {
    static final int MIN_LENGTH = 256;
    /** Zeroing a reused array is a memory-bound pass: large ones are spread over the pool. */
    private static final int FILL_GRAIN = 1 << 16;
    /** A free array serves a request whose size class is at least 1 / MAX_SLACK of its length. */
    private static final int MAX_SLACK = 2;
    /** Unfilled arrays are poisoned when assertions are on, as in the tests. */
    private static final boolean POISON = CpuArrayPool.class.desiredAssertionStatus();
    static final CpuArrayPool SHARED = new CpuArrayPool(limit());

    private final long limitBytes;
    /** Free arrays of each kind by capacity, to find the smallest that serves a request. */
    private final TreeMap<Integer, ArrayDeque<Object>> freeFloats = new TreeMap<>(), freeInts = new TreeMap<>();
    /** The same lists by key (capacity, negative for int[]), in least-recently-used order, for eviction. */
    private final LinkedHashMap<Integer, ArrayDeque<Object>> byUse = new LinkedHashMap<>(64, 0.75f, true);
    private long heldBytes;

    CpuArrayPool(long limitBytes) { this.limitBytes = limitBytes; }

    private static long limit() {
        String s = System.getProperty("instruct4j.cpuPoolBytes");
        if (s != null && !s.isBlank()) return Long.parseLong(s.trim());
        return Runtime.getRuntime().maxMemory() / 2;
    }

    /**
     * The array length that serves {@code length} elements: from {@link #MIN_LENGTH} on, rounded up to a multiple
     * of an eighth of the largest power of two not above it.
     */
    static int capacity(int length) {
        if (length < MIN_LENGTH) return length;
        long step = Integer.highestOneBit(length) >> 3, rounded = (length + step - 1) / step * step;
        return rounded > Integer.MAX_VALUE - 16 ? length : (int) rounded;
    }

    /** A float[] of at least length elements: the first length zeroed, or when not, holding whatever they held. */
    float[] floats(int length, boolean zeroed) {
        Object a = take(true, length);
        float[] f = a == null ? newFloats(capacity(length)) : (float[]) a;
        if (zeroed && a != null) fill(f, 0, length, 0f);
        if (POISON) fill(f, zeroed ? length : 0, f.length, Float.NaN);
        return f;
    }

    /** An int[] of at least length elements: the first length zeroed, or when not, holding whatever they held. */
    int[] ints(int length, boolean zeroed) {
        Object a = take(false, length);
        int[] i = a == null ? newInts(capacity(length)) : (int[]) a;
        if (zeroed && a != null) fill(i, 0, length, 0);
        if (POISON) fill(i, zeroed ? length : 0, i.length, Integer.MIN_VALUE);
        return i;
    }

    /**
     * A new array. When the heap has no room for it, the arrays kept for reuse are let go and it is tried once more:
     * a stage whose arrays are of other sizes than the last stage's (the demo's reward model after fine-tuning)
     * would otherwise run out of a small heap that the idle arrays fill.
     */
    private float[] newFloats(int length) {
        try { return new float[length]; }
        catch (OutOfMemoryError e) { release(); return new float[length]; }
    }

    private int[] newInts(int length) {
        try { return new int[length]; }
        catch (OutOfMemoryError e) { release(); return new int[length]; }
    }

    /** Lets go of every array kept for reuse, to the garbage collector. */
    synchronized void release() { evictUntil(0); }

    private static void fill(float[] f, int start, int end, float value) {
        Parallel.forRange(end - start, FILL_GRAIN, (from, to) -> Arrays.fill(f, start + from, start + to, value));
    }

    private static void fill(int[] i, int start, int end, int value) {
        Parallel.forRange(end - start, FILL_GRAIN, (from, to) -> Arrays.fill(i, start + from, start + to, value));
    }

    /** Gives back an array this pool made; the caller must hold no other reference to it. */
    void give(Object array) {
        boolean floats = array instanceof float[];
        int length = floats ? ((float[]) array).length : ((int[]) array).length;
        if (length < MIN_LENGTH || capacity(length) != length) return;
        long bytes = 4L * length;
        synchronized (this) {
            if (bytes > limitBytes) return;
            evictUntil(limitBytes - bytes);
            int key = floats ? length : -length;
            ArrayDeque<Object> list = byUse.get(key);
            if (list == null) {
                byUse.put(key, list = new ArrayDeque<>());
                (floats ? freeFloats : freeInts).put(length, list);
            }
            list.push(array);
            heldBytes += bytes;
        }
    }

    /** Bytes held for reuse now. */
    synchronized long heldBytes() { return heldBytes; }

    /**
     * The smallest free array that serves length elements, if one is at most {@link #MAX_SLACK} times its size
     * class: one made for a longer batch serves a shorter one.
     */
    private Object take(boolean floats, int length) {
        int c = capacity(length);
        if (c < MIN_LENGTH) return null;
        synchronized (this) {
            TreeMap<Integer, ArrayDeque<Object>> kind = floats ? freeFloats : freeInts;
            Map.Entry<Integer, ArrayDeque<Object>> e = kind.ceilingEntry(c);
            if (e == null || e.getKey() > (long) MAX_SLACK * c) return null;
            int key = floats ? e.getKey() : -e.getKey();
            ArrayDeque<Object> list = e.getValue();
            Object array = list.pop();
            if (list.isEmpty()) { kind.remove(e.getKey()); byUse.remove(key); }
            else byUse.get(key);   // marks the class as used now
            heldBytes -= 4L * e.getKey();
            return array;
        }
    }

    private void evictUntil(long bytes) {
        Iterator<Map.Entry<Integer, ArrayDeque<Object>>> it = byUse.entrySet().iterator();
        while (heldBytes > bytes && it.hasNext()) {
            Map.Entry<Integer, ArrayDeque<Object>> e = it.next();
            heldBytes -= 4L * Math.abs(e.getKey()) * e.getValue().size();
            (e.getKey() > 0 ? freeFloats : freeInts).remove(Math.abs(e.getKey()));
            it.remove();
        }
    }
}
