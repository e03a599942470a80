package org.instruct4j.engine;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import org.instruct4j.engine.autograd.Autograd;
import org.instruct4j.engine.autograd.GradMode;
import org.instruct4j.engine.autograd.Node;
import org.instruct4j.engine.backend.Backend;
import org.instruct4j.engine.backend.Backends;
import org.instruct4j.engine.backend.Buffer;
import org.instruct4j.engine.ops.Arith;
import org.instruct4j.engine.ops.MatMul;
import org.instruct4j.engine.ops.Reduce;
import org.instruct4j.engine.ops.ShapeOps;

/**
 * An n-dimensional array on one device: a shape, a dtype and a contiguous row-major {@link Buffer}, plus what
 * autograd needs (whether it requires a gradient, its gradient, and the {@link Node} that made it).
 *
 * <p>Ops live in {@code org.instruct4j.engine.ops}, one class per op with its forward and backward side by side;
 * the methods here are shortcuts to the common ones. Every op makes a new tensor; none changes its inputs.
 *
 * <p>Lifetime: a tensor made while a {@link Scope} is open belongs to it and is freed when it closes (its memory
 * goes back to the device's pool); one made with no scope open belongs to nobody, and only {@link #free()} gives
 * its memory back. Dropped without it, a GPU tensor's device memory stays taken (nothing watches for the tensor
 * becoming unreachable), and a CPU tensor's array goes to the garbage collector, not to the pool. Using a freed
 * tensor fails, saying what freed it.
 *
 * <p>Threads: a tensor, and a model's parameters, may be read by several threads at once (a shared model answering
 * prompts), but training (backward into the same parameters, an optimizer step) is one thread's at a time: the
 * gradients it adds up are not guarded against a second writer.
 */
public final class Tensor implements AutoCloseable {
    private final int[] shape;
    private final DType dtype;
    private final Buffer buffer;
    private final Tensor viewOf;          // non-null when this tensor shares another's buffer (reshape)
    private boolean requiresGrad;
    private Tensor grad;
    private Node gradFn;
    private String name;
    private boolean freed;
    /** Why the memory was given back, for the error of a later use. */
    private String freedBy;
    /** Tensors made so far in this JVM; each tensor's number among them tells what was made before what. */
    private static final AtomicLong MADE = new AtomicLong();
    private final long serial = MADE.incrementAndGet();

    private Tensor(int[] shape, DType dtype, Buffer buffer, Tensor viewOf) {
        this.shape = shape.clone();
        this.dtype = dtype;
        this.buffer = buffer;
        this.viewOf = viewOf;
        long n = numel(shape);
        if (buffer.length() != n)
            throw new IllegalArgumentException("buffer of " + buffer.length() + " elements for shape " + shapeString(shape));
        Scope scope = Scope.current();
        if (scope != null) scope.adopt(this);
    }

    // ---- making tensors -------------------------------------------------------------------------------------

    /** Wraps a buffer the caller just made (ops use this for their outputs). */
    public static Tensor wrap(Buffer buffer, int... shape) { return new Tensor(shape, buffer.dtype(), buffer, null); }

    /** A tensor of zeros of the given dtype and shape on the device. */
    public static Tensor zeros(DType dtype, Device device, int... shape) {
        checkShape(shape);
        return wrap(Backends.of(device).allocate(dtype, numel(shape)), shape);
    }

    /** An F32 tensor of zeros on the CPU. */
    public static Tensor zeros(int... shape) { return zeros(DType.F32, Device.CPU, shape); }

    /** An F32 tensor with every element {@code value}. */
    public static Tensor full(float value, Device device, int... shape) { return full(value, DType.F32, device, shape); }

    public static Tensor full(float value, DType dtype, Device device, int... shape) {
        Tensor t = zeros(dtype, device, shape);
        t.backend().fill(t.buffer, value);
        return t;
    }

    /** An F32 CPU tensor holding a copy of data in row-major order; data.length must be the shape's element count. */
    public static Tensor of(float[] data, int... shape) { return of(data, Device.CPU, shape); }

    /** An F32 tensor on the device holding a copy of data in row-major order. */
    public static Tensor of(float[] data, Device device, int... shape) { return of(data, DType.F32, device, shape); }

    /** The values in a floating dtype (BF16 rounds each to nearest even). */
    public static Tensor of(float[] data, DType dtype, Device device, int... shape) {
        checkShape(shape);
        if (data.length != numel(shape))
            throw new IllegalArgumentException(data.length + " values do not fill shape " + shapeString(shape));
        if (!dtype.isFloating()) throw new IllegalArgumentException("Tensor.of(float[]) makes a floating tensor, not " + dtype);
        Tensor t = zeros(dtype, device, shape);
        t.backend().upload(data, t.buffer);
        return t;
    }

    /** An I32 CPU tensor (token ids, targets) holding a copy of data in row-major order. */
    public static Tensor ofInts(int[] data, int... shape) { return ofInts(data, Device.CPU, shape); }

    /** An I32 tensor on the device holding a copy of data in row-major order. */
    public static Tensor ofInts(int[] data, Device device, int... shape) {
        checkShape(shape);
        if (data.length != numel(shape))
            throw new IllegalArgumentException(data.length + " values do not fill shape " + shapeString(shape));
        Tensor t = zeros(DType.I32, device, shape);
        t.backend().upload(data, t.buffer);
        return t;
    }

    /** Normal(0, std) values drawn from rng in row-major order. */
    public static Tensor randn(Rng rng, float std, Device device, int... shape) { return randn(rng, std, DType.F32, device, shape); }

    /** Normal(0, std) values drawn from rng in row-major order, in the given floating dtype. */
    public static Tensor randn(Rng rng, float std, DType dtype, Device device, int... shape) {
        float[] v = new float[Math.toIntExact(numel(shape))];
        for (int i = 0; i < v.length; i++) v[i] = (float) (rng.nextGaussian() * std);
        return of(v, dtype, device, shape);
    }

    /** Normal(0, std) F32 values on the CPU. */
    public static Tensor randn(Rng rng, float std, int... shape) { return randn(rng, std, Device.CPU, shape); }

    // ---- what it is -----------------------------------------------------------------------------------------

    /** The sizes of the dims, outermost first (a copy). */
    public int[] shape() { return shape.clone(); }

    /** The number of dims (0 for a scalar). */
    public int rank() { return shape.length; }

    /** Size of dimension i; negative i counts from the end. */
    public int dim(int i) {
        int j = i < 0 ? shape.length + i : i;
        if (j < 0 || j >= shape.length) throw new IllegalArgumentException("dim " + i + " of a tensor of shape " + shapeString(shape));
        return shape[j];
    }

    /** The number of elements. */
    public long numel() { return numel(shape); }

    public DType dtype() { return dtype; }

    public Device device() { return buffer.backend().device(); }

    /** The backend that runs this tensor's device's kernels. */
    public Backend backend() { return buffer.backend(); }

    /** The memory holding the elements; fails if the tensor was freed. */
    public Buffer buffer() {
        if (freed || (viewOf != null && viewOf.freed))
            throw new IllegalStateException("tensor " + describe() + " was freed " + (freed ? freedBy : viewOf.freedBy));
        return buffer;
    }

    public String name() { return name; }

    /** Names this tensor for error messages and checkpoints; returns this. */
    public Tensor named(String name) { this.name = name; return this; }

    /** A copy of the elements in row-major order (from the device, for a GPU tensor). */
    public float[] toFloatArray() { return backend().downloadFloats(buffer()); }

    /** A copy of an I32 tensor's elements in row-major order. */
    public int[] toIntArray() { return backend().downloadInts(buffer()); }

    /** The value of a one-element tensor. */
    public float item() {
        if (numel() != 1) throw new IllegalArgumentException("item() of " + describe() + ": not a scalar");
        return toFloatArray()[0];
    }

    /** Name, dtype, shape and the op that made it, as error messages print a tensor: {@code 'w' F32[3,4] from matmul}. */
    public String describe() {
        return (name == null ? "" : "'" + name + "' ") + dtype + shapeString(shape)
                + (gradFn == null ? "" : " from " + gradFn.op());
    }

    @Override public String toString() { return "Tensor " + describe(); }

    // ---- autograd -------------------------------------------------------------------------------------------

    /** Whether backward computes a gradient for this tensor (a parameter, or anything made from one). */
    public boolean requiresGrad() { return requiresGrad; }

    /** Marks a leaf (a parameter) as needing a gradient; returns this. */
    public Tensor requiresGrad(boolean value) {
        if (gradFn != null && !value) throw new IllegalStateException("cannot stop a non-leaf needing grad; use detach()");
        if (value && !dtype.isFloating()) throw new IllegalArgumentException("an integer tensor cannot require grad: " + describe());
        requiresGrad = value;
        return this;
    }

    /** The gradient the backward passes added up for this leaf since the last {@link #zeroGrad()}, or null. */
    public Tensor grad() { return grad; }

    /** The op that made this tensor with history, or null for a leaf or a tensor made without grad. */
    public Node gradFn() { return gradFn; }

    /** Drops the accumulated gradient (the optimizer's zero_grad). */
    public void zeroGrad() {
        if (grad != null) grad.free("by zeroGrad() (a gradient lives until the next zeroGrad)");
        grad = null;
    }

    /**
     * Makes g this tensor's gradient, freeing the one it had: for tests and embedders that compute a gradient
     * themselves (the engine's own backward adds into it with {@link #accumulateGrad}). g is taken as it is, so one
     * made inside a scope is freed when that scope closes; otherwise the next setGrad or {@link #zeroGrad()} frees it.
     */
    public void setGrad(Tensor g) {
        if (g != null && !Arrays.equals(g.shape, shape))
            throw new IllegalArgumentException("gradient of shape " + shapeString(g.shape) + " for " + describe());
        if (grad != null && grad != g) grad.free("by setGrad(), which replaced it");
        grad = g;
    }

    /**
     * Adds g into this leaf's gradient. The gradient outlives the step's scope: the first g is copied into a tensor
     * of no scope, which survives until {@link #zeroGrad()}.
     */
    public void accumulateGrad(Tensor g) {
        if (grad == null) grad = g.copyOwnedByNobody();
        else backend().axpby(1f, grad.buffer(), 1f, g.buffer(), grad.buffer(), numel());
    }

    /** A copy made with every scope suspended, so no scope frees it. */
    private Tensor copyOwnedByNobody() {
        // Unfilled: the copy writes every element.
        Tensor copy = Scope.withoutScope(() -> new Tensor(shape, dtype, backend().allocateUnfilled(dtype, numel()), null));
        backend().copyBlock(buffer(), 0, 0, copy.buffer, 0, 0, 1, numel());
        return copy;
    }

    /** Records how this tensor was made, when grad mode is on and any input needs a gradient; returns this. */
    public Tensor recordOp(Node node) {
        if (!GradMode.isEnabled()) return this;
        for (Tensor in : node.inputs()) {
            if (in != null && in.requiresGrad) {
                gradFn = node;
                requiresGrad = true;
                return this;
            }
        }
        return this;
    }

    /** Backpropagates from this scalar (seed gradient 1); see {@link #backward(Tensor)}. */
    public void backward() {
        if (numel() != 1) throw new IllegalStateException("backward() needs a scalar, got " + describe());
        backward(full(1f, dtype, device(), shape));
    }

    /**
     * Backpropagates with the given gradient of this tensor (its shape). Each call adds into the leaves'
     * gradients: a second backward over the same graph doubles them, as two losses would; {@link #zeroGrad()}
     * (the optimizer's) starts again from nothing.
     */
    public void backward(Tensor gradient) {
        if (!Arrays.equals(gradient.shape, shape))
            throw new IllegalArgumentException("backward(gradient) of " + describe() + " with a gradient of shape "
                    + shapeString(gradient.shape) + ": the gradient must have the tensor's shape");
        if (gradient.dtype != dtype)
            throw new IllegalArgumentException("backward(gradient) of " + describe() + " with a " + gradient.dtype + " gradient: it must have the tensor's dtype");
        if (!requiresGrad)
            throw new IllegalStateException("backward() of " + describe() + ", which does not require grad: no tensor it was computed from"
                    + " requires grad (a frozen model's parameters do not), or it was computed with GradMode off"
                    + (GradMode.isEnabled() ? "" : ", as it is now"));
        Autograd.backward(this, gradient);
    }

    /** The same values with no history (a view of the same buffer). */
    public Tensor detach() { return new Tensor(shape, dtype, buffer(), viewOf == null ? this : viewOf); }

    // ---- lifetime -------------------------------------------------------------------------------------------

    /** Gives the memory back now. A reshape view never frees the buffer it shares. */
    public void free() { free("(by free() or close())"); }

    void freeAsScopeCloses() { free("when its scope closed"); }

    private void free(String why) {
        if (freed) return;
        freed = true;
        freedBy = why;
        if (viewOf == null) buffer.close();
    }

    /** Whether this tensor's memory was given back. */
    public boolean isFreed() { return freed; }

    /** A mark of the tensors made so far, for {@link #madeAfter}. */
    public static long madeSoFar() { return MADE.get(); }

    /** Whether this tensor was made after the mark was taken (the backward frees only gradients it made itself). */
    public boolean madeAfter(long mark) { return serial > mark; }

    /** The tensor that owns this one's buffer: this one, or the one it is a view of (a reshape or detach). */
    public Tensor storageOwner() { return viewOf == null ? this : viewOf; }

    @Override public void close() { free(); }

    /** A tensor of another shape sharing this buffer; the ops use it for the free reshape. */
    public Tensor view(int... newShape) {
        checkShape(newShape);
        if (numel(newShape) != numel())
            throw new IllegalArgumentException("reshape: " + shapeString(shape) + " has " + numel()
                    + " elements, " + shapeString(newShape) + " needs " + numel(newShape));
        return new Tensor(newShape, dtype, buffer(), viewOf == null ? this : viewOf);
    }

    // ---- shortcuts to ops -----------------------------------------------------------------------------------

    /**
     * this + other, elementwise. Shapes are equal, or one is the other's trailing dims and is repeated over its
     * leading ones (a bias (C) added to (B, T, C)); no other broadcasting.
     */
    public Tensor plus(Tensor other) { return Arith.add(this, other); }

    /** this - other, elementwise, broadcasting as {@link #plus}. */
    public Tensor minus(Tensor other) { return Arith.sub(this, other); }

    /** this * other, elementwise, broadcasting as {@link #plus}. */
    public Tensor times(Tensor other) { return Arith.mul(this, other); }

    /** this * factor. */
    public Tensor scale(float factor) { return Arith.scale(this, factor); }

    /** The matrix product (..., m, k) x (k, n) or (..., k, n) -> (..., m, n); {@link MatMul} has the transposed forms. */
    public Tensor matmul(Tensor other) { return MatMul.matmul(this, other, false, false); }

    /** The same elements in another shape of the same count (one dim may be -1); shares this tensor's memory. */
    public Tensor reshape(int... newShape) { return ShapeOps.reshape(this, newShape); }

    /** Swaps two adjacent dims (a copy). */
    public Tensor transpose(int dim0, int dim1) { return ShapeOps.transpose(this, dim0, dim1); }

    /** The sum of all elements, a scalar. */
    public Tensor sum() { return Reduce.sum(this); }

    /** The mean of all elements, a scalar. */
    public Tensor mean() { return Reduce.mean(this); }

    // ---- shape helpers --------------------------------------------------------------------------------------

    /** The element count of a shape. */
    public static long numel(int[] shape) {
        long n = 1;
        for (int d : shape) n *= d;
        return n;
    }

    /** A shape as error messages print it: [2,3,4]. */
    public static String shapeString(int[] shape) { return Arrays.toString(shape).replace(" ", ""); }

    static void checkShape(int[] shape) {
        for (int d : shape)
            if (d < 0) throw new IllegalArgumentException("negative size in shape " + shapeString(shape));
    }
}
