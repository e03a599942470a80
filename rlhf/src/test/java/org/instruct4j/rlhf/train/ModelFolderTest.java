package org.instruct4j.rlhf.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.instruct4j.engine.Device;
import org.instruct4j.engine.Rng;
import org.instruct4j.engine.text.BpeTokenizer;
import org.instruct4j.rlhf.rm.RewardModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelFolderTest {
    @TempDir Path dir;

    private static BpeTokenizer tokenizer() {
        return BpeTokenizer.train(List.of("the cat sat on the mat", "a dog ran"), 270, List.of(BpeTokenizer.END_OF_TEXT, BpeTokenizer.PAD));
    }

    /** A reward model comes back with the same scores; each kind is refused where the other is expected. */
    @Test void rewardAndLanguageModelsRoundTripAndAreNotMistakenForEachOther() throws Exception {
        BpeTokenizer tok = tokenizer();
        RewardModel rm = RewardModel.fromLm(new org.instruct4j.engine.nn.Gpt(TinyWorld.config().withVocab(tok.vocabSize()), new Rng(3), Device.CPU),
                tok.pad(), new Rng(4));
        rm.head().setBias(0.25f);
        ModelFolder.saveReward(dir.resolve("rm"), rm, tok);
        ModelFolder.saveLm(dir.resolve("lm"), rm.trunk(), tok);

        List<int[]> seqs = List.of(tok.encode("the cat"), tok.encode("a dog ran on"));
        ModelFolder.Reward back = ModelFolder.loadReward(dir.resolve("rm"), Device.CPU);
        assertThat(back.model().scoreNoGrad(seqs, 2)).containsExactly(rm.scoreNoGrad(seqs, 2));
        assertThat(back.tokenizer().vocabSize()).isEqualTo(tok.vocabSize());
        assertThat(ModelFolder.loadLm(dir.resolve("lm"), Device.CPU, 0f).model().config()).isEqualTo(rm.trunk().config());

        assertThatThrownBy(() -> ModelFolder.loadLm(dir.resolve("rm"), Device.CPU, 0f))
                .hasMessageContaining(dir.resolve("rm").toString()).hasMessageContaining("holds a reward model");
        assertThatThrownBy(() -> ModelFolder.loadReward(dir.resolve("lm"), Device.CPU))
                .hasMessageContaining("holds a language model, not a reward model");
    }
}
