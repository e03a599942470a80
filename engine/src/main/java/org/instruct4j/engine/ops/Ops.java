package org.instruct4j.engine.ops;

import java.util.Arrays;
import org.instruct4j.engine.DType;
import org.instruct4j.engine.Tensor;

/** What every op shares: output allocation and the checks whose errors name the op and the shapes. */
final class Ops {
    private Ops() {}

    // The new* outputs are unfilled (Backend.allocateUnfilled): the primitive that follows must write every element.
    // An op that writes only part of its output takes zerosLike.

    /**
     * A new tensor of like's floating dtype (BF16 activations stay BF16 on the GPU; the CPU is all F32) on like's
     * device.
     */
    static Tensor newLike(Tensor like, int... shape) {
        return Tensor.wrap(like.backend().allocateUnfilled(floatingDType(like), Tensor.numel(shape)), shape);
    }

    /** newLike, zero-filled. */
    static Tensor zerosLike(Tensor like, int... shape) {
        return Tensor.wrap(like.backend().allocate(floatingDType(like), Tensor.numel(shape)), shape);
    }

    private static DType floatingDType(Tensor like) { return like.dtype().isFloating() ? like.dtype() : DType.F32; }

    /** A new F32 tensor on like's device: losses and softmax / normalisation statistics stay F32 in mixed precision. */
    static Tensor newF32(Tensor like, int... shape) {
        return Tensor.wrap(like.backend().allocateUnfilled(DType.F32, Tensor.numel(shape)), shape);
    }

    static Tensor newInts(Tensor like, int... shape) {
        return Tensor.wrap(like.backend().allocateUnfilled(DType.I32, Tensor.numel(shape)), shape);
    }

    static void sameDevice(String op, Tensor... ts) {
        for (Tensor t : ts)
            if (t != null && !t.device().equals(ts[0].device()))
                throw new IllegalArgumentException(op + ": tensors on different devices: " + ts[0].device() + " and " + t.device());
    }

    static void floating(String op, Tensor... ts) {
        for (Tensor t : ts)
            if (t != null && !t.dtype().isFloating())
                throw new IllegalArgumentException(op + ": expected a floating tensor, got " + t.describe());
    }

    static void ints(String op, Tensor t) {
        if (t.dtype() != DType.I32) throw new IllegalArgumentException(op + ": expected I32 ids, got " + t.describe());
    }

    static void rank(String op, Tensor t, int rank) {
        if (t.rank() != rank) throw new IllegalArgumentException(op + ": expected rank " + rank + ", got " + t.describe());
    }

    static IllegalArgumentException shapes(String op, String what, Tensor a, Tensor b) {
        return new IllegalArgumentException(op + ": " + what + ": " + Tensor.shapeString(a.shape()) + " and " + Tensor.shapeString(b.shape()));
    }

    /** True when b's shape equals the trailing dims of a's (b broadcasts over a's leading dims). */
    static boolean isSuffix(int[] a, int[] b) {
        if (b.length > a.length) return false;
        return Arrays.equals(Arrays.copyOfRange(a, a.length - b.length, a.length), b);
    }

    static int[] with(int[] shape, int dim, int size) {
        int[] s = shape.clone();
        s[dim] = size;
        return s;
    }

    static long prod(int[] shape, int from, int to) {
        long n = 1;
        for (int i = from; i < to; i++) n *= shape[i];
        return n;
    }
}
