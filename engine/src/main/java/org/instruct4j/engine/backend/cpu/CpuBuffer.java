package org.instruct4j.engine.backend.cpu;

import org.instruct4j.engine.DType;
import org.instruct4j.engine.backend.Backend;
import org.instruct4j.engine.backend.Buffer;

/**
 * CPU storage: a Java float[] (F32) or int[] (I32), zeroed unless made for an op's output. Closing gives the array
 * to {@link CpuArrayPool} for a later buffer of its dtype whose size class it serves (it may be longer than that
 * buffer, which uses only its own length); a closed buffer refuses every access, so a stale tensor cannot read the
 * array's next owner's values.
 */
public final class CpuBuffer implements Buffer {
    private final DType dtype;
    private final long length;
    private float[] floats;
    private int[] ints;

    /** zeroed false: the caller writes every element before reading one (see Backend#allocateUnfilled). */
    CpuBuffer(DType dtype, long length, boolean zeroed) {
        if (length > Integer.MAX_VALUE - 16)
            throw new IllegalArgumentException("a CPU tensor holds at most 2^31 elements, asked for " + length);
        this.dtype = dtype;
        this.length = length;
        switch (dtype) {
            case F32 -> floats = CpuArrayPool.SHARED.floats((int) length, zeroed);
            case I32 -> ints = CpuArrayPool.SHARED.ints((int) length, zeroed);
            case BF16 -> throw new IllegalArgumentException("BF16 tensors live on the CUDA backend; the CPU stores F32");
        }
    }

    /** The backing array of an F32 buffer. */
    public float[] f() {
        if (floats == null) throw new IllegalStateException(ints != null ? "expected an F32 buffer, got I32" : "buffer was freed");
        return floats;
    }

    /** The backing array of an I32 buffer. */
    public int[] i() {
        if (ints == null) throw new IllegalStateException(floats != null ? "expected an I32 buffer, got F32" : "buffer was freed");
        return ints;
    }

    /** The backing array of any CPU buffer, for the primitives that copy whatever the dtype. */
    Object array() { return floats != null ? floats : ints; }

    @Override public DType dtype() { return dtype; }

    @Override public long length() { return length; }

    @Override public Backend backend() { return CpuBackend.INSTANCE; }

    @Override public boolean isClosed() { return floats == null && ints == null; }

    @Override public void close() {
        Object array = array();
        floats = null;
        ints = null;
        if (array != null) CpuArrayPool.SHARED.give(array);
    }
}
