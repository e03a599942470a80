package org.instruct4j.engine.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.instruct4j.engine.Device;
import org.instruct4j.engine.Rng;
import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.autograd.GradMode;
import org.instruct4j.engine.ops.ShapeOps;
import org.junit.jupiter.api.Test;

/** Incremental decoding and left padding give the same logits as the plain forward. */
class KvCacheTest {
    static final GptConfig CONFIG = new GptConfig(64, 16, 2, 2, 32, 0f, 1e-5f);
    static final float TOL = 1e-5f;

    static int[] randomTokens(Rng rng, int n) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = rng.nextInt(CONFIG.vocabSize());
        return t;
    }

    static void assertClose(float[] actual, float[] expected) {
        assertThat(actual).hasSameSizeAs(expected);
        for (int i = 0; i < actual.length; i++)
            assertThat(actual[i]).as("element %d", i).isCloseTo(expected[i], org.assertj.core.data.Offset.offset(TOL));
    }

    @Test void incrementalDecodeMatchesFullForward() {
        Gpt model = new Gpt(CONFIG, new Rng(1), Device.CPU);
        int b = 2, prompt = 5, total = 12;
        int[] seq = randomTokens(new Rng(2), b * total);
        try (GradMode g = GradMode.off()) {
            Tensor full = model.forward(Tensor.ofInts(seq, b, total), null);
            KvCache cache = model.newCache(b, total);
            Tensor first = model.logits(model.hidden(Tensor.ofInts(slice(seq, b, total, 0, prompt), b, prompt), null, cache, false, null));
            assertClose(first.toFloatArray(), ShapeOps.slice(full, 1, 0, prompt).toFloatArray());
            for (int t = prompt; t < total; t++) {
                Tensor step = model.logits(model.hidden(Tensor.ofInts(slice(seq, b, total, t, t + 1), b, 1), null, cache, false, null));
                assertClose(step.toFloatArray(), ShapeOps.slice(full, 1, t, t + 1).toFloatArray());
            }
            assertThat(cache.length()).isEqualTo(total);
            cache.reset();
            assertThat(cache.length()).isZero();
        }
    }

    @Test void leftPaddedRowMatchesTheRowAlone() {
        Gpt model = new Gpt(CONFIG, new Rng(3), Device.CPU);
        Rng rng = new Rng(4);
        int t = 10, pad = 3, real = t - pad;
        int[] rowA = randomTokens(rng, real), rowB = randomTokens(rng, t);
        int[] batch = new int[2 * t];
        for (int i = 0; i < pad; i++) batch[i] = 63;           // any token: padding must not matter
        System.arraycopy(rowA, 0, batch, pad, real);
        System.arraycopy(rowB, 0, batch, t, t);
        try (GradMode g = GradMode.off()) {
            Tensor padded = model.forward(Tensor.ofInts(batch, 2, t), new int[] {pad, 0});
            Tensor alone = model.forward(Tensor.ofInts(rowA, 1, real), null);
            Tensor aloneB = model.forward(Tensor.ofInts(rowB, 1, t), null);
            Tensor realPart = ShapeOps.slice(ShapeOps.slice(padded, 0, 0, 1), 1, pad, t);
            assertClose(realPart.toFloatArray(), alone.toFloatArray());
            assertClose(ShapeOps.slice(padded, 0, 1, 2).toFloatArray(), aloneB.toFloatArray());

            // The same with a cache: padded prompt, then decode two tokens; each step's logits of each row are those
            // of the row's own tokens so far (no padding) run through the plain forward.
            KvCache cache = model.newCache(2, t + 2);
            model.hidden(Tensor.ofInts(batch, 2, t), new int[] {pad, 0}, cache, false, null);
            int[][] next = {{5, 6}, {7, 8}};   // per step: row A's token, row B's
            int[] soFarA = rowA, soFarB = rowB;
            for (int[] tokens : next) {
                Tensor step = model.logits(model.hidden(Tensor.ofInts(tokens, 2, 1), new int[] {pad, 0}, cache, false, null));
                soFarA = append(soFarA, tokens[0]);
                soFarB = append(soFarB, tokens[1]);
                assertClose(ShapeOps.slice(step, 0, 0, 1).toFloatArray(), lastLogits(model, soFarA));
                assertClose(ShapeOps.slice(step, 0, 1, 2).toFloatArray(), lastLogits(model, soFarB));
            }
        }
    }

    @Test void capacityAndContextAreChecked() {
        Gpt model = new Gpt(CONFIG, new Rng(5), Device.CPU);
        try (GradMode g = GradMode.off()) {
            KvCache cache = model.newCache(1, 4);
            model.hidden(Tensor.ofInts(new int[] {1, 2, 3}, 1, 3), null, cache, false, null);
            assertThatThrownBy(() -> model.hidden(Tensor.ofInts(new int[] {1, 2}, 1, 2), null, cache, false, null))
                    .hasMessageContaining("KV cache full").hasMessageContaining("capacity 4");
            assertThatThrownBy(() -> model.newCache(1, 17)).hasMessageContaining("context length 16");
            assertThatThrownBy(() -> model.forward(Tensor.ofInts(new int[17], 1, 17), null))
                    .hasMessageContaining("exceeds the context length 16");
        }
        KvCache cache = model.newCache(1, 4);
        assertThatThrownBy(() -> model.hidden(Tensor.ofInts(new int[] {1}, 1, 1), null, cache, false, null))
                .hasMessageContaining("GradMode.off()");
    }

    @Test void badTokensAreNamed() {
        Gpt model = new Gpt(CONFIG, new Rng(6), Device.CPU);
        assertThatThrownBy(() -> model.forward(Tensor.ofInts(new int[] {1, 64}, 1, 2), null))
                .hasMessageContaining("token 64 at row 0, position 1");
    }

    static int[] slice(int[] seq, int b, int total, int from, int to) {
        int[] out = new int[b * (to - from)];
        for (int r = 0; r < b; r++) System.arraycopy(seq, r * total + from, out, r * (to - from), to - from);
        return out;
    }

    private static int[] append(int[] tokens, int token) {
        int[] out = java.util.Arrays.copyOf(tokens, tokens.length + 1);
        out[tokens.length] = token;
        return out;
    }

    /** The plain (no cache) forward's logits at the last position of one row. */
    private static float[] lastLogits(Gpt model, int[] tokens) {
        Tensor logits = model.forward(Tensor.ofInts(tokens, 1, tokens.length), null);
        return ShapeOps.slice(logits, 1, tokens.length - 1, tokens.length).toFloatArray();
    }
}
