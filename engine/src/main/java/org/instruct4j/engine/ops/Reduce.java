package org.instruct4j.engine.ops;

import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.autograd.Node;

/** Full reductions to a scalar: sum and mean. Their backward broadcasts the scalar gradient back. */
public final class Reduce {
    private Reduce() {}

    public static Tensor sum(Tensor x) { return scaledSum(x, 1f, "sum"); }

    public static Tensor mean(Tensor x) {
        if (x.numel() == 0) throw new IllegalArgumentException("mean of an empty tensor " + x.describe());
        return scaledSum(x, 1f / x.numel(), "mean");
    }

    private static Tensor scaledSum(Tensor x, float factor, String op) {
        Ops.floating(op, x);
        Tensor out = Ops.newLike(x);
        x.backend().sum(x.buffer(), out.buffer(), x.numel());
        if (factor != 1f) x.backend().axpby(factor, out.buffer(), 0f, null, out.buffer(), 1);
        int[] shape = x.shape();
        return out.recordOp(new Node(op, new Tensor[] {x}, g -> {
            Tensor dx = Ops.newLike(x, shape);
            g.backend().broadcastScalar(g.buffer(), factor, dx.buffer(), dx.numel());
            return new Tensor[] {dx};
        }));
    }
}
