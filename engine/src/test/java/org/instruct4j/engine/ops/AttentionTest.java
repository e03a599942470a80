package org.instruct4j.engine.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.instruct4j.engine.testing.GradCheck.size;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;
import org.instruct4j.engine.Rng;
import org.instruct4j.engine.autograd.GradMode;
import org.instruct4j.engine.backend.Backend;
import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.testing.GradCheck;
import org.junit.jupiter.api.Test;

/**
 * Fused causal attention: Tq = Tk training, Tq < Tk decode, and left padding (start offsets). Padded keys get
 * zero weight and zero gradient; a query that sees no key outputs zeros.
 */
class AttentionTest {

    /** softmax(q k^T * scale, over keys start[b] .. tk - tq + i) v, in double; an empty range gives zeros. */
    static double[] reference(double[] q, double[] k, double[] v, int[] start, int b, int h, int tq, int tk, int d, double scale) {
        double[] out = new double[b * h * tq * d];
        for (int bh = 0; bh < b * h; bh++) {
            int s0 = start == null ? 0 : start[bh / h];
            for (int i = 0; i < tq; i++) {
                int last = tk - tq + i;
                if (last < s0) continue;
                double[] s = new double[tk];
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int j = s0; j <= last; j++) {
                    double dot = 0;
                    for (int c = 0; c < d; c++) dot += q[(bh * tq + i) * d + c] * k[(bh * tk + j) * d + c];
                    s[j] = dot * scale;
                    max = Math.max(max, s[j]);
                }
                for (int j = s0; j <= last; j++) { s[j] = Math.exp(s[j] - max); sum += s[j]; }
                for (int j = s0; j <= last; j++)
                    for (int c = 0; c < d; c++) out[(bh * tq + i) * d + c] += s[j] / sum * v[(bh * tk + j) * d + c];
            }
        }
        return out;
    }

    private static void check(String name, Rng rng, int b, int h, int tq, int tk, int d, int[] start) {
        double scale = 1.0 / Math.sqrt(d);
        GradCheck.of(name, rng).input("q", b, h, tq, d).input("k", b, h, tk, d).input("v", b, h, tk, d)
                .expectShape(b, h, tq, d)
                .check(t -> Attention.causal(t[0], t[1], t[2], start),
                        x -> reference(x[0], x[1], x[2], start, b, h, tq, tk, d, scale));
    }

    @Test void causalTraining() {
        GradCheck.withSeed("attention causal", rng ->
                check("attention causal", rng, 2, 3, 6, 6, 4, null));
    }

    @Test void causalTrainingRandomSizes() {
        GradCheck.withSeed("attention causal sizes", rng -> {
            int t = size(rng, 1, 9);
            check("attention causal", rng, size(rng, 1, 2), size(rng, 1, 3), t, t, size(rng, 1, 8), null);
        });
    }

    @Test void decodeWithFewerQueriesThanKeys() {
        GradCheck.withSeed("attention decode", rng -> {
            int tk = size(rng, 2, 9), tq = size(rng, 1, tk - 1);
            check("attention Tq<Tk", rng, size(rng, 1, 2), size(rng, 1, 2), tq, tk, size(rng, 1, 6), null);
            check("attention Tq=1", rng, 2, 2, 1, tk, size(rng, 1, 6), null);
        });
    }

    @Test void leftPaddingWithEmptyQueries() {
        GradCheck.withSeed("attention padding", rng -> {
            int b = 3, h = size(rng, 1, 2), t = size(rng, 3, 8), d = size(rng, 1, 5);
            // Sequence 0 unpadded, 1 padded part-way (its first queries see nothing), 2 all padding.
            int[] start = {0, 1 + rng.nextInt(t - 1), t};
            check("attention left padding", rng, b, h, t, t, d, start);
            int tq = size(rng, 1, t - 1);
            check("attention left padding Tq<Tk", rng, b, h, tq, t, d, new int[] {0, t - tq + rng.nextInt(tq), t});
        });
    }

    /**
     * With the Vector API, 8 or more queries go through the CPU's blocked path (query blocks of 30 or 32 rows as small
     * GEMMs): several blocks, a ragged last block, Tq < Tk, left padding that empties whole blocks, odd head dims.
     */
    @Test void longSequencesAcrossSeveralQueryBlocks() {
        GradCheck.withSeed("attention query blocks", rng -> {
            int tk = size(rng, 61, 70), tq = tk - size(rng, 0, 5), d = size(rng, 3, 9);
            check("attention query blocks", rng, 2, 1, tq, tk, d, new int[] {0, size(rng, 1, tk - 1)});
            check("attention query blocks all padding", rng, 2, 1, 33, 33, size(rng, 1, 4), new int[] {33, size(rng, 0, 31)});
            // (start 32 would leave one query seeing one key: a gradient that is exactly zero, checked to rounding)
        });
    }

    @Test void paddedKeysGetExactlyZeroWeightAndGradient() {
        GradCheck.withSeed("attention padding exact zeros", rng -> {
            int b = 2, h = 2, t = size(rng, 4, 9), d = size(rng, 2, 6);
            int[] start = {0, size(rng, 1, t - 1)};
            Tensor q = Tensor.randn(rng, 1f, b, h, t, d).requiresGrad(true);
            Tensor k = Tensor.randn(rng, 1f, b, h, t, d).requiresGrad(true);
            Tensor v = Tensor.randn(rng, 1f, b, h, t, d).requiresGrad(true);
            Tensor out = Attention.causal(q, k, v, start);
            // Changing padded keys and values must not change any output.
            float[] kv = k.toFloatArray(), vv = v.toFloatArray();
            for (int hh = 0; hh < h; hh++)
                for (int j = 0; j < start[1]; j++)
                    for (int c = 0; c < d; c++) {
                        int at = (((1 * h + hh) * t) + j) * d + c;
                        kv[at] += 50f;
                        vv[at] -= 50f;
                    }
            float[] again = Attention.causal(q, Tensor.of(kv, b, h, t, d), Tensor.of(vv, b, h, t, d), start).toFloatArray();
            assertThat(again).containsExactly(out.toFloatArray());

            out.backward(Tensor.randn(rng, 1f, b, h, t, d));
            float[] o = out.toFloatArray(), dq = q.grad().toFloatArray(), dk = k.grad().toFloatArray(), dv = v.grad().toFloatArray();
            for (int hh = 0; hh < h; hh++)
                for (int j = 0; j < start[1]; j++)
                    for (int c = 0; c < d; c++) {
                        int at = (((1 * h + hh) * t) + j) * d + c;
                        assertThat(dk[at]).as("dk of padded key %d", j).isZero();
                        assertThat(dv[at]).as("dv of padded key %d", j).isZero();
                        // Query j < start sees nothing: zero output, zero gradient.
                        assertThat(o[at]).as("output of empty query %d", j).isZero();
                        assertThat(dq[at]).as("dq of empty query %d", j).isZero();
                    }
        });
    }

    @Test void decodeStepEqualsTheLastRowOfTheFullPass() {
        GradCheck.withSeed("attention kv-cache consistency", rng -> {
            int b = 2, h = 2, t = size(rng, 2, 9), d = size(rng, 2, 8);
            int[] start = {0, rng.nextInt(t)};
            Tensor q = Tensor.randn(rng, 1f, b, h, t, d), k = Tensor.randn(rng, 1f, b, h, t, d), v = Tensor.randn(rng, 1f, b, h, t, d);
            Tensor full = Attention.causal(q, k, v, start);
            Tensor last = Attention.causal(ShapeOps.slice(q, 2, t - 1, t), k, v, start);
            float[] want = ShapeOps.slice(full, 2, t - 1, t).toFloatArray();
            GradCheck.assertClose("decode step vs full pass", last.toFloatArray(), want, 1e-6);
        });
    }

    /**
     * Attention read in place from a KV cache (rows of `capacity` positions, the first tk used) gives the same bits
     * as attention on a copy of those tk positions: decode steps (Tq = 1) and prompt prefills through the blocked
     * path (Tq >= 8), with left padding. The unused tail of the cache is NaN, so reading it would show.
     */
    @Test void inCacheEqualsAttentionOnTheCopiedKeys() {
        GradCheck.withSeed("attention in cache", rng -> {
            try (var noGrad = GradMode.off()) {
                for (int tq : new int[] {1, size(rng, 2, 7), size(rng, 8, 40)}) {
                    int b = 2, h = size(rng, 1, 3), d = size(rng, 1, 9), tk = tq + size(rng, 0, 20), capacity = tk + size(rng, 0, 9);
                    int[] start = {0, size(rng, 0, tk)};
                    float[] kc = new float[b * h * capacity * d], vc = new float[kc.length];
                    java.util.Arrays.fill(kc, Float.NaN);
                    java.util.Arrays.fill(vc, Float.NaN);
                    Tensor k = Tensor.randn(rng, 1f, b, h, tk, d), v = Tensor.randn(rng, 1f, b, h, tk, d);
                    float[] kv = k.toFloatArray(), vv = v.toFloatArray();
                    for (int row = 0; row < b * h; row++) {
                        System.arraycopy(kv, row * tk * d, kc, row * capacity * d, tk * d);
                        System.arraycopy(vv, row * tk * d, vc, row * capacity * d, tk * d);
                    }
                    Tensor q = Tensor.randn(rng, 1f, b, h, tq, d);
                    Tensor kCache = Tensor.of(kc, b, h, capacity, d), vCache = Tensor.of(vc, b, h, capacity, d);
                    float[] want = Attention.causal(q, k, v, start).toFloatArray();
                    assertThat(Attention.inCache(q, kCache, vCache, tk, start).toFloatArray())
                            .as("in place, Tq=%d Tk=%d capacity=%d", tq, tk, capacity).containsExactly(want);
                    // The interface's default (copy the keys out, then attend), which the CUDA backend uses.
                    Backend copying = copyingBackend(q.backend());
                    try (Tensor out = Tensor.zeros(b, h, tq, d); Tensor lse = Tensor.zeros(b, h, tq)) {
                        copying.attentionInCache(q.buffer(), kCache.buffer(), vCache.buffer(), out.buffer(), lse.buffer(),
                                start, b, h, tq, tk, capacity, d, (float) (1 / Math.sqrt(d)));
                        assertThat(out.toFloatArray()).as("copying default, Tq=%d", tq).containsExactly(want);
                    }
                }
            }
        });
    }

    /** The backend with every method but attentionInCache passed through: attentionInCache runs Backend's default. */
    private static Backend copyingBackend(Backend inner) {
        return (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class},
                (proxy, method, args) -> method.getName().equals("attentionInCache")
                        ? InvocationHandler.invokeDefault(proxy, method, args) : method.invoke(inner, args));
    }

    @Test void inCacheRejectsWhatItCannotDo() {
        Tensor q = Tensor.zeros(1, 1, 2, 4), cache = Tensor.zeros(1, 1, 5, 4);
        try (var noGrad = GradMode.off()) {
            assertThatThrownBy(() -> Attention.inCache(q, cache, cache, 6, null)).hasMessageContaining("capacity");
            assertThatThrownBy(() -> Attention.inCache(q, cache, cache, 1, null)).hasMessageContaining("Tq <=");
        }
        Tensor tracked = Tensor.zeros(1, 1, 2, 4).requiresGrad(true);
        assertThatThrownBy(() -> Attention.inCache(tracked, cache, cache, 3, null)).hasMessageContaining("GradMode.off()");
    }

    /** Part i (0 q, 1 k, 2 v) of packed (B, T, 3C) as (B, H, T, D), in double. */
    private static double[] headsOf(double[] qkv, int part, int b, int t, int h, int d) {
        int c = h * d;
        double[] out = new double[b * h * t * d];
        for (int bb = 0; bb < b; bb++)
            for (int tt = 0; tt < t; tt++)
                for (int hh = 0; hh < h; hh++)
                    for (int dd = 0; dd < d; dd++)
                        out[((bb * h + hh) * t + tt) * d + dd] = qkv[(bb * t + tt) * 3 * c + part * c + hh * d + dd];
        return out;
    }

    /** Attention from packed q, k, v against float64 finite differences, across the blocked path and padding. */
    @Test void packedQkvMatchesFiniteDifferences() {
        GradCheck.withSeed("attention packed", rng -> {
            int b = 2, h = size(rng, 1, 3), d = size(rng, 1, 6);
            for (int t : new int[] {size(rng, 1, 7), size(rng, 31, 40)}) {
                int[] start = {0, size(rng, 0, t)};
                GradCheck.of("attention packed T=" + t, rng).input("qkv", b, t, 3 * h * d).expectShape(b, h, t, d)
                        .check(x -> Attention.causalPacked(x[0], h, start), x -> reference(headsOf(x[0], 0, b, t, h, d),
                                headsOf(x[0], 1, b, t, h, d), headsOf(x[0], 2, b, t, h, d), start, b, h, t, t, d, 1.0 / Math.sqrt(d)));
            }
        });
    }

    /**
     * The packed entry gives the bits of the form it replaced (three slices split into heads, then causal): the same
     * output and the same gradient of qkv, which the slices' backwards built from three zero-filled gradients.
     */
    @Test void packedQkvGivesTheBitsOfThreeSlices() {
        GradCheck.withSeed("attention packed bits", rng -> {
            int b = size(rng, 1, 3), h = size(rng, 1, 4), d = size(rng, 2, 16), t = size(rng, 1, 70), c = h * d;
            int[] start = {size(rng, 0, t), 0, 0};
            float[] values = Tensor.randn(rng, 1f, b, t, 3 * c).toFloatArray();
            Tensor gradOut = Tensor.randn(rng, 1f, b, h, t, d);

            Tensor sliced = Tensor.of(values, b, t, 3 * c).requiresGrad(true);
            Tensor[] qkv = new Tensor[3];
            for (int i = 0; i < 3; i++)
                qkv[i] = ShapeOps.transpose(ShapeOps.slice(sliced, 2, i * c, (i + 1) * c).reshape(b, t, h, d), 1, 2);
            Tensor want = Attention.causal(qkv[0], qkv[1], qkv[2], java.util.Arrays.copyOf(start, b));
            want.backward(gradOut);

            Tensor packed = Tensor.of(values, b, t, 3 * c).requiresGrad(true);
            Tensor got = Attention.causalPacked(packed, h, java.util.Arrays.copyOf(start, b));
            got.backward(gradOut);
            assertThat(got.toFloatArray()).as("output").containsExactly(want.toFloatArray());
            assertThat(packed.grad().toFloatArray()).as("gradient of qkv").containsExactly(sliced.grad().toFloatArray());
        });
    }

    @Test void packedQkvThatDoesNotSplitIntoHeadsIsRejected() {
        assertThatThrownBy(() -> Attention.causalPacked(Tensor.zeros(1, 2, 12).named("qkv"), 3, null))
                .hasMessageContaining("do not split into 3 x 3 heads").hasMessageContaining("[1,2,12]");
        assertThatThrownBy(() -> Attention.causalPacked(Tensor.zeros(2, 12), 1, null)).hasMessageContaining("rank 3");
        assertThatThrownBy(() -> Attention.causalPacked(Tensor.zeros(1, 2, 6), 1, new int[] {3})).hasMessageContaining("start offset 3");
    }

    @Test void badShapesAndOffsetsAreRejected() {
        Tensor q = Tensor.zeros(1, 1, 3, 4), k = Tensor.zeros(1, 1, 2, 4);
        assertThatThrownBy(() -> Attention.causal(q, k, k, null)).hasMessageContaining("Tq <= Tk");
        Tensor k3 = Tensor.zeros(1, 1, 3, 4);
        assertThatThrownBy(() -> Attention.causal(q, k3, k3, new int[] {4})).hasMessageContaining("start offset 4");
        assertThatThrownBy(() -> Attention.causal(q, k3, k3, new int[] {0, 0})).hasMessageContaining("start offsets");
    }

    /** The KV-cache path's heads of a packed projection: each part sliced and transposed, with no history. */
    @Test void headsOfIsTheSliceTransposed() {
        Rng rng = new Rng(21);
        int b = 3, t = 5, heads = 2, d = 4, c = heads * d;
        Tensor qkv = Tensor.randn(rng, 1f, b, t, 3 * c);
        try (GradMode off = GradMode.off()) {
            for (int part = 0; part < 3; part++) {
                Tensor want = ShapeOps.transpose(ShapeOps.slice(qkv, 2, part * c, (part + 1) * c).reshape(b, t, heads, d), 1, 2);
                assertThat(Attention.headsOf(qkv, part, heads).toFloatArray()).as("part %d", part).isEqualTo(want.toFloatArray());
            }
        }
        Tensor tracked = Tensor.randn(rng, 1f, b, t, 3 * c).requiresGrad(true);
        assertThatThrownBy(() -> Attention.headsOf(tracked, 0, heads)).hasMessageContaining("GradMode.off");
        assertThatThrownBy(() -> Attention.headsOf(qkv, 3, heads)).hasMessageContaining("part 3");
    }
}
