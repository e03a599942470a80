package org.instruct4j.engine.backend.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class CachingAllocatorTest {
    /** Hands out fake addresses; can be told to run out of memory once more than `limit` bytes are live. */
    static final class FakeMemory implements DeviceMemory {
        long next = 0x1000, live, limit = Long.MAX_VALUE;
        final Set<Long> allocated = new HashSet<>();
        final java.util.Map<Long, Long> sizes = new java.util.HashMap<>();

        @Override public long allocate(long bytes) {
            if (live + bytes > limit) throw new CudaException("cuMemAlloc_v2 failed: CUDA_ERROR_OUT_OF_MEMORY", 2);
            long p = next;
            next += bytes;
            live += bytes;
            allocated.add(p);
            sizes.put(p, bytes);
            return p;
        }

        @Override public void free(long pointer) {
            assertThat(allocated.remove(pointer)).as("free of a pointer that is not allocated").isTrue();
            live -= sizes.remove(pointer);
        }
    }

    @Test void sizeClassesRoundUp() {
        assertThat(CachingAllocator.sizeClass(0)).isEqualTo(512);
        assertThat(CachingAllocator.sizeClass(1)).isEqualTo(512);
        assertThat(CachingAllocator.sizeClass(513)).isEqualTo(1024);
        assertThat(CachingAllocator.sizeClass(1 << 20)).isEqualTo(1 << 20);
        assertThat(CachingAllocator.sizeClass((1 << 20) + 1)).isEqualTo(2 << 20);
        assertThat(CachingAllocator.sizeClass((5L << 20) + 7)).isEqualTo(6L << 20);
        assertThatThrownBy(() -> CachingAllocator.sizeClass(-1)).hasMessageContaining("negative");
    }

    @Test void aRepeatedStepAllocatesFromTheDeviceOnlyOnce() {
        FakeMemory mem = new FakeMemory();
        CachingAllocator alloc = new CachingAllocator(mem);
        for (int step = 0; step < 5; step++) {
            var a = alloc.allocate(1000, 7);
            var b = alloc.allocate(3 << 20, 7);
            var c = alloc.allocate(1000, 7);
            assertThat(a.pointer()).isNotEqualTo(c.pointer());
            alloc.release(a);
            alloc.release(b);
            alloc.release(c);
        }
        AllocatorStats s = alloc.stats();
        assertThat(s.deviceAllocations()).isEqualTo(3);
        assertThat(s.inUseBytes()).isZero();
        assertThat(s.cachedBytes()).isEqualTo(2 * 1024 + (4L << 20));
        assertThat(s.peakInUseBytes()).isEqualTo(2 * 1024 + (4L << 20));
    }

    @Test void freeListsArePerStream() {
        CachingAllocator alloc = new CachingAllocator(new FakeMemory());
        var a = alloc.allocate(100, 1);
        alloc.release(a);
        var b = alloc.allocate(100, 2);
        assertThat(b.pointer()).isNotEqualTo(a.pointer());
        var c = alloc.allocate(100, 1);
        assertThat(c.pointer()).isEqualTo(a.pointer());
        assertThat(alloc.stats().deviceAllocations()).isEqualTo(2);
    }

    @Test void outOfMemoryEmptiesTheCacheAndRetries() {
        FakeMemory mem = new FakeMemory();
        mem.limit = 4 << 20;
        CachingAllocator alloc = new CachingAllocator(mem);
        alloc.release(alloc.allocate(3 << 20, 0));  // 4 MiB class, now cached
        var big = alloc.allocate(2 << 20, 0);        // another class: needs the cached block given back
        assertThat(big.bytes()).isEqualTo(2 << 20);
        assertThat(alloc.stats().deviceFrees()).isEqualTo(1);
        assertThat(alloc.stats().cachedBytes()).isZero();
        assertThatThrownBy(() -> alloc.allocate(3 << 20, 0)).isInstanceOf(CudaException.class).hasMessageContaining("OUT_OF_MEMORY");
    }

    @Test void emptyCacheFreesEveryCachedBlock() {
        FakeMemory mem = new FakeMemory();
        CachingAllocator alloc = new CachingAllocator(mem);
        var a = alloc.allocate(10, 0);
        var b = alloc.allocate(10, 1);
        alloc.release(a);
        alloc.release(b);
        alloc.emptyCache();
        assertThat(mem.allocated).isEmpty();
        assertThat(alloc.stats().deviceFrees()).isEqualTo(2);
    }
}
