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
}
