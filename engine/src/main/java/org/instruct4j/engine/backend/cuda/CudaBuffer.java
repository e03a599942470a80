package org.instruct4j.engine.backend.cuda;

import org.instruct4j.engine.DType;
import org.instruct4j.engine.backend.Backend;
import org.instruct4j.engine.backend.Buffer;

/**
 * Device storage for one tensor: F32, BF16 or I32 elements in a block of the caching allocator. close() returns the
 * block to the cache.
 */
public final class CudaBuffer implements Buffer {
    private final CudaBackend backend;
    private final DType dtype;
    private final long length;
    private CachingAllocator.Block block;

    CudaBuffer(CudaBackend backend, DType dtype, long length, CachingAllocator.Block block) {
        this.backend = backend;
        this.dtype = dtype;
        this.length = length;
        this.block = block;
    }

    /** The device address of element 0. */
    public long pointer() {
        if (block == null) throw new IllegalStateException("use of a closed CUDA buffer (" + dtype + " x " + length + ")");
        return block.pointer();
    }

    long bytes() { return length * dtype.bytes(); }

    @Override public DType dtype() { return dtype; }

    @Override public long length() { return length; }

    @Override public Backend backend() { return backend; }

    @Override public boolean isClosed() { return block == null; }

    @Override public void close() {
        if (block == null) return;
        backend.allocator().release(block);
        block = null;
    }

    @Override public String toString() { return "CudaBuffer(" + dtype + " x " + length + (block == null ? ", closed)" : ")"); }
}
