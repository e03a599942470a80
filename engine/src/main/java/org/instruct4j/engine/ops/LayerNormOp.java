package org.instruct4j.engine.ops;

import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.autograd.Node;

/** LayerNorm over the last dim with weight and bias; the forward saves each row's mean and 1/std. */
public final class LayerNormOp {
    private LayerNormOp() {}

    public static Tensor apply(Tensor x, Tensor weight, Tensor bias, float eps) {
        Ops.sameDevice("layernorm", x, weight, bias);
        Ops.floating("layernorm", x, weight, bias);
        int cols = x.dim(-1);
        if (weight.rank() != 1 || weight.dim(0) != cols || bias.rank() != 1 || bias.dim(0) != cols)
            throw Ops.shapes("layernorm", "weight and bias must be (" + cols + ")", x, weight);
        int rows = (int) (x.numel() / Math.max(1, cols));
        Tensor out = Ops.newLike(x, x.shape());
        Tensor mean = Ops.newF32(x, rows), rstd = Ops.newF32(x, rows);
        x.backend().layerNorm(x.buffer(), weight.buffer(), bias.buffer(), out.buffer(), mean.buffer(), rstd.buffer(), rows, cols, eps);
        return out.recordOp(new Node("layernorm", new Tensor[] {x, weight, bias}, g -> {
            Tensor dx = Ops.newLike(g, x.shape()), dw = Ops.newLike(g, cols), db = Ops.newLike(g, cols);
            g.backend().layerNormBackward(g.buffer(), x.buffer(), weight.buffer(), mean.buffer(), rstd.buffer(),
                    dx.buffer(), dw.buffer(), db.buffer(), rows, cols);
            return new Tensor[] {dx, dw, db};
        }));
    }
}
