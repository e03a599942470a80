package org.instruct4j.bench;

import org.instruct4j.engine.Scope;
import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.autograd.GradMode;
import org.instruct4j.engine.nn.Gpt;
import org.instruct4j.engine.nn.KvCache;
import org.instruct4j.engine.ops.ShapeOps;

/** Greedy generation as the engine's Generator does it (without its end-of-text stop, so both peers make every token): one prefill, then one token per step through the KV cache. */
final class GreedyDecode {
    private GreedyDecode() {}

    /**
     * @param prompts batch rows of promptLen tokens each
     * @param start   per row, the first real token after left padding; null when no row is padded
     * @return batch rows of newTokens generated ids
     */
    static int[] generate(Gpt model, int[] prompts, int[] start, int batch, int promptLen, int newTokens) {
        int vocab = model.config().vocabSize();
        int[] generated = new int[batch * newTokens];
        try (GradMode g = GradMode.off(); Scope generation = Scope.open();
             KvCache cache = model.newCache(batch, promptLen + newTokens)) {
            Tensor h = model.hidden(Tensor.ofInts(prompts, batch, promptLen), start, cache, false, null);
            float[] logits = model.logits(ShapeOps.slice(h, 1, promptLen - 1, promptLen)).toFloatArray();
            for (int t = 0; t < newTokens; t++) {
                int[] next = new int[batch];
                for (int b = 0; b < batch; b++) {
                    int best = 0;
                    for (int v = 1; v < vocab; v++) if (logits[b * vocab + v] > logits[b * vocab + best]) best = v;
                    next[b] = best;
                    generated[b * newTokens + t] = best;
                }
                if (t == newTokens - 1) break;
                try (Scope step = Scope.open()) {
                    logits = model.logits(model.hidden(Tensor.ofInts(next, batch, 1), start, cache, false, null)).toFloatArray();
                }
            }
        }
        return generated;
    }
}
