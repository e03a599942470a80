package org.instruct4j.engine.nn;

import java.util.function.UnaryOperator;
import org.instruct4j.engine.DType;
import org.instruct4j.engine.Device;
import org.instruct4j.engine.Rng;
import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.ops.Arith;

/** One pre-LayerNorm transformer block: x + attn(ln_1(x)), then x + mlp(ln_2(x)). */
public final class Block extends Module {
    private final LayerNorm ln1, ln2;
    private final CausalSelfAttention attn;
    private final Mlp mlp;

    public Block(GptConfig c, Rng rng, Device device, DType dtype) {
        ln1 = child("ln_1", new LayerNorm(c.dim(), c.layerNormEps(), device, dtype));
        attn = child("attn", new CausalSelfAttention(c, rng, device, dtype));
        ln2 = child("ln_2", new LayerNorm(c.dim(), c.layerNormEps(), device, dtype));
        mlp = child("mlp", new Mlp(c, rng, device, dtype));
    }

    /** dropout is applied to each branch's output before it joins the residual stream (identity when off). */
    public Tensor apply(Tensor x, int[] start, KvCache cache, int layer, UnaryOperator<Tensor> dropout) {
        x = Arith.add(x, dropout.apply(attn.apply(ln1.apply(x), start, cache, layer)));
        return Arith.add(x, dropout.apply(mlp.apply(ln2.apply(x))));
    }
}
