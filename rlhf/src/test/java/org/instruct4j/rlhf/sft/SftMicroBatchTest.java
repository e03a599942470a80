package org.instruct4j.rlhf.sft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.instruct4j.engine.Scope;
import org.instruct4j.engine.nn.Gpt;
import org.instruct4j.rlhf.train.Gradients;
import org.instruct4j.rlhf.train.TinyWorld;
import org.junit.jupiter.api.Test;

/** A batch taken in micro-batches gives the gradient and loss of the whole batch at once. */
class SftMicroBatchTest {
    @Test
    void piecesOfThreeGiveTheWholeBatchsGradient() {
        List<SftExample> batch = new ArrayList<>();   // completions of 1 to 7 tokens: the pieces weigh by completion tokens
        for (SftExample d : TinyWorld.demonstrations(7, 3)) {
            int[] completion = new int[1 + batch.size()];
            Arrays.fill(completion, TinyWorld.GOOD);
            completion[completion.length - 1] = TinyWorld.EOT;
            batch.add(new SftExample(d.prompt(), completion));
        }
        SftConfig cfg = SftConfig.paper().withDropout(0f).withMaxLen(24).withBatchSize(7);
        Gpt whole = TinyWorld.model(2), pieces = TinyWorld.model(2);
        double wholeLoss, piecesLoss;
        try (Scope s = Scope.open()) {
            wholeLoss = new SftTrainer(whole, cfg, TinyWorld.PAD).quiet().accumulateGradients(batch);
            piecesLoss = new SftTrainer(pieces, cfg.withMicroBatch(3), TinyWorld.PAD).quiet().accumulateGradients(batch);
        }
        assertThat(piecesLoss).isCloseTo(wholeLoss, within(1e-6 * wholeLoss));
        assertThat(Gradients.maxRelativeDifference(Gradients.of(whole.parameters()), Gradients.of(pieces.parameters()))).isLessThan(1e-5);
    }
}
