package org.instruct4j.rlhf.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import org.instruct4j.engine.Rng;
import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.nn.Gpt;
import org.instruct4j.rlhf.train.TinyWorld;
import org.junit.jupiter.api.Test;

class TextLossTest {
    /**
     * Chunks of unequal lengths, more than one forward pass of them: the loss is the mean over every predicted
     * token, computed here in double precision from each chunk's logits one position at a time, so a short last
     * chunk weighs by its tokens, not as much as a whole one.
     */
    @Test
    void isTheMeanOverEveryPredictedTokenOfEveryChunk() {
        Gpt model = TinyWorld.model(3);
        Rng rng = new Rng(5);
        List<int[]> chunks = new ArrayList<>();
        for (int i = 0; i < 19; i++) {
            int[] c = new int[i == 18 ? 3 : 2 + rng.nextInt(23)];
            for (int j = 0; j < c.length; j++) c[j] = rng.nextInt(TinyWorld.EOT);
            chunks.add(c);
        }
        double sum = 0;
        long tokens = 0;
        for (int[] c : chunks) {
            float[] logits = model.forward(Tensor.ofInts(c, model.device(), 1, c.length), null).toFloatArray();
            int vocab = model.config().vocabSize();
            for (int p = 0; p + 1 < c.length; p++) {
                double max = Double.NEGATIVE_INFINITY, z = 0;
                for (int v = 0; v < vocab; v++) max = Math.max(max, logits[p * vocab + v]);
                for (int v = 0; v < vocab; v++) z += Math.exp(logits[p * vocab + v] - max);
                sum += max + Math.log(z) - logits[p * vocab + c[p + 1]];
                tokens++;
            }
        }
        TextLoss loss = TextLoss.of(model, chunks, TinyWorld.PAD);
        assertThat(loss.tokens()).isEqualTo(tokens);
        assertThat(loss.loss()).isCloseTo(sum / tokens, within(1e-5));   // float32 logits and sums: relative 1e-6 of ~2.8
    }
}
