package org.instruct4j.engine.ops;

import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.autograd.Node;

/**
 * Row lookup: out[..., :] = table[ids[...], :]. Also the way to gather rows (the last token's hidden state for
 * the reward head). The backward scatter-adds into a zeroed table gradient in a fixed order.
 */
public final class EmbeddingOp {
    private EmbeddingOp() {}

    public static Tensor lookup(Tensor table, Tensor ids) {
        Ops.sameDevice("embedding", table, ids);
        Ops.ints("embedding", ids);
        Ops.rank("embedding", table, 2);
        int vocab = table.dim(0), dim = table.dim(1), n = (int) ids.numel();
        int[] shape = java.util.Arrays.copyOf(ids.shape(), ids.rank() + 1);
        shape[ids.rank()] = dim;
        Tensor out = Ops.newLike(table, shape);
        table.backend().embedding(table.buffer(), ids.buffer(), out.buffer(), n, dim);
        return out.recordOp(new Node("embedding", new Tensor[] {table, ids}, g -> {
            Tensor dt = Ops.newLike(g, vocab, dim);
            g.backend().embeddingBackward(g.buffer(), ids.buffer(), dt.buffer(), n, dim, vocab);
            return new Tensor[] {dt, null};
        }));
    }
}
