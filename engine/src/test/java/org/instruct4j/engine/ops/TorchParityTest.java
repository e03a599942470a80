package org.instruct4j.engine.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.instruct4j.engine.testing.GradCheck.size;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import java.util.function.Function;
import org.instruct4j.engine.Rng;
import org.instruct4j.engine.Scope;
import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.testing.GradCheck;
import org.instruct4j.engine.testing.TorchReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The engine's ops against libtorch on the CPU, forward and backward of sum(out * R). Both sides are float32,
 * so the tolerances (relative error by norm) only cover different summation orders: 1e-5 forward, 1e-4
 * backward. Where DJL has no matching op (tanh GELU, fused attention, cross-entropy with ignored rows) the
 * torch side is composed from NDArray ops.
 */
class TorchParityTest {
    private static final double FORWARD_TOL = 1e-5, BACKWARD_TOL = 1e-4;
    private static TorchReference torch;

    @BeforeAll static void loadLibtorch() { torch = TorchReference.open(); }

    @AfterAll static void close() { if (torch != null) torch.close(); }

    /** Runs both sides on copies of the inputs that need gradients and compares output and gradients. */
    private static void parity(String name, Rng rng, Function<Tensor[], Tensor> engineOp,
                               Function<NDArray[], NDArray> torchOp, Tensor... inputs) {
        try (Scope scope = Scope.open()) {
            Tensor[] xs = new Tensor[inputs.length];
            for (int i = 0; i < xs.length; i++) xs[i] = Tensor.of(inputs[i].toFloatArray(), inputs[i].shape()).requiresGrad(true);
            Tensor out = engineOp.apply(xs);
            float[] r = new float[(int) out.numel()];
            for (int i = 0; i < r.length; i++) r[i] = (float) rng.nextGaussian();
            out.backward(Tensor.of(r, out.shape()));

            TorchReference.Result want = torch.run(torchOp, r, inputs);
            assertThat(out.shape()).as(name + " output shape").containsExactly(want.shape());
            GradCheck.assertClose(name + " forward vs libtorch", out.toFloatArray(), want.output(), FORWARD_TOL);
            for (int i = 0; i < xs.length; i++) {
                assertThat(xs[i].grad()).as(name + " gradient of input " + i).isNotNull();
                GradCheck.assertClose(name + " backward of input " + i + " vs libtorch", xs[i].grad().toFloatArray(),
                        want.grads()[i], BACKWARD_TOL);
            }
        }
    }

    @Test void libtorchLoads() {
        assertThat(torch.version()).isNotBlank();
    }

    @Test void matmulBatchedAndShared() {
        GradCheck.withSeed("parity matmul", rng -> {
            int b = size(rng, 1, 3), m = size(rng, 1, 17), n = size(rng, 1, 19), k = size(rng, 1, 33);
            parity("matmul batched", rng, t -> MatMul.matmul(t[0], t[1], false, false), x -> x[0].matMul(x[1]),
                    Tensor.randn(rng, 1f, b, m, k), Tensor.randn(rng, 1f, b, k, n));
            parity("matmul shared B, transB (x W^T)", rng, t -> MatMul.matmul(t[0], t[1], false, true),
                    x -> x[0].matMul(x[1].transpose()), Tensor.randn(rng, 1f, b, m, k), Tensor.randn(rng, 1f, n, k));
            parity("matmul batched transA", rng, t -> MatMul.matmul(t[0], t[1], true, false),
                    x -> x[0].transpose(0, 2, 1).matMul(x[1]), Tensor.randn(rng, 1f, b, k, m), Tensor.randn(rng, 1f, b, k, n));
            parity("matmul shared transA transB", rng, t -> MatMul.matmul(t[0], t[1], true, true),
                    x -> x[0].transpose(0, 2, 1).matMul(x[1].transpose()), Tensor.randn(rng, 1f, b, k, m), Tensor.randn(rng, 1f, n, k));
        });
    }

    @Test void addWithBroadcastAndMul() {
        GradCheck.withSeed("parity add", rng -> {
            int b = size(rng, 1, 3), t = size(rng, 1, 9), c = size(rng, 1, 40);
            parity("add broadcast", rng, x -> Arith.add(x[0], x[1]), x -> x[0].add(x[1]),
                    Tensor.randn(rng, 1f, b, t, c), Tensor.randn(rng, 1f, c));
            parity("mul broadcast", rng, x -> Arith.mul(x[0], x[1]), x -> x[0].mul(x[1]),
                    Tensor.randn(rng, 1f, b, t, c), Tensor.randn(rng, 1f, t, c));
        });
    }

    @Test void geluTanh() {
        GradCheck.withSeed("parity gelu", rng -> {
            double k = Math.sqrt(2 / Math.PI);
            parity("gelu (tanh)", rng, x -> Gelu.gelu(x[0]),
                    x -> x[0].mul(0.5f).mul(x[0].add(x[0].pow(3).mul(0.044715f)).mul((float) k).tanh().add(1f)),
                    Tensor.randn(rng, 2f, size(rng, 1, 5), size(rng, 1, 100)));
        });
    }

    @Test void layerNorm() {
        GradCheck.withSeed("parity layernorm", rng -> {
            // From 3 channels: with 2 the normalised outputs are +-1 whatever the input, so the true input
            // gradient is of the order of eps and both sides compute only rounding noise (a replayed CI failure).
            int c = size(rng, 3, 80);
            parity("layernorm", rng, x -> LayerNormOp.apply(x[0], x[1], x[2], 1e-5f), x -> {
                NDArray mean = x[0].mean(new int[] {-1}, true);
                NDArray centered = x[0].sub(mean);
                NDArray var = centered.pow(2).mean(new int[] {-1}, true);
                return centered.div(var.add(1e-5f).sqrt()).mul(x[1]).add(x[2]);
            }, Tensor.randn(rng, 2f, size(rng, 1, 3), size(rng, 1, 9), c), Tensor.randn(rng, 1f, c), Tensor.randn(rng, 1f, c));
        });
    }

    @Test void softmax() {
        GradCheck.withSeed("parity softmax", rng ->
                parity("softmax", rng, x -> Softmax.apply(x[0]), x -> x[0].softmax(-1),
                        Tensor.randn(rng, 3f, size(rng, 1, 4), size(rng, 1, 7), size(rng, 1, 60))));
    }

    @Test void causalAttentionWithPaddingAndDecode() {
        GradCheck.withSeed("parity attention", rng -> {
            int b = 2, h = size(rng, 1, 3), tk = size(rng, 2, 17), d = size(rng, 1, 16);
            for (int tq : new int[] {tk, size(rng, 1, tk - 1)}) {
                int[] start = {0, rng.nextInt(tk)};
                float scale = (float) (1 / Math.sqrt(d));
                parity("attention Tq=" + tq + " Tk=" + tk, rng, x -> Attention.causal(x[0], x[1], x[2], start),
                        x -> composedAttention(x[0], x[1], x[2], start, b, h, tq, tk, scale),
                        Tensor.randn(rng, 1f, b, h, tq, d), Tensor.randn(rng, 1f, b, h, tk, d), Tensor.randn(rng, 1f, b, h, tk, d));
            }
        });
    }

    @Test void gptSizedShapes() {
        // Head dim 64, 768 channels, a 2000-word vocab: the reductions are as long as in GPT-2 small.
        GradCheck.withSeed("parity GPT-sized", rng -> {
            int b = 2, h = 2, t = 64, d = 64, c = 768;
            int[] start = {0, 5};
            parity("attention D=64 T=64", rng, x -> Attention.causal(x[0], x[1], x[2], start),
                    x -> composedAttention(x[0], x[1], x[2], start, b, h, t, t, 0.125f),
                    Tensor.randn(rng, 1f, b, h, t, d), Tensor.randn(rng, 1f, b, h, t, d), Tensor.randn(rng, 1f, b, h, t, d));
            parity("layernorm C=768", rng, x -> LayerNormOp.apply(x[0], x[1], x[2], 1e-5f), x -> {
                NDArray centered = x[0].sub(x[0].mean(new int[] {-1}, true));
                return centered.div(centered.pow(2).mean(new int[] {-1}, true).add(1e-5f).sqrt()).mul(x[1]).add(x[2]);
            }, Tensor.randn(rng, 1f, 16, c), Tensor.randn(rng, 1f, c), Tensor.randn(rng, 1f, c));
            parity("matmul x W^T 768", rng, x -> MatMul.matmul(x[0], x[1], false, true), x -> x[0].matMul(x[1].transpose()),
                    Tensor.randn(rng, 1f, 2, 16, c), Tensor.randn(rng, 0.02f, 96, c));
            parity("softmax 2000", rng, x -> Softmax.apply(x[0]), x -> x[0].softmax(-1), Tensor.randn(rng, 2f, 8, 2000));
            parity("gelu 3072", rng, x -> Gelu.gelu(x[0]), x -> x[0].mul(0.5f).mul(
                            x[0].add(x[0].pow(3).mul(0.044715f)).mul((float) Math.sqrt(2 / Math.PI)).tanh().add(1f)),
                    Tensor.randn(rng, 1f, 4, 3072));
        });
    }

    /** softmax(q k^T * scale + mask) v, with zeros for queries that see no key. */
    private static NDArray composedAttention(NDArray q, NDArray k, NDArray v, int[] start, int b, int h, int tq, int tk, float scale) {
        float[] mask = new float[b * tq * tk], visible = new float[b * tq];
        for (int bb = 0; bb < b; bb++)
            for (int i = 0; i < tq; i++) {
                int last = tk - tq + i;
                visible[bb * tq + i] = last >= start[bb] ? 1f : 0f;
                for (int j = 0; j < tk; j++) mask[(bb * tq + i) * tk + j] = j >= start[bb] && j <= last ? 0f : -1e30f;
            }
        NDArray m = q.getManager().create(mask, new ai.djl.ndarray.types.Shape(b, 1, tq, tk));
        NDArray vis = q.getManager().create(visible, new ai.djl.ndarray.types.Shape(b, 1, tq, 1));
        NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)).mul(scale).add(m);
        return scores.softmax(-1).matMul(v).mul(vis);
    }

    @Test void embedding() {
        GradCheck.withSeed("parity embedding", rng -> {
            int vocab = size(rng, 2, 50), dim = size(rng, 1, 24), n = size(rng, 1, 40);
            int[] ids = new int[n];
            for (int i = 0; i < n; i++) ids[i] = rng.nextInt(vocab);
            Tensor idt = Tensor.ofInts(ids, n);
            NDArray idx = torch.array(idt);
            parity("embedding", rng, x -> EmbeddingOp.lookup(x[0], idt),
                    x -> x[0].get(idx.toDevice(x[0].getDevice(), false)), Tensor.randn(rng, 1f, vocab, dim));
        });
    }

    @Test void crossEntropyPerRowAndMeanWithIgnoredTargets() {
        GradCheck.withSeed("parity cross-entropy", rng -> {
            int rows = size(rng, 2, 30), vocab = size(rng, 2, 100);
            int[] tg = new int[rows];
            int counted = 0;
            for (int i = 0; i < rows; i++) {
                tg[i] = i == 0 || rng.nextInt(4) != 0 ? rng.nextInt(vocab) : -1;
                if (tg[i] >= 0) counted++;
            }
            Tensor tt = Tensor.ofInts(tg, rows);
            float[] keep = new float[rows];
            int[] clamped = new int[rows];
            for (int i = 0; i < rows; i++) { keep[i] = tg[i] >= 0 ? 1f : 0f; clamped[i] = Math.max(0, tg[i]); }
            Function<NDArray, NDArray> perRow = logits -> {
                NDArray idx = logits.getManager().create(clamped).toType(DataType.INT64, false).reshape(rows, 1);
                NDArray picked = logits.logSoftmax(-1).gather(idx, 1).reshape(rows);
                return picked.neg().mul(logits.getManager().create(keep));
            };
            parity("cross-entropy perRow", rng, x -> CrossEntropy.perRow(x[0], tt), x -> perRow.apply(x[0]),
                    Tensor.randn(rng, 3f, rows, vocab));
            float inv = 1f / counted;
            parity("cross-entropy mean", rng, x -> CrossEntropy.mean(x[0], tt), x -> perRow.apply(x[0]).sum().mul(inv),
                    Tensor.randn(rng, 3f, rows, vocab));
        });
    }

    @Test void sumAndMean() {
        GradCheck.withSeed("parity reduce", rng -> {
            int[] s = {size(rng, 1, 9), size(rng, 1, 50)};
            // Values around 1, not 0: a sum that cancels to nearly zero would measure libtorch's float32
            // accumulation error against the engine's double one, not a bug.
            parity("sum", rng, x -> Reduce.sum(x[0]), x -> x[0].sum(), aroundOne(rng, s));
            parity("mean", rng, x -> Reduce.mean(x[0]), x -> x[0].mean(), aroundOne(rng, s));
        });
    }

    private static Tensor aroundOne(Rng rng, int... shape) {
        float[] v = Tensor.randn(rng, 0.5f, shape).toFloatArray();
        for (int i = 0; i < v.length; i++) v[i] += 1f;
        return Tensor.of(v, shape);
    }

    @Test void transposeSliceConcat() {
        GradCheck.withSeed("parity shape ops", rng -> {
            int b = size(rng, 1, 3), t = size(rng, 2, 9), h = size(rng, 1, 4), d = size(rng, 1, 8);
            parity("transpose(1,2)", rng, x -> ShapeOps.transpose(x[0], 1, 2), x -> x[0].transpose(0, 2, 1, 3),
                    Tensor.randn(rng, 1f, b, t, h, d));
            int from = rng.nextInt(t), to = from + 1 + rng.nextInt(t - from);
            parity("slice", rng, x -> ShapeOps.slice(x[0], 1, from, to), x -> x[0].get(new NDIndex(":, " + from + ":" + to)),
                    Tensor.randn(rng, 1f, b, t, d));
            parity("concat", rng, x -> ShapeOps.concat(-1, x[0], x[1]), x -> NDArrays.concat(new NDList(x[0], x[1]), -1),
                    Tensor.randn(rng, 1f, b, t, d), Tensor.randn(rng, 1f, b, t, h));
        });
    }
}
