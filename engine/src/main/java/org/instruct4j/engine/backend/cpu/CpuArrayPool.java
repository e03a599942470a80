package org.instruct4j.engine.backend.cpu;

import java.lang.ref.ReferenceQueue;
import java.lang.ref.SoftReference;
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
 * collector first. Arrays under {@link #MIN_LENGTH} elements are not pooled: the JVM allocates them cheaply.
 *
 * <p>Each size class's free arrays are held through a {@link SoftReference}, which the collector clears before it
 * would throw OutOfMemoryError (and, by its own rule, once a class has gone unused for about a second per free
 * megabyte of heap). So idle arrays never cost anyone memory: not a stage that needs arrays of other sizes (the
 * demo's reward model after fine-tuning, in a 1 GiB heap), nor an embedder's own allocations after its training
 * is done, which with strongly held arrays found up to half of the heap taken by a cache it cannot see.
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
    private final TreeMap<Integer, FreeList> freeFloats = new TreeMap<>(), freeInts = new TreeMap<>();
    /** The same lists by key (capacity, negative for int[]), in least-recently-used order, for eviction. */
    private final LinkedHashMap<Integer, FreeList> byUse = new LinkedHashMap<>(64, 0.75f, true);
    /** Lists the collector has cleared, to take out of the maps and the count. */
    private final ReferenceQueue<ArrayDeque<Object>> cleared = new ReferenceQueue<>();
    private long heldBytes;

    /**
     * One size class's free arrays, softly held. The count lives beside the reference, so the bytes a list held
     * are known after the collector cleared it.
     */
    private static final class FreeList extends SoftReference<ArrayDeque<Object>> {
        final int key;
        int count;
        boolean dropped;

        FreeList(int key, ReferenceQueue<ArrayDeque<Object>> queue) { super(new ArrayDeque<>(), queue); this.key = key; }

        long bytes() { return 4L * Math.abs(key) * count; }
    }

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
        float[] f = a == null ? new float[capacity(length)] : (float[]) a;
        if (zeroed && a != null) fill(f, 0, length, 0f);
        if (POISON) fill(f, zeroed ? length : 0, f.length, Float.NaN);
        return f;
    }

    /** An int[] of at least length elements: the first length zeroed, or when not, holding whatever they held. */
    int[] ints(int length, boolean zeroed) {
        Object a = take(false, length);
        int[] i = a == null ? new int[capacity(length)] : (int[]) a;
        if (zeroed && a != null) fill(i, 0, length, 0);
        if (POISON) fill(i, zeroed ? length : 0, i.length, Integer.MIN_VALUE);
        return i;
    }

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
            dropCleared();
            evictUntil(limitBytes - bytes);
            int key = floats ? length : -length;
            FreeList list = byUse.get(key);
            ArrayDeque<Object> arrays = list == null ? null : list.get();
            if (arrays == null) {
                if (list != null) drop(list);
                list = new FreeList(key, cleared);
                arrays = list.get();
                byUse.put(key, list);
                (floats ? freeFloats : freeInts).put(length, list);
            }
            arrays.push(array);
            list.count++;
            heldBytes += bytes;
        }
    }

    /** Bytes held for reuse now (what the collector has cleared no longer counts). */
    synchronized long heldBytes() {
        for (FreeList list : byUse.values().toArray(FreeList[]::new)) if (list.refersTo(null)) drop(list);
        return heldBytes;
    }

    /**
     * The smallest free array that serves length elements, if one is at most {@link #MAX_SLACK} times its size
     * class: one made for a longer batch serves a shorter one.
     */
    private Object take(boolean floats, int length) {
        int c = capacity(length);
        if (c < MIN_LENGTH) return null;
        synchronized (this) {
            dropCleared();
            TreeMap<Integer, FreeList> kind = floats ? freeFloats : freeInts;
            while (true) {
                Map.Entry<Integer, FreeList> e = kind.ceilingEntry(c);
                if (e == null || e.getKey() > (long) MAX_SLACK * c) return null;
                FreeList list = e.getValue();
                ArrayDeque<Object> arrays = list.get();
                if (arrays == null) { drop(list); continue; }   // cleared since the queue was read
                Object array = arrays.pop();
                list.count--;
                if (arrays.isEmpty()) drop(list);
                else byUse.get(list.key);   // marks the class as used now
                heldBytes -= 4L * e.getKey();
                return array;
            }
        }
    }

    private void evictUntil(long bytes) {
        Iterator<FreeList> it = byUse.values().iterator();
        while (heldBytes > bytes && it.hasNext()) {
            FreeList list = it.next();
            it.remove();
            drop(list);
            list.clear();
        }
    }

    /** Takes a list out of the maps and its arrays out of the count, once, whether evicted, emptied or cleared. */
    private void drop(FreeList list) {
        if (list.dropped) return;
        list.dropped = true;
        heldBytes -= list.bytes();
        byUse.remove(list.key, list);
        (list.key > 0 ? freeFloats : freeInts).remove(Math.abs(list.key), list);
    }

    private void dropCleared() {
        for (Object r; (r = cleared.poll()) != null; ) drop((FreeList) r);
    }
}
