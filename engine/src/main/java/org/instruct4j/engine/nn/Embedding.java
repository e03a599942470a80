package org.instruct4j.engine.nn;

import org.instruct4j.engine.DType;
import org.instruct4j.engine.Device;
import org.instruct4j.engine.Rng;
import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.ops.EmbeddingOp;

/** A table of rows looked up by I32 ids: (..) -> (.., dim). */
public final class Embedding extends Module {
    private final Tensor weight;

    public Embedding(int rows, int dim, float std, Rng rng, Device device, DType dtype) {
        weight = parameter("weight", Tensor.randn(rng, std, dtype, device, rows, dim));
    }

    public Tensor weight() { return weight; }

    public Tensor apply(Tensor ids) { return EmbeddingOp.lookup(weight, ids); }
}
