package org.instruct4j.engine.backend.cuda;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * Keeps released device blocks for reuse, so a training step that repeats the same shapes makes no cuMemAlloc
 * after the first. Requests are rounded up to size classes and a released block goes to the free list of its
 * (stream, size class): reuse on the same stream is ordered after the kernels that last used the block, so no
 * synchronisation is needed. When the device runs out of memory, the cache is emptied and the request retried.
 */
public final class CachingAllocator {
    static final long SMALL_LIMIT = 1L << 20, SMALL_ROUND = 512, LARGE_ROUND = 2L << 20;

    /** A block handed out by allocate: give it back with release. */
    public record Block(long pointer, long bytes, long stream) {}

    private final DeviceMemory memory;
    private final Map<Long, Map<Long, ArrayDeque<Long>>> free = new HashMap<>();
    private long inUse, cached, peak, deviceAllocations, deviceFrees;

    public CachingAllocator(DeviceMemory memory) { this.memory = memory; }

    /** Requests up to 1 MiB round up to 512 bytes; larger ones to 2 MiB. Zero bytes still get a block. */
    static long sizeClass(long bytes) {
        if (bytes < 0) throw new IllegalArgumentException("negative allocation of " + bytes + " bytes");
        long round = bytes <= SMALL_LIMIT ? SMALL_ROUND : LARGE_ROUND;
        return Math.max(round, (bytes + round - 1) / round * round);
    }

    public synchronized Block allocate(long bytes, long stream) {
        long size = sizeClass(bytes);
        ArrayDeque<Long> list = free.computeIfAbsent(stream, s -> new HashMap<>()).get(size);
        long pointer;
        if (list != null && !list.isEmpty()) {
            pointer = list.pop();
            cached -= size;
        } else {
            pointer = allocateFromDevice(size);
        }
        inUse += size;
        peak = Math.max(peak, inUse);
        return new Block(pointer, size, stream);
    }

    private long allocateFromDevice(long size) {
        try {
            deviceAllocations++;
            return memory.allocate(size);
        } catch (CudaException e) {
            if (e.status() != CudaDriver.ERROR_OUT_OF_MEMORY || cached == 0) throw e;
            emptyCache();
            deviceAllocations++;
            return memory.allocate(size);
        }
    }

    public synchronized void release(Block block) {
        inUse -= block.bytes();
        cached += block.bytes();
        free.computeIfAbsent(block.stream(), s -> new HashMap<>())
                .computeIfAbsent(block.bytes(), s -> new ArrayDeque<>()).push(block.pointer());
    }

    /** Gives every cached block back to the device. */
    public synchronized void emptyCache() {
        for (Map<Long, ArrayDeque<Long>> bySize : free.values())
            for (ArrayDeque<Long> list : bySize.values())
                while (!list.isEmpty()) {
                    memory.free(list.pop());
                    deviceFrees++;
                }
        cached = 0;
    }

    public synchronized AllocatorStats stats() { return new AllocatorStats(inUse, cached, peak, deviceAllocations, deviceFrees); }
}
