package org.instruct4j.rlhf.eval;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.instruct4j.engine.Device;
import org.instruct4j.engine.Rng;
import org.instruct4j.engine.nn.Gpt;
import org.instruct4j.engine.nn.GptConfig;
import org.instruct4j.engine.text.BpeTokenizer;
import org.instruct4j.rlhf.world.PretrainCorpus;
import org.instruct4j.rlhf.world.WorldFormat;
import org.junit.jupiter.api.Test;

class CapabilityProbesTest {
    @Test
    void answerIsTheContinuationUpToItsFirstFullStop() {
        assertThat(CapabilityProbes.answerOf(" PINK PIG BROOM. pink")).containsExactly("PINK", "PIG", "BROOM");
        assertThat(CapabilityProbes.answerOf(" 12.")).containsExactly("12");
        assertThat(CapabilityProbes.answerOf(" broom, saw\nmore")).containsExactly("broom", "saw");
        assertThat(CapabilityProbes.answerOf("")).isEmpty();
    }

    @Test
    void everyItemsAnswerFollowsFromItsText() {
        Rng rng = new Rng(3);
        for (int i = 0; i < 200; i++) {
            CapabilityProbes.Item last = CapabilityProbes.item("last word of a list", rng);
            List<String> words = List.of(last.text().replace(" Last word:", "").split(" "));
            assertThat(last.answer()).containsExactly(words.getLast());
            CapabilityProbes.Item back = CapabilityProbes.item("list backwards", rng);
            assertThat(back.answer()).isEqualTo(List.of(back.text().replace(" Backwards:", "").split(" ")).reversed());
            CapabilityProbes.Item fact = CapabilityProbes.item("fact stated earlier", rng);
            assertThat(fact.text().substring(0, fact.text().lastIndexOf('.'))).contains(" " + fact.answer().getFirst() + ".");
            CapabilityProbes.Item sum = CapabilityProbes.item("small sum", rng);
            String[] ab = sum.text().replace(" is", "").split(" plus ");
            assertThat(sum.answer()).containsExactly(String.valueOf(Integer.parseInt(ab[0]) + Integer.parseInt(ab[1])));
        }
    }

    @Test
    void anUntrainedModelPassesNoProbeAndTheSameSeedAsksTheSameItems() {
        List<String> docs = PretrainCorpus.documents(new Rng(1), 20_000);
        BpeTokenizer tok = BpeTokenizer.train(docs, 400, List.of(WorldFormat.END_OF_TEXT, "<|pad|>"));
        Gpt model = new Gpt(GptConfig.tiny().withVocab(tok.vocabSize()), new Rng(1), Device.CPU);
        List<CapabilityProbes.Probe> probes = CapabilityProbes.run(model, tok, 10, 5);
        assertThat(probes).extracting(CapabilityProbes.Probe::name).containsExactlyElementsOf(CapabilityProbes.names());
        assertThat(probes).allSatisfy(p -> assertThat(p.exact()).isZero());
        assertThat(CapabilityProbes.run(model, tok, 10, 5)).isEqualTo(probes);
    }
}
