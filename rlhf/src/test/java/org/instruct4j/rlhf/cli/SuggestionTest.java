package org.instruct4j.rlhf.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** A mistyped name gets the one it most likely meant; a word far from every name gets none. */
class SuggestionTest {
    private static final List<String> COMMANDS = List.of("pretrain", "sft", "rm", "ppo", "generate", "eval", "demo", "doctor");

    @Test void editsCountInsertionsDeletionsAndSubstitutions() {
        assertThat(Suggestion.edits("kitten", "sitting")).isEqualTo(3);
        assertThat(Suggestion.edits("", "abc")).isEqualTo(3);
        assertThat(Suggestion.edits("demo", "demo")).isZero();
    }

    @Test void aTypoGetsTheNearestName() {
        assertThat(Suggestion.closest("demoo", COMMANDS)).isEqualTo("demo");
        assertThat(Suggestion.closest("genrate", COMMANDS)).isEqualTo("generate");
        assertThat(Suggestion.closest("pretrian", COMMANDS)).isEqualTo("pretrain");
    }

    @Test void aWordFarFromEveryNameGetsNone() {
        assertThat(Suggestion.closest("train", COMMANDS)).isNull();
        assertThat(Suggestion.closest("xy", COMMANDS)).isNull();   // two edits from "rm", but that is all of it
    }
}
