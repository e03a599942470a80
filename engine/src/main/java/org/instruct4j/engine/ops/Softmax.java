package org.instruct4j.engine.ops;

import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.autograd.Node;

/** Softmax over the last dim; the backward uses the saved output: dx = y * (dy - sum(dy * y)). */
public final class Softmax {
    private Softmax() {}

    public static Tensor apply(Tensor x) {
        Ops.floating("softmax", x);
        if (x.rank() == 0) throw new IllegalArgumentException("softmax: needs a last dim to run over, got " + x.describe());
        int cols = x.dim(-1), rows = (int) (x.numel() / Math.max(1, cols));
        Tensor out = Ops.newLike(x, x.shape());
        x.backend().softmax(x.buffer(), out.buffer(), rows, cols);
        return out.recordOp(new Node("softmax", new Tensor[] {x}, g -> {
            Tensor dx = Ops.newLike(g, x.shape());
            g.backend().softmaxBackward(out.buffer(), g.buffer(), dx.buffer(), rows, cols);
            return new Tensor[] {dx};
        }));
    }
}
