package org.instruct4j.rlhf.demo;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ReportMarkdownTest {
    @Test
    void anAnswerStaysOnOneLineWithItsControlCharactersEscaped() {
        assertThat(ReportMarkdown.printable("PINK PIG.")).isEqualTo("PINK PIG.");
        assertThat(ReportMarkdown.printable("one\ntwo")).isEqualTo("one \\n two");
        assertThat(ReportMarkdown.printable("a\u0000b\u0016c\u007fd\te")).isEqualTo("a\\x00b\\x16c\\x7fd\\x09e");
        assertThat(ReportMarkdown.printable("caf\u00e9 \u2713")).isEqualTo("caf\u00e9 \u2713");
    }

    @Test
    void anEmptyAnswerSaysItIsEmpty() {
        // It read "- PPO:  *(wrong)*", as if the answer had been lost.
        assertThat(ReportMarkdown.shown("")).isEqualTo("*(empty)*");
        assertThat(ReportMarkdown.shown(" \n ")).isEqualTo("*(empty)*");
        assertThat(ReportMarkdown.shown(" It is 10.\n")).isEqualTo("It is 10.");
    }

    @Test
    void theWeightsLineSaysPlainlyWhatTheSameSha256Means() {
        assertThat(ReportMarkdown.weights("gpt ff349e9e, sft 8c4cfad0"))
                .startsWith("The weights' sha256 (the first 8 hex digits; in full in report.json): gpt ff349e9e, sft 8c4cfad0. ")
                .contains("A run whose report lists the same sha256 made the same models bit for bit")
                .doesNotContain("gives the same made");
    }

    @Test
    void theAnswerKeysNoteMakesNoClaimItsFiguresContradict() {
        // The quick run's answer key wins 97.0%: "it stays well below 100%" was wrong there, and "the SFT model's
        // answer is often right too" with 0.8% of SFT's answers right.
        String quick = ReportMarkdown.answerKey(0.970, 0.008, 0.708);
        assertThat(quick).contains("It wins 97.0% here (training labelers), not 100%", "agree on 70.8% of comparisons", "(0.8% of SFT's answers are right)")
                .doesNotContain("well below", "often right");
        assertThat(ReportMarkdown.answerKey(0.699, 0.635, 0.732)).contains("It wins 69.9% here", "(63.5% of SFT's answers are right)");
    }
}
