package org.instruct4j.engine.ops;

import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.autograd.GradMode;
import org.instruct4j.engine.autograd.Node;

/**
 * Fused causal self-attention, one op with its own backward: softmax(q k^T * scale + causal mask) v, never
 * building the T x T matrix as a tensor. q is (B, H, Tq, D) and k, v are (B, H, Tk, D) with Tq <= Tk (the
 * queries are the last Tq positions: Tq = 1 is a KV-cache decode step). start[b] is where sequence b's real
 * tokens begin: keys before it are left padding and never attended. Pass null for no padding.
 */
public final class Attention {
    private Attention() {}

    public static Tensor causal(Tensor q, Tensor k, Tensor v, int[] start) {
        return causal(q, k, v, start, (float) (1.0 / Math.sqrt(q.dim(-1))));
    }

    public static Tensor causal(Tensor q, Tensor k, Tensor v, int[] start, float scale) {
        checkOperands(q, k, v);
        int b = q.dim(0), tq = q.dim(2), tk = k.dim(2);
        if (k.dim(0) != b || k.dim(1) != q.dim(1) || k.dim(3) != q.dim(3) || tq > tk)
            throw Ops.shapes("attention", "q must be (B,H,Tq,D) and k (B,H,Tk,D) with Tq <= Tk", q, k);
        checkStart(start, b, tk);
        Saved saved = run(q, k, v, start, scale);
        return saved.out().recordOp(new Node("attention", new Tensor[] {q, k, v}, saved::gradients));
    }

    /**
     * Causal self-attention straight from a fused q, k, v projection: qkv (B, T, 3C) holds q, k and v side by side,
     * each C = heads * D wide; the result is (B, H, T, D), as from {@link #causal} on the three split into heads.
     * One op instead of three slices, so the backward writes dq, dk and dv into one (B, T, 3C) gradient: each
     * slice's backward would zero a full-size gradient and autograd would add the three. The same bits either way.
     */
    public static Tensor causalPacked(Tensor qkv, int heads, int[] start) {
        Ops.floating("attention", qkv);
        Ops.rank("attention", qkv, 3);
        if (heads <= 0 || qkv.dim(2) % (3 * heads) != 0)
            throw new IllegalArgumentException("attention: packed q, k, v " + qkv.describe() + " do not split into 3 x "
                    + heads + " heads (the last dim must be a multiple of " + 3 * Math.max(1, heads) + ")");
        int b = qkv.dim(0), t = qkv.dim(1), c = qkv.dim(2) / 3, d = c / heads;
        checkStart(start, b, t);
        Saved saved = run(split(qkv, 0, heads), split(qkv, 1, heads), split(qkv, 2, heads), start, (float) (1.0 / Math.sqrt(d)));
        return saved.out().recordOp(new Node("attention", new Tensor[] {qkv}, g -> {
            Tensor[] parts = saved.gradients(g);
            Tensor dqkv = Ops.newLike(g, qkv.shape());
            for (int i = 0; i < 3; i++) {
                // (B, H, T, D) into columns [iC, (i+1)C) of every row of (B, T, 3C): a write, never an add.
                g.backend().mergeHeads(parts[i].buffer(), i, dqkv.buffer(), b, t, heads, d);
                parts[i].free();
            }
            return new Tensor[] {dqkv};
        }));
    }

    /**
     * Part {@code part} (0 q, 1 k, 2 v) of a packed (B, T, 3C) tensor as (B, H, T, D): a copy without history, for
     * generation with a KV cache (causalPacked's backward writes the three parts' gradients itself).
     */
    public static Tensor headsOf(Tensor qkv, int part, int heads) {
        Ops.floating("attention", qkv);
        Ops.rank("attention", qkv, 3);
        if (heads <= 0 || qkv.dim(2) % (3 * heads) != 0 || part < 0 || part > 2)
            throw new IllegalArgumentException("attention: part " + part + " of packed q, k, v " + qkv.describe()
                    + " in " + heads + " heads (the last dim must be a multiple of " + 3 * Math.max(1, heads) + ")");
        if (GradMode.isEnabled() && qkv.requiresGrad())
            throw new IllegalStateException("attention: headsOf records no backward: run it under GradMode.off()");
        return split(qkv, part, heads);
    }

    private static Tensor split(Tensor qkv, int part, int heads) {
        int b = qkv.dim(0), t = qkv.dim(1), d = qkv.dim(2) / 3 / heads;
        Tensor out = Ops.newLike(qkv, b, heads, t, d);
        qkv.backend().splitHeads(qkv.buffer(), part, out.buffer(), b, t, heads, d);
        return out;
    }

    /** What the backward needs from a forward: its operands, output and the rows' log-sum-exp. */
    private record Saved(Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, int[] start, float scale) {
        /** dq, dk, dv for the output's gradient g. */
        Tensor[] gradients(Tensor g) {
            Tensor dq = Ops.newLike(g, q.shape()), dk = Ops.newLike(g, k.shape()), dv = Ops.newLike(g, v.shape());
            g.backend().attentionBackward(q.buffer(), k.buffer(), v.buffer(), out.buffer(), lse.buffer(), g.buffer(),
                    dq.buffer(), dk.buffer(), dv.buffer(), start, q.dim(0), q.dim(1), q.dim(2), k.dim(2), q.dim(3), scale);
            return new Tensor[] {dq, dk, dv};
        }
    }

    /** The forward on checked operands; start is copied, so a caller reusing its array cannot change the backward. */
    private static Saved run(Tensor q, Tensor k, Tensor v, int[] start, float scale) {
        int b = q.dim(0), h = q.dim(1), tq = q.dim(2), d = q.dim(3), tk = k.dim(2);
        int[] st = start == null ? null : start.clone();
        Tensor out = Ops.newLike(q, q.shape());
        Tensor lse = Ops.newF32(q, b, h, tq);
        q.backend().attention(q.buffer(), k.buffer(), v.buffer(), out.buffer(), lse.buffer(), st, b, h, tq, tk, d, scale);
        return new Saved(q, k, v, out, lse, st, scale);
    }

    /**
     * The same attention for generation with a KV cache, reading keys and values where the cache keeps them:
     * kCache and vCache are (B, H, capacity, D) and their first tk positions are the keys (the last Tq of them
     * the queries' own). Forward only: it records no graph, so call it under GradMode.off().
     */
    public static Tensor inCache(Tensor q, Tensor kCache, Tensor vCache, int tk, int[] start) {
        checkOperands(q, kCache, vCache);
        if (GradMode.isEnabled() && (q.requiresGrad() || kCache.requiresGrad() || vCache.requiresGrad()))
            throw new IllegalStateException("attention from a KV cache has no backward: run it under GradMode.off()");
        int b = q.dim(0), h = q.dim(1), tq = q.dim(2), d = q.dim(3), capacity = kCache.dim(2);
        if (kCache.dim(0) != b || kCache.dim(1) != h || kCache.dim(3) != d || tq > tk || tk > capacity)
            throw Ops.shapes("attention", "q must be (B,H,Tq,D) and the caches (B,H,capacity,D) with Tq <= " + tk + " <= capacity", q, kCache);
        checkStart(start, b, tk);
        Tensor out = Ops.newLike(q, q.shape());
        try (Tensor lse = Ops.newF32(q, b, h, tq)) {
            q.backend().attentionInCache(q.buffer(), kCache.buffer(), vCache.buffer(), out.buffer(), lse.buffer(),
                    start == null ? null : start.clone(), b, h, tq, tk, capacity, d, (float) (1.0 / Math.sqrt(d)));
        }
        return out;
    }

    /** Same device, floating point, rank 4, and k shaped like v. */
    private static void checkOperands(Tensor q, Tensor k, Tensor v) {
        Ops.sameDevice("attention", q, k, v);
        Ops.floating("attention", q, k, v);
        Ops.rank("attention", q, 4);
        Ops.rank("attention", k, 4);
        if (!java.util.Arrays.equals(k.shape(), v.shape())) throw Ops.shapes("attention", "k and v differ", k, v);
    }

    private static void checkStart(int[] start, int b, int tk) {
        if (start == null) return;
        if (start.length != b) throw new IllegalArgumentException("attention: " + start.length + " start offsets for batch " + b);
        for (int i = 0; i < b; i++)
            if (start[i] < 0 || start[i] > tk) throw new IllegalArgumentException("attention: start offset " + start[i] + " of sequence " + i + " outside [0, " + tk + "]");
    }
}
