package org.instruct4j.engine.backend.cpu;

import java.util.Arrays;
import org.instruct4j.engine.Device;
import org.instruct4j.engine.Rng;
import org.instruct4j.engine.Scope;
import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.autograd.GradMode;
import org.instruct4j.engine.nn.Gpt;
import org.instruct4j.engine.nn.GptConfig;
import org.instruct4j.engine.nn.KvCache;
import org.instruct4j.engine.ops.CrossEntropy;
import org.instruct4j.engine.ops.ShapeOps;
import org.instruct4j.engine.optim.AdamW;
import org.instruct4j.engine.optim.GradClip;

/**
 * The child program of {@link SameBitsAtEveryWidthTest}, and the computation it compares: a small GPT (widths that
 * leave ragged rows: 40 dims, 5 heads of 8, vocab 203) trained three steps with dropout on left-padded rows of 37
 * tokens, then one prefill and four decode steps through the KV cache. Prints one line: the vector width and the hash
 * of every parameter's bits, the losses and the last logits.
 */
final class WidthProbe {
    private WidthProbe() {}

    /** Prints this JVM's float lanes and the hash: "8 39edc51d". */
    public static void main(String[] args) { System.out.println(VectorSupport.FLOAT_LANES + " " + run()); }

    static String run() {
        GptConfig config = new GptConfig(203, 48, 2, 5, 40, 0.1f, 1e-5f);
        Rng rng = new Rng(11);
        Gpt model = new Gpt(config, rng, Device.CPU);
        AdamW optimizer = AdamW.of(model.parameters(), 0.1f);
        int batch = 3, seq = 37;
        int[] tokens = new int[batch * seq], targets = new int[batch * seq], start = {0, 5, 11};
        for (int b = 0; b < batch; b++)
            for (int j = 0; j < seq; j++) {
                tokens[b * seq + j] = j < start[b] ? 0 : rng.nextInt(config.vocabSize());
                targets[b * seq + j] = j < start[b] ? -1 : rng.nextInt(config.vocabSize());
            }
        Tensor in = Tensor.ofInts(tokens, batch, seq), out = Tensor.ofInts(targets, batch, seq);
        Rng dropout = new Rng(12);
        int hash = 1;
        for (int step = 0; step < 3; step++) {
            try (Scope s = Scope.open()) {
                Tensor loss = CrossEntropy.mean(model.logits(model.hidden(in, start, null, true, dropout)), out);
                loss.backward();
                optimizer.step(1e-3f, GradClip.clipScale(GradClip.globalNorm(model.parameters().values()), 1f));
                optimizer.zeroGrad();
                hash = 31 * hash + Float.floatToRawIntBits(loss.item());
            }
        }
        for (Tensor p : model.parameters().values()) hash = 31 * hash + Arrays.hashCode(p.toFloatArray());
        try (GradMode g = GradMode.off(); Scope s = Scope.open(); KvCache cache = model.newCache(batch, seq + 4)) {
            Tensor h = model.hidden(in, start, cache, false, null);
            float[] logits = model.logits(ShapeOps.slice(h, 1, seq - 1, seq)).toFloatArray();
            for (int t = 0; t < 4; t++) {
                int[] next = new int[batch];
                for (int b = 0; b < batch; b++) next[b] = Math.floorMod(Float.floatToRawIntBits(logits[b * config.vocabSize()]), config.vocabSize());
                logits = model.logits(model.hidden(Tensor.ofInts(next, batch, 1), start, cache, false, null)).toFloatArray();
            }
            hash = 31 * hash + Arrays.hashCode(logits);
        }
        return Integer.toHexString(hash);
    }
}
