package org.instruct4j.rlhf.rm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import org.instruct4j.engine.Rng;
import org.instruct4j.engine.Scope;
import org.instruct4j.rlhf.train.Gradients;
import org.instruct4j.rlhf.train.TinyWorld;
import org.junit.jupiter.api.Test;

/** A batch of prompts taken in micro-batches gives the gradient, loss and accuracy of the whole batch at once. */
class RmMicroBatchTest {
    @Test
    void piecesOfTwoGiveTheWholeBatchsGradient() {
        List<RmExample> batch = new ArrayList<>(TinyWorld.rankings(7, 3));   // 1 to 3 comparisons a prompt: the pieces weigh by prompts
        RmExample first = batch.getFirst();
        batch.add(2, new RmExample(first.prompt(), first.responses(), List.of()));   // a prompt without comparisons counts for none
        RmConfig cfg = RmConfig.paper().withMaxLen(24);
        RewardModel whole = RewardModel.fromLm(TinyWorld.model(2), TinyWorld.PAD, new Rng(7));
        RewardModel pieces = RewardModel.fromLm(TinyWorld.model(2), TinyWorld.PAD, new Rng(7));
        RmTrainer.StepResult a, b;
        try (Scope s = Scope.open()) {
            a = new RmTrainer(whole, cfg).quiet().accumulateGradients(batch);
            b = new RmTrainer(pieces, cfg.withMicroBatch(2)).quiet().accumulateGradients(batch);
        }
        assertThat(b.loss()).isCloseTo(a.loss(), within(1e-6 * a.loss()));
        assertThat(b.accuracy()).isEqualTo(a.accuracy());
        assertThat(Gradients.maxRelativeDifference(Gradients.of(whole.parameters()), Gradients.of(pieces.parameters()))).isLessThan(1e-5);
    }
}
