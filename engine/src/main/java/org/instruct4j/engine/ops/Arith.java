package org.instruct4j.engine.ops;

import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.autograd.Node;

/**
 * add, sub, mul and scale. The second operand may broadcast over the first one's leading dims (a bias of
 * shape (C) added to (B, T, C)); its gradient is then summed over those dims.
 */
public final class Arith {
    private Arith() {}

    public static Tensor add(Tensor a, Tensor b) {
        if (!Ops.isSuffix(a.shape(), b.shape()) && Ops.isSuffix(b.shape(), a.shape())) return add(b, a);
        check("add", a, b);
        long n = a.numel(), period = b.numel();
        Tensor out = Ops.newLike(a, a.shape());
        a.backend().add(a.buffer(), b.buffer(), out.buffer(), n, period);
        return out.recordOp(new Node("add", new Tensor[] {a, b}, g -> new Tensor[] {g, reduceTo(g, b)}));
    }

    /** a - b for equal shapes, or either one broadcast over the other's leading dims. */
    public static Tensor sub(Tensor a, Tensor b) {
        // Equal element counts are not enough for the direct path: (1, C) - (C) broadcasts, and its gradients
        // must come back in each input's own shape.
        if (!java.util.Arrays.equals(a.shape(), b.shape())) {
            if (!Ops.isSuffix(b.shape(), a.shape())) check("sub", a, b);   // a shape error names sub, not the add below
            return add(a, scale(b, -1f));
        }
        check("sub", a, b);
        Tensor out = Ops.newLike(a, a.shape());
        a.backend().axpby(1f, a.buffer(), -1f, b.buffer(), out.buffer(), a.numel());
        return out.recordOp(new Node("sub", new Tensor[] {a, b}, g -> new Tensor[] {g, b.requiresGrad() ? scale(g, -1f) : null}));
    }

    public static Tensor mul(Tensor a, Tensor b) {
        if (!Ops.isSuffix(a.shape(), b.shape()) && Ops.isSuffix(b.shape(), a.shape())) return mul(b, a);
        check("mul", a, b);
        long n = a.numel(), period = b.numel();
        Tensor out = Ops.newLike(a, a.shape());
        a.backend().mul(a.buffer(), b.buffer(), out.buffer(), n, period);
        return out.recordOp(new Node("mul", new Tensor[] {a, b}, g -> {
            Tensor da = null, db = null;
            if (a.requiresGrad()) {
                da = Ops.newLike(a, a.shape());
                a.backend().mul(g.buffer(), b.buffer(), da.buffer(), n, period);
            }
            if (b.requiresGrad()) {
                Tensor full = Ops.newLike(a, a.shape());
                a.backend().mul(g.buffer(), a.buffer(), full.buffer(), n, n);
                db = reduceTo(full, b);
            }
            return new Tensor[] {da, db};
        }));
    }

    public static Tensor scale(Tensor a, float factor) {
        Ops.floating("scale", a);
        Tensor out = Ops.newLike(a, a.shape());
        a.backend().axpby(factor, a.buffer(), 0f, null, out.buffer(), a.numel());
        return out.recordOp(new Node("scale", new Tensor[] {a}, g -> new Tensor[] {scale(g, factor)}));
    }

    /** Sums g (shaped like the broadcast result) down to target's shape: the gradient of a broadcast operand. */
    static Tensor reduceTo(Tensor g, Tensor target) {
        if (!target.requiresGrad()) return null;
        if (g.numel() == target.numel()) return java.util.Arrays.equals(g.shape(), target.shape()) ? g : g.view(target.shape());
        Tensor r = Ops.newLike(g, target.shape());
        g.backend().sumRows(g.buffer(), r.buffer(), g.numel() / target.numel(), target.numel());
        return r;
    }

    private static void check(String op, Tensor a, Tensor b) {
        Ops.sameDevice(op, a, b);
        Ops.floating(op, a, b);
        if (!Ops.isSuffix(a.shape(), b.shape()))
            throw Ops.shapes(op, "shapes do not broadcast (the smaller must match the larger's trailing dims)", a, b);
    }
}
