package org.instruct4j.engine.backend.cuda;

/** Where the caching allocator gets raw device memory: cuMemAlloc / cuMemFree on a GPU, a fake in tests. */
public interface DeviceMemory {
    /** A new block of at least bytes; throws CudaException (status 2) when the device is out of memory. */
    long allocate(long bytes);

    void free(long pointer);
}
