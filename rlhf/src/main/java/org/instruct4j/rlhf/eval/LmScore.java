package org.instruct4j.rlhf.eval;

import java.util.List;
import org.instruct4j.engine.Scope;
import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.autograd.GradMode;
import org.instruct4j.engine.nn.Gpt;
import org.instruct4j.engine.text.BpeTokenizer;
import org.instruct4j.rlhf.world.PublicNlpItem;

/**
 * How well a model still models the pretraining distribution (the "public NLP" tasks of the alignment tax): mean
 * loss per continuation token given the text before it, and the share of continuation tokens it predicts exactly.
 */
public record LmScore(double loss, double accuracy, int tokens) {

    public static LmScore of(Gpt model, BpeTokenizer tok, List<PublicNlpItem> items, int batch) {
        int ctx = model.config().contextLength(), vocab = model.config().vocabSize();
        double lossSum = 0;
        long right = 0, counted = 0;
        try (GradMode g = GradMode.off()) {
            for (int from = 0; from < items.size(); from += batch) {
                List<PublicNlpItem> part = items.subList(from, Math.min(items.size(), from + batch));
                int[][] seqs = new int[part.size()][];
                int[] firstTarget = new int[part.size()];
                int t = 1;
                for (int i = 0; i < part.size(); i++) {
                    int[] text = tok.encode(part.get(i).text()), cont = tok.encode(part.get(i).continuation());
                    int[] s = new int[text.length + cont.length];
                    System.arraycopy(text, 0, s, 0, text.length);
                    System.arraycopy(cont, 0, s, text.length, cont.length);
                    int keep = Math.min(s.length, ctx + 1);            // keep the end: the continuation matters
                    int drop = s.length - keep;
                    seqs[i] = java.util.Arrays.copyOfRange(s, drop, s.length);
                    firstTarget[i] = Math.max(1, text.length - drop);
                    t = Math.max(t, seqs[i].length - 1);
                }
                int[] input = new int[part.size() * t];
                java.util.Arrays.fill(input, tok.pad());
                for (int i = 0; i < part.size(); i++) System.arraycopy(seqs[i], 0, input, i * t, seqs[i].length - 1);
                try (Scope s = Scope.open()) {
                    float[] logits = model.forward(Tensor.ofInts(input, model.device(), part.size(), t), null).toFloatArray();
                    for (int i = 0; i < part.size(); i++) {
                        for (int p = firstTarget[i]; p < seqs[i].length; p++) {
                            int row = (i * t + p - 1) * vocab, target = seqs[i][p];
                            double max = Double.NEGATIVE_INFINITY;
                            int arg = 0;
                            for (int v = 0; v < vocab; v++) if (logits[row + v] > max) { max = logits[row + v]; arg = v; }
                            double sum = 0;
                            for (int v = 0; v < vocab; v++) sum += Math.exp(logits[row + v] - max);
                            lossSum += max + Math.log(sum) - logits[row + target];
                            if (arg == target) right++;
                            counted++;
                        }
                    }
                }
            }
        }
        return new LmScore(lossSum / Math.max(1, counted), (double) right / Math.max(1, counted), (int) counted);
    }
}
