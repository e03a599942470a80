package org.instruct4j.rlhf.eval;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.instruct4j.engine.Device;
import org.instruct4j.engine.Rng;
import org.instruct4j.engine.nn.Gpt;
import org.instruct4j.engine.nn.GptConfig;
import org.instruct4j.engine.text.BpeTokenizer;
import org.instruct4j.rlhf.world.PretrainCorpus;
import org.instruct4j.rlhf.world.Vocab;
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
    void everyItemAcceptsItsAnswerAndNothingElse() {
        Rng rng = new Rng(3);
        for (int i = 0; i < 200; i++) {
            CapabilityProbes.Item last = CapabilityProbes.item("last word of a list", rng);
            List<String> words = List.of(last.text().replace(" Last word:", "").split(" "));
            assertThat(last.accepts()).accepts(List.of(words.getLast())).rejects(List.of(words.getFirst()), words);
            CapabilityProbes.Item back = CapabilityProbes.item("list backwards", rng);
            List<String> given = List.of(back.text().replace(" Backwards:", "").split(" "));
            assertThat(back.accepts()).accepts(given.reversed()).rejects(given);
            CapabilityProbes.Item caps = CapabilityProbes.item("list in capitals", rng);
            List<String> plain = List.of(caps.text().replace(" In capitals:", "").split(" "));
            List<String> upper = plain.stream().map(w -> w.toUpperCase(Locale.ROOT)).toList();
            assertThat(caps.accepts()).accepts(upper).rejects(plain, upper.reversed(), upper.subList(0, 2));
            CapabilityProbes.Item fact = CapabilityProbes.item("fact stated earlier", rng);
            String passage = fact.text().substring(0, fact.text().lastIndexOf('.'));
            String town = passage.split(" lives in ")[1].split("\\.")[0], job = passage.split(" is a ")[1].split("\\.")[0];
            boolean asksTown = fact.text().endsWith(" is");
            assertThat(fact.accepts()).accepts(List.of(asksTown ? town : job)).rejects(List.of(asksTown ? job : town));
            CapabilityProbes.Item sum = CapabilityProbes.item("small sum", rng);
            String[] ab = sum.text().replace(" is", "").split(" plus ");
            int total = Integer.parseInt(ab[0]) + Integer.parseInt(ab[1]);
            assertThat(sum.accepts()).accepts(List.of(String.valueOf(total))).rejects(List.of(String.valueOf(total + 1)));
        }
    }

    @Test
    void aListOfAKindNeedsAsManyItemsAsAnnouncedEachOfTheKindNoneTwice() {
        Rng rng = new Rng(4);
        for (int i = 0; i < 100; i++) {
            CapabilityProbes.Item list = CapabilityProbes.item("list of a kind, none twice", rng);
            String[] announced = list.text().replace("Here are ", "").replace(":", "").split(" ");
            int k = Integer.parseInt(announced[0]);
            List<String> members = Vocab.CATEGORIES.get(announced[1]);
            List<String> right = members.subList(0, k);
            List<String> oneTwice = new ArrayList<>(right);
            oneTwice.set(k - 1, right.getFirst());
            List<String> oneShort = right.subList(0, k - 1);
            List<String> otherKind = new ArrayList<>(right);
            otherKind.set(0, announced[1].equals("fruits") ? "hammer" : "apple");
            assertThat(list.accepts()).accepts(right, members.reversed().subList(0, k)).rejects(oneTwice, oneShort, otherKind);
        }
    }

    /**
     * Continuations that solve every item, worked out from its text: every probe counts them all as passed. The same
     * answers without their last word pass none of the probes whose answer is several words.
     */
    @Test
    void rightContinuationsPassEveryProbeAndAnswersCutShortNone() {
        List<CapabilityProbes.Probe> right = CapabilityProbes.run((texts, rng) -> texts.stream().map(t -> " " + solve(t) + ".").toList(), 20, 5);
        assertThat(right).extracting(CapabilityProbes.Probe::name).containsExactlyElementsOf(CapabilityProbes.names());
        assertThat(right).allSatisfy(p -> assertThat(p.passed()).as(p.name()).isEqualTo(1.0));
        List<CapabilityProbes.Probe> cutShort = CapabilityProbes.run(
                (texts, rng) -> texts.stream().map(t -> " " + solve(t).replaceAll(" [^ ]+$", "") + ".").toList(), 20, 5);
        List<String> severalWords = List.of("list in capitals", "list backwards", "list of a kind, none twice");
        assertThat(cutShort).filteredOn(p -> severalWords.contains(p.name())).hasSize(severalWords.size())
                .allSatisfy(p -> assertThat(p.passed()).as(p.name()).isZero());
    }

    /** The answer to a probe item, worked out from its text alone. */
    private static String solve(String text) {
        if (text.endsWith(" Last word:")) return text.replace(" Last word:", "").replaceAll(".* ", "");
        if (text.endsWith(" In capitals:")) return text.replace(" In capitals:", "").toUpperCase(Locale.ROOT);
        if (text.endsWith(" Backwards:")) return String.join(" ", List.of(text.replace(" Backwards:", "").split(" ")).reversed());
        if (text.endsWith(" is") && text.contains(" plus ")) {
            String[] ab = text.replace(" is", "").split(" plus ");
            return String.valueOf(Integer.parseInt(ab[0]) + Integer.parseInt(ab[1]));
        }
        if (text.contains(" The town of ")) return text.split(" lives in ")[1].split("\\.")[0];
        if (text.contains(" works as a")) return text.split(" is a ")[1].split("\\.")[0];
        String[] announced = text.replace("Here are ", "").replace(":", "").split(" ");
        return String.join(", ", Vocab.CATEGORIES.get(announced[1]).subList(0, Integer.parseInt(announced[0])));
    }

    @Test
    void anUntrainedModelPassesNoProbeAndTheSameSeedAsksTheSameItems() {
        List<String> docs = PretrainCorpus.documents(new Rng(1), 20_000);
        BpeTokenizer tok = BpeTokenizer.train(docs, 400, List.of(WorldFormat.END_OF_TEXT, "<|pad|>"));
        Gpt model = new Gpt(GptConfig.tiny().withVocab(tok.vocabSize()), new Rng(1), Device.CPU);
        List<CapabilityProbes.Probe> probes = CapabilityProbes.run(model, tok, 10, 5);
        assertThat(probes).extracting(CapabilityProbes.Probe::name).containsExactlyElementsOf(CapabilityProbes.names());
        assertThat(probes).allSatisfy(p -> assertThat(p.passed()).isZero());
        assertThat(CapabilityProbes.run(model, tok, 10, 5)).isEqualTo(probes);
    }
}
