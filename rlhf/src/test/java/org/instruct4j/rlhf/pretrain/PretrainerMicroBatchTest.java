package org.instruct4j.rlhf.pretrain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.instruct4j.engine.Rng;
import org.instruct4j.engine.Scope;
import org.instruct4j.engine.nn.Gpt;
import org.instruct4j.rlhf.train.Gradients;
import org.instruct4j.rlhf.train.TinyWorld;
import org.junit.jupiter.api.Test;

/** Pretraining windows taken in micro-batches give the gradient and loss of the whole batch at once. */
class PretrainerMicroBatchTest {
    @Test
    void piecesOfTwoGiveTheWholeBatchsGradient() {
        int b = 5, t = 12;
        Rng rng = new Rng(9);
        int[] x = new int[b * t], y = new int[b * t];
        for (int i = 0; i < x.length; i++) {
            x[i] = rng.nextInt(TinyWorld.VOCAB);
            y[i] = rng.nextInt(TinyWorld.VOCAB);
        }
        PretrainConfig cfg = PretrainConfig.defaults(10, b, t);
        Gpt whole = TinyWorld.model(2), pieces = TinyWorld.model(2);
        double wholeLoss, piecesLoss;
        try (Scope s = Scope.open()) {
            wholeLoss = new Pretrainer(whole, cfg).accumulateGradients(x, y, b, t);
            piecesLoss = new Pretrainer(pieces, cfg.withMicroBatch(2)).accumulateGradients(x, y, b, t);
        }
        assertThat(piecesLoss).isCloseTo(wholeLoss, within(1e-6 * wholeLoss));
        assertThat(Gradients.maxRelativeDifference(Gradients.of(whole.parameters()), Gradients.of(pieces.parameters()))).isLessThan(1e-5);
    }
}
