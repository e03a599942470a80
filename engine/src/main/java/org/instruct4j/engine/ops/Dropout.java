package org.instruct4j.engine.ops;

import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.autograd.Node;

/**
 * Inverted dropout with a seeded counter-based mask: the same (seed, element) always drops the same way, so
 * the backward applies the identical mask to the gradient without storing it.
 */
public final class Dropout {
    private Dropout() {}

    public static Tensor apply(Tensor x, float p, long seed) {
        if (p < 0 || p >= 1) throw new IllegalArgumentException("dropout probability must be in [0, 1), got " + p);
        if (p == 0) return x;
        Ops.floating("dropout", x);
        Tensor out = Ops.newLike(x, x.shape());
        x.backend().dropout(x.buffer(), out.buffer(), x.numel(), p, seed);
        return out.recordOp(new Node("dropout", new Tensor[] {x}, g -> {
            Tensor dx = Ops.newLike(g, x.shape());
            g.backend().dropout(g.buffer(), dx.buffer(), x.numel(), p, seed);
            return new Tensor[] {dx};
        }));
    }
}
