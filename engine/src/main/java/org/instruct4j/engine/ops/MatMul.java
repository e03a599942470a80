package org.instruct4j.engine.ops;

import java.util.Arrays;
import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.autograd.Node;
import org.instruct4j.engine.backend.Backend;

/**
 * Batched matrix product with either operand transposed: a is (..., m, k) ((..., k, m) when transA), b is
 * (k, n) shared by the whole batch or (..., k, n) with a's leading dims ((n, k) / (..., n, k) when transB).
 * With C = op(A) op(B), the backward is dop(A) = G op(B)^T and dop(B) = op(A)^T G, each one more gemm.
 */
public final class MatMul {
    private MatMul() {}

    public static Tensor matmul(Tensor a, Tensor b, boolean transA, boolean transB) {
        Ops.sameDevice("matmul", a, b);
        Ops.floating("matmul", a, b);
        if (a.rank() < 2 || b.rank() < 2) throw Ops.shapes("matmul", "both operands need rank >= 2", a, b);
        int[] as = a.shape(), bs = b.shape();
        int m = transA ? as[as.length - 1] : as[as.length - 2];
        int k = transA ? as[as.length - 2] : as[as.length - 1];
        int kb = transB ? bs[bs.length - 1] : bs[bs.length - 2];
        int n = transB ? bs[bs.length - 2] : bs[bs.length - 1];
        if (k != kb) throw Ops.shapes("matmul", "inner dims differ (" + k + " vs " + kb + ")", a, b);
        int[] lead = Arrays.copyOf(as, as.length - 2);
        boolean shared = b.rank() == 2;
        if (!shared && !Arrays.equals(lead, Arrays.copyOf(bs, bs.length - 2)))
            throw Ops.shapes("matmul", "batch dims differ", a, b);
        int batch = (int) Ops.prod(as, 0, as.length - 2);
        int[] outShape = Arrays.copyOf(lead, lead.length + 2);
        outShape[lead.length] = m;
        outShape[lead.length + 1] = n;
        Tensor out = Ops.newLike(a, outShape);
        long sa = (long) m * k, sb = shared ? 0 : (long) k * n, sc = (long) m * n;
        a.backend().gemm(transA, transB, batch, m, n, k, 1f, a.buffer(), sa, b.buffer(), sb, 0f, out.buffer(), sc);
        return out.recordOp(new Node("matmul", new Tensor[] {a, b}, g -> new Tensor[] {
                a.requiresGrad() ? gradA(g, b, transA, transB, batch, m, n, k, shared, as) : null,
                b.requiresGrad() ? gradB(g, a, transA, transB, batch, m, n, k, shared, bs) : null}));
    }

    /**
     * x (..., in) W (in, out) + bias (out): a Linear layer as one op, so a backend can add the bias while it writes
     * the product ({@link Backend#gemmBias}) instead of in a second pass over the output. Values and gradients are
     * those of {@code Arith.add(matmul(x, w, false, false), bias)} to the bit.
     */
    public static Tensor linear(Tensor x, Tensor w, Tensor bias) {
        Ops.sameDevice("linear", x, w, bias);
        Ops.floating("linear", x, w, bias);
        int[] xs = x.shape(), ws = w.shape();
        if (x.rank() < 2 || w.rank() != 2 || bias.rank() != 1 || xs[xs.length - 1] != ws[0] || bias.shape()[0] != ws[1])
            throw new IllegalArgumentException("linear: needs x (..., in) of rank 2 or more, weight (in, out) and bias (out): "
                    + Tensor.shapeString(xs) + ", " + Tensor.shapeString(ws) + " and " + Tensor.shapeString(bias.shape()));
        int batch = (int) Ops.prod(xs, 0, xs.length - 2), m = xs[xs.length - 2], k = ws[0], n = ws[1];
        int[] outShape = xs.clone();
        outShape[outShape.length - 1] = n;
        Tensor out = Ops.newLike(x, outShape);
        x.backend().gemmBias(batch * m, n, k, x.buffer(), w.buffer(), bias.buffer(), out.buffer());
        return out.recordOp(new Node("linear", new Tensor[] {x, w, bias}, g -> {
            // The bias's sum first, a column walk over g that is memory-bound: g is freshest in the caches now (on a
            // 2-core Zen 5 at 8 lanes the demo's steps 1.02-1.03x as fast as with it last; the three are independent).
            Tensor dBias = Arith.reduceTo(g, bias);
            return new Tensor[] {
                    x.requiresGrad() ? gradA(g, w, false, false, batch, m, n, k, true, xs) : null,
                    w.requiresGrad() ? gradB(g, x, false, false, batch, m, n, k, true, ws) : null,
                    dBias};
        }));
    }

    private static Tensor gradA(Tensor g, Tensor b, boolean transA, boolean transB, int batch, int m, int n, int k,
                                boolean shared, int[] aShape) {
        Tensor da = Ops.newLike(g, aShape);
        long sb = shared ? 0 : (long) k * n, sg = (long) m * n, sa = (long) m * k;
        Backend be = g.backend();
        if (!transA) be.gemm(false, !transB, batch, m, k, n, 1f, g.buffer(), sg, b.buffer(), sb, 0f, da.buffer(), sa);
        else be.gemm(transB, true, batch, k, m, n, 1f, b.buffer(), sb, g.buffer(), sg, 0f, da.buffer(), sa);
        return da;
    }

    private static Tensor gradB(Tensor g, Tensor a, boolean transA, boolean transB, int batch, int m, int n, int k,
                                boolean shared, int[] bShape) {
        Tensor db = Ops.newLike(g, bShape);
        Backend be = g.backend();
        long sa = (long) m * k, sg = (long) m * n, sb = (long) k * n;
        if (shared && !transA) {
            // One gemm over the flattened batch: rows of A and G stack, so the batch sum is the inner product.
            int rows = batch * m;
            if (!transB) be.gemm(true, false, 1, k, n, rows, 1f, a.buffer(), 0, g.buffer(), 0, 0f, db.buffer(), 0);
            else be.gemm(true, false, 1, n, k, rows, 1f, g.buffer(), 0, a.buffer(), 0, 0f, db.buffer(), 0);
            return db;
        }
        if (shared) {
            // transA with a shared B: accumulate the per-matrix products with beta = 1.
            for (int i = 0; i < batch; i++) {
                try (Tensor ai = matrix(a, i, sa); Tensor gi = matrix(g, i, sg)) {
                    if (!transB) be.gemm(false, false, 1, k, n, m, 1f, ai.buffer(), 0, gi.buffer(), 0, i == 0 ? 0f : 1f, db.buffer(), 0);
                    else be.gemm(true, true, 1, n, k, m, 1f, gi.buffer(), 0, ai.buffer(), 0, i == 0 ? 0f : 1f, db.buffer(), 0);
                }
            }
            return db;
        }
        if (!transB) be.gemm(!transA, false, batch, k, n, m, 1f, a.buffer(), sa, g.buffer(), sg, 0f, db.buffer(), sb);
        else be.gemm(true, transA, batch, n, k, m, 1f, g.buffer(), sg, a.buffer(), sa, 0f, db.buffer(), sb);
        return db;
    }

    /** A copy (no history) of the batch's i-th matrix, elements [i * size, (i + 1) * size), as a flat tensor. */
    private static Tensor matrix(Tensor x, int i, long size) {
        Tensor out = Ops.newLike(x, (int) size);
        x.backend().copyBlock(x.buffer(), i * size, size, out.buffer(), 0, size, 1, size);
        return out;
    }
}
