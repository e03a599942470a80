package org.instruct4j.engine.nn;

import org.instruct4j.engine.DType;
import org.instruct4j.engine.Device;
import org.instruct4j.engine.Rng;
import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.ops.Attention;
import org.instruct4j.engine.ops.ShapeOps;

/**
 * Multi-head causal self-attention: one projection to q, k, v (c_attn), the fused causal attention op on its
 * output (which splits the heads to (B, H, T, D) itself, so c_attn's gradient is written in one piece), heads
 * merged back and projected (c_proj). With a KV cache the new keys and values are written after the cached ones
 * and the queries attend to all of them where the cache keeps them.
 */
public final class CausalSelfAttention extends Module {
    private final Linear qkv, proj;
    private final int heads, dim;

    public CausalSelfAttention(GptConfig c, Rng rng, Device device, DType dtype) {
        heads = c.heads();
        dim = c.dim();
        qkv = child("c_attn", new Linear(dim, 3 * dim, Gpt.INIT_STD, rng, device, dtype));
        proj = child("c_proj", new Linear(dim, dim, Gpt.residualStd(c), rng, device, dtype));
    }

    /** x (B, T, C) -> (B, T, C); cache may be null, layer is this block's index in it. */
    public Tensor apply(Tensor x, int[] start, KvCache cache, int layer) {
        Tensor qkvOut = qkv.apply(x);
        Tensor y = cache == null ? Attention.causalPacked(qkvOut, heads, start) : attendWithCache(qkvOut, start, cache, layer);
        return proj.apply(mergeHeads(y));
    }

    /** Generation: the new keys and values go into the cache, and the queries attend to all of it in place. */
    private Tensor attendWithCache(Tensor qkvOut, int[] start, KvCache cache, int layer) {
        Tensor q = Attention.headsOf(qkvOut, 0, heads), k = Attention.headsOf(qkvOut, 1, heads);
        Tensor v = Attention.headsOf(qkvOut, 2, heads);
        KvCache.Layer cached = cache.append(layer, k, v);
        return Attention.inCache(q, cached.keys(), cached.values(), cached.filled(), start);
    }

    /** (B, H, T, D) -> (B, T, C). */
    private Tensor mergeHeads(Tensor y) {
        return ShapeOps.transpose(y, 1, 2).reshape(y.dim(0), y.dim(2), dim);
    }
}
