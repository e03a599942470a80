package org.instruct4j.engine.text;

import org.instruct4j.engine.Rng;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** The hand-written scanner must split exactly like GPT-2's regex (run here with java.util.regex). */
class PreTokenizerTest {
    private static final Pattern GPT2 = Pattern.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
            Pattern.UNICODE_CHARACTER_CLASS);

    private static List<String> byRegex(String text) {
        List<String> pieces = new ArrayList<>();
        Matcher m = GPT2.matcher(text);
        while (m.find()) pieces.add(m.group());
        return pieces;
    }

    @Test
    void whiteSpaceIsUnicodeWhiteSpaceLikeTheRegex() {
        // every White_Space character lies in the BMP, so checking it covers all of them
        Matcher space = Pattern.compile("\\s", Pattern.UNICODE_CHARACTER_CLASS).matcher("");
        for (int cp = 0; cp < 0x10000; cp++) {
            boolean expected = space.reset(Character.toString(cp)).matches();
            assertThat(PreTokenizer.isWhiteSpace(cp)).as("U+%04X", cp).isEqualTo(expected);
        }
    }

    @Test
    void splitsLikeTheRegexOnHandPickedText() {
        List<String> texts = List.of("a   b", "a \n b", "x  \n\ny", "end   ", "   ", " ", "\t\tx", "a\u00a0\u00a0b",
                "I'm here, they'll've gone'", "'S 'LL", "  'tis", "hi!!  there?", " 123abc 4.5", "日本語 テキスト",
                "😀 😀😀 x😀", "a\u0301bc", "Ⅷ½٣x", "'", "''", " '", "x'", "a\r\n\r\nb", "\u3000x", "");
        for (String t : texts) assertThat(PreTokenizer.split(t)).as("pieces of %s", t).isEqualTo(byRegex(t));
    }

    @Test
    void splitsLikeTheRegexOnRandomText() {
        // Characters from every class the regex tells apart, including surrogate pairs and lone surrogates.
        String[] alphabet = {" ", " ", " ", "\t", "\n", "\r", "\u00a0", "\u2003", "\u3000", "\u0085", "'", "'", "s",
                "t", "r", "e", "v", "m", "l", "d", "S", "A", "z", "é", "ж", "中", "ǅ", "ʰ", "0", "9", "٣", "Ⅷ", "½",
                "!", ".", "-", "_", "\u0301", "\u200d", "😀", "𝔸", "𝟘", "\ud800", "\udc00", "\u0000", "$"};
        Rng rng = new Rng(7);
        for (int t = 0; t < 20000; t++) {
            StringBuilder sb = new StringBuilder();
            int n = rng.nextInt(16);
            for (int i = 0; i < n; i++) sb.append(alphabet[rng.nextInt(alphabet.length)]);
            String s = sb.toString();
            assertThat(PreTokenizer.split(s)).as("pieces of %s", s).isEqualTo(byRegex(s));
        }
    }

    @Test
    void piecesCoverTheTextWithoutGaps() {
        String s = "Hello,  world!\n\nIt's 2024 — ünïcödé 😀  ";
        assertThat(String.join("", PreTokenizer.split(s))).isEqualTo(s);
    }
}
