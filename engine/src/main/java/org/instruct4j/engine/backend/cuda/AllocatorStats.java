package org.instruct4j.engine.backend.cuda;

/**
 * @param inUseBytes bytes in blocks handed out and not yet released (rounded to size classes)
 * @param cachedBytes bytes in released blocks kept for reuse
 * @param peakInUseBytes the highest inUseBytes so far
 * @param deviceAllocations calls to the device allocator (cuMemAlloc) so far
 * @param deviceFrees blocks given back to the device (cuMemFree) so far
 */
public record AllocatorStats(long inUseBytes, long cachedBytes, long peakInUseBytes, long deviceAllocations, long deviceFrees) {
    @Override public String toString() {
        return String.format("in use %.1f MiB, cached %.1f MiB, peak %.1f MiB, %d cuMemAlloc, %d cuMemFree",
                inUseBytes / 1048576.0, cachedBytes / 1048576.0, peakInUseBytes / 1048576.0, deviceAllocations, deviceFrees);
    }
}
