package org.instruct4j.engine.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.instruct4j.engine.testing.GradCheck.size;

import org.instruct4j.engine.Rng;
import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.testing.GradCheck;
import org.junit.jupiter.api.Test;

/** Fused softmax cross-entropy: per row, mean over counted rows (target -1 ignored), token log-probs. */
class CrossEntropyTest {

    /** loss[r] = logsumexp(row) - row[target], 0 for a negative target. */
    static double[] perRow(double[] logits, int[] targets, int vocab) {
        double[] loss = new double[targets.length];
        for (int r = 0; r < targets.length; r++) {
            if (targets[r] < 0) continue;
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int c = 0; c < vocab; c++) max = Math.max(max, logits[r * vocab + c]);
            for (int c = 0; c < vocab; c++) sum += Math.exp(logits[r * vocab + c] - max);
            loss[r] = max + Math.log(sum) - logits[r * vocab + targets[r]];
        }
        return loss;
    }

    /** Random targets with about a quarter ignored, and at least one counted. */
    private static int[] targets(Rng rng, int n, int vocab) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = rng.nextInt(4) == 0 ? -1 : rng.nextInt(vocab);
        t[rng.nextInt(n)] = rng.nextInt(vocab);
        return t;
    }

    @Test void perRowLoss() {
        GradCheck.withSeed("cross-entropy per row", rng -> {
            int b = size(rng, 1, 3), t = size(rng, 1, 6), vocab = size(rng, 2, 41);
            int[] tg = targets(rng, b * t, vocab);
            Tensor tt = Tensor.ofInts(tg, b, t);
            GradCheck.of("cross-entropy perRow", rng).input("logits", 3f, b, t, vocab).expectShape(b, t)
                    .check(in -> CrossEntropy.perRow(in[0], tt), x -> perRow(x[0], tg, vocab));
        });
    }

    @Test void meanOverCountedRows() {
        GradCheck.withSeed("cross-entropy mean", rng -> {
            int rows = size(rng, 2, 13), vocab = size(rng, 2, 29);
            int[] tg = targets(rng, rows, vocab);
            long counted = java.util.Arrays.stream(tg).filter(x -> x >= 0).count();
            Tensor tt = Tensor.ofInts(tg, rows);
            GradCheck.of("cross-entropy mean", rng).input("logits", 2f, rows, vocab).expectShape()
                    .check(in -> CrossEntropy.mean(in[0], tt),
                            x -> new double[] {java.util.Arrays.stream(perRow(x[0], tg, vocab)).sum() / counted});
        });
    }

    @Test void tokenLogProbs() {
        GradCheck.withSeed("token log-probs", rng -> {
            int rows = size(rng, 1, 9), vocab = size(rng, 2, 23);
            int[] tg = targets(rng, rows, vocab);
            Tensor tt = Tensor.ofInts(tg, rows);
            GradCheck.of("tokenLogProbs", rng).input("logits", 2f, rows, vocab)
                    .check(in -> CrossEntropy.tokenLogProbs(in[0], tt), x -> {
                        double[] l = perRow(x[0], tg, vocab);
                        for (int i = 0; i < l.length; i++) l[i] = -l[i];
                        return l;
                    });
        });
    }

    @Test void allIgnoredGivesZeroLossAndZeroGradient() {
        Tensor logits = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3).requiresGrad(true);
        Tensor loss = CrossEntropy.mean(logits, Tensor.ofInts(new int[] {-1, -1}, 2));
        assertThat(loss.item()).isZero();
        loss.backward();
        assertThat(logits.grad().toFloatArray()).containsOnly(0f);
    }

    @Test void hugeLogitsStayFinite() {
        Tensor logits = Tensor.of(new float[] {1e4f, -1e4f, 0f, 80f, 100f, 90f}, 2, 3).requiresGrad(true);
        Tensor loss = CrossEntropy.perRow(logits, Tensor.ofInts(new int[] {1, 1}, 2));
        GradCheck.assertClose("huge logits", loss.toFloatArray(), perRow(new double[] {1e4, -1e4, 0, 80, 100, 90}, new int[] {1, 1}, 3), 1e-6);
    }

    @Test void targetOutsideTheVocabIsNamed() {
        assertThatThrownBy(() -> CrossEntropy.perRow(Tensor.zeros(2, 3), Tensor.ofInts(new int[] {0, 3}, 2)))
                .hasMessageContaining("target 3").hasMessageContaining("row 1");
    }

    /** Targets laid out (T, B) for logits (B, T, V) hold as many rows, but would pair the wrong ones. */
    @Test void targetsOfAnotherLayoutAreRefused() {
        assertThatThrownBy(() -> CrossEntropy.mean(Tensor.zeros(2, 3, 5), Tensor.ofInts(new int[6], 3, 2)))
                .hasMessageContaining("cross_entropy").hasMessageContaining("[2,3,5]").hasMessageContaining("[3,2]");
    }

    @Test void floatTargetsAreRefusedByTheLoss() {
        assertThatThrownBy(() -> CrossEntropy.mean(Tensor.zeros(2, 5), Tensor.zeros(2)))
                .hasMessageContaining("cross_entropy").hasMessageContaining("I32");
    }
}
