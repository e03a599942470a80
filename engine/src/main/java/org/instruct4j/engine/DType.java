package org.instruct4j.engine;

/** Element types. F32 and I32 live on every backend; BF16 is a storage type of the CUDA backend. */
public enum DType {
    F32(4), BF16(2), I32(4);

    private final int bytes;

    DType(int bytes) { this.bytes = bytes; }

    /** Bytes one element takes in memory. */
    public int bytes() { return bytes; }

    public boolean isFloating() { return this != I32; }
}
