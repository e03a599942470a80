package org.instruct4j.engine.ops;

import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.autograd.Node;

/**
 * Layout ops. Reshape is free (a view of the same buffer); transpose of two adjacent dims, slice and concat
 * copy, each with the inverse copy as its backward.
 */
public final class ShapeOps {
    private ShapeOps() {}

    public static Tensor reshape(Tensor x, int... shape) {
        int[] resolved = resolve(x, shape);
        Tensor out = x.view(resolved);
        int[] original = x.shape();
        return out.recordOp(new Node("reshape", new Tensor[] {x}, g -> new Tensor[] {g.view(original)}));
    }

    /** Swaps two adjacent dims (dim1 = dim0 + 1, either order; negative dims count from the end). */
    public static Tensor transpose(Tensor x, int dim0, int dim1) {
        int r = x.rank();
        int d0 = dim0 < 0 ? r + dim0 : dim0, d1 = dim1 < 0 ? r + dim1 : dim1;
        int lo = Math.min(d0, d1), hi = Math.max(d0, d1);
        if (hi != lo + 1 || lo < 0 || hi >= r)
            throw new IllegalArgumentException("transpose(" + dim0 + ", " + dim1 + ") of " + x.describe()
                    + ": only two adjacent dims can be swapped");
        int[] s = x.shape();
        int a = (int) Ops.prod(s, 0, lo), b = s[lo], c = s[hi], d = (int) Ops.prod(s, hi + 1, r);
        int[] os = s.clone();
        os[lo] = c;
        os[hi] = b;
        Tensor out = Ops.newLike(x, os);
        x.backend().transpose12(x.buffer(), out.buffer(), a, b, c, d);
        return out.recordOp(new Node("transpose", new Tensor[] {x}, g -> {
            Tensor dx = Ops.newLike(g, s);
            g.backend().transpose12(g.buffer(), dx.buffer(), a, c, b, d);
            return new Tensor[] {dx};
        }));
    }

    /** x[..., from:to, ...] along dim. */
    public static Tensor slice(Tensor x, int dim, int from, int to) {
        int r = x.rank(), d = dim < 0 ? r + dim : dim;
        int[] s = x.shape();
        if (d < 0 || d >= r || from < 0 || to > s[d] || from > to)
            throw new IllegalArgumentException("slice(dim " + dim + ", " + from + ":" + to + ") out of range for " + x.describe());
        long rows = Ops.prod(s, 0, d), inner = Ops.prod(s, d + 1, r);
        int[] os = Ops.with(s, d, to - from);
        Tensor out = Ops.newLike(x, os);
        x.backend().copyBlock(x.buffer(), from * inner, s[d] * inner, out.buffer(), 0, (to - from) * inner, rows, (to - from) * inner);
        return out.recordOp(new Node("slice", new Tensor[] {x}, g -> {
            Tensor dx = Ops.zerosLike(g, s);   // only the slice's part gets the gradient
            g.backend().copyBlock(g.buffer(), 0, (to - from) * inner, dx.buffer(), from * inner, s[d] * inner, rows, (to - from) * inner);
            return new Tensor[] {dx};
        }));
    }

    /** Joins tensors along dim; all other dims must agree. */
    public static Tensor concat(int dim, Tensor... xs) {
        if (xs.length == 0) throw new IllegalArgumentException("concat of no tensors");
        Ops.sameDevice("concat", xs);
        int[] s0 = xs[0].shape();
        int r = s0.length, d = dim < 0 ? r + dim : dim;
        if (d < 0 || d >= r) throw new IllegalArgumentException("concat along dim " + dim + " of rank-" + r + " tensors");
        int sum = 0;
        for (Tensor x : xs) {
            int[] s = x.shape();
            if (s.length != r || !java.util.Arrays.equals(Ops.with(s, d, 0), Ops.with(s0, d, 0)))
                throw Ops.shapes("concat", "shapes differ outside dim " + dim, xs[0], x);
            if (x.dtype() != xs[0].dtype())
                throw new IllegalArgumentException("concat: dtypes differ: " + xs[0].describe() + " and " + x.describe());
            sum += s[d];
        }
        final int total = sum;
        long rows = Ops.prod(s0, 0, d), inner = Ops.prod(s0, d + 1, r);
        int[] os = Ops.with(s0, d, total);
        Tensor out = xs[0].dtype().isFloating() ? Ops.newLike(xs[0], os) : Ops.newInts(xs[0], os);
        long at = 0;
        long[] offsets = new long[xs.length];
        for (int i = 0; i < xs.length; i++) {
            long w = xs[i].dim(d) * inner;
            offsets[i] = at;
            xs[i].backend().copyBlock(xs[i].buffer(), 0, w, out.buffer(), at, total * inner, rows, w);
            at += w;
        }
        return out.recordOp(new Node("concat", xs.clone(), g -> {
            Tensor[] grads = new Tensor[xs.length];
            for (int i = 0; i < xs.length; i++) {
                if (!xs[i].requiresGrad()) continue;
                long w = xs[i].dim(d) * inner;
                grads[i] = Ops.newLike(g, xs[i].shape());
                g.backend().copyBlock(g.buffer(), offsets[i], total * inner, grads[i].buffer(), 0, w, rows, w);
            }
            return grads;
        }));
    }

    /** Fills in one -1 in a requested shape. */
    private static int[] resolve(Tensor x, int[] shape) {
        int[] s = shape.clone();
        int unknown = -1;
        long known = 1;
        for (int i = 0; i < s.length; i++) {
            if (s[i] == -1) {
                if (unknown >= 0) throw new IllegalArgumentException("reshape of " + x.describe() + " to "
                        + Tensor.shapeString(shape) + ": at most one -1");
                unknown = i;
            } else known *= s[i];
        }
        if (unknown >= 0) {
            if (known == 0 || x.numel() % known != 0)
                throw new IllegalArgumentException("reshape of " + x.describe() + " to " + Tensor.shapeString(shape) + ": sizes do not divide");
            s[unknown] = (int) (x.numel() / known);
        }
        return s;
    }
}
