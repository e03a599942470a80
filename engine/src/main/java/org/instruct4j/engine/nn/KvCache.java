package org.instruct4j.engine.nn;

import org.instruct4j.engine.Device;
import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.autograd.GradMode;

/**
 * The keys and values of the tokens a model has already seen, per layer, (B, H, capacity, D) each, so a
 * generation step only computes the new token. For generation only: use it under {@link GradMode#off()}.
 * The buffers are made on first use (with the keys' dtype) and belong to the scope open at that time;
 * {@link #close()} gives them back early.
 */
public final class KvCache implements AutoCloseable {
    private final Tensor[] keys, values;
    private final int batch, capacity, heads, headDim;
    private final Device device;
    private int length;

    KvCache(int layers, int batch, int capacity, int heads, int headDim, Device device) {
        if (batch <= 0 || capacity <= 0)
            throw new IllegalArgumentException("KV cache: batch and capacity must be positive, got " + batch + " and " + capacity);
        this.keys = new Tensor[layers];
        this.values = new Tensor[layers];
        this.batch = batch;
        this.capacity = capacity;
        this.heads = heads;
        this.headDim = headDim;
        this.device = device;
    }

    /** Number of tokens cached per row. */
    public int length() { return length; }

    public int capacity() { return capacity; }

    public int batch() { return batch; }

    /** Forgets the cached tokens (the buffers are reused). */
    public void reset() { length = 0; }

    /** Checks that t more tokens of a batch of b fit; called by the model before the layers run. */
    void checkRoom(int b, int t) {
        if (b != batch) throw new IllegalArgumentException("KV cache made for batch " + batch + ", given batch " + b);
        if (length + t > capacity)
            throw new IllegalStateException("KV cache full: " + length + " cached + " + t + " new tokens exceed its capacity " + capacity);
        if (GradMode.isEnabled())
            throw new IllegalStateException("the KV cache is for generation: run the model under GradMode.off()");
    }

    /**
     * One layer's whole buffers (B, H, capacity, D), of which the first {@code filled} positions hold its keys and
     * values so far, which attention reads in place ({@link org.instruct4j.engine.ops.Attention#inCache}).
     */
    record Layer(Tensor keys, Tensor values, int filled) {}

    /** Stores k, v (B, H, T, D) after the cached tokens of layer; returns the layer's buffers, filled to length() + T. */
    Layer append(int layer, Tensor k, Tensor v) {
        int t = k.dim(2);
        if (keys[layer] == null) {
            keys[layer] = Tensor.zeros(k.dtype(), device, batch, heads, capacity, headDim);
            values[layer] = Tensor.zeros(v.dtype(), device, batch, heads, capacity, headDim);
        }
        write(k, keys[layer], t);
        write(v, values[layer], t);
        return new Layer(keys[layer], values[layer], length + t);
    }

    /** Marks t more tokens as cached, once every layer has appended them. */
    void advance(int t) { length += t; }

    private void write(Tensor src, Tensor dst, int t) {
        // Row r = (b, h) of src holds t * D values; it lands at position `length` of the same row of dst.
        long rowLen = (long) t * headDim;
        dst.backend().copyBlock(src.buffer(), 0, rowLen, dst.buffer(), (long) length * headDim,
                (long) capacity * headDim, (long) batch * heads, rowLen);
    }

    @Override public void close() {
        for (int i = 0; i < keys.length; i++) {
            if (keys[i] != null) keys[i].free();
            if (values[i] != null) values[i].free();
            keys[i] = values[i] = null;
        }
        length = 0;
    }
}
