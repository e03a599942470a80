package org.instruct4j.engine.text;

import org.instruct4j.engine.Rng;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Decoding must never fail: ill-formed UTF-8 gives U+FFFD per maximal subpart, as Python's errors="replace". */
class DecodeTest {
    static BpeTokenizer tokenizer;

    @BeforeAll
    static void train() {
        tokenizer = BpeTokenizer.train(List.of("héllo wörld, ça va? 日本語 😀 hello world"), 300, List.of());
    }

    private static int byteToken(int b) {
        String byteToken = String.valueOf(ByteAlphabet.charOf(b));
        for (int id = 0; id < 256; id++) if (tokenizer.token(id).equals(byteToken)) return id;
        throw new AssertionError("no token for byte " + b);
    }

    private static String decodeBytes(int... bytes) {
        int[] ids = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) ids[i] = byteToken(bytes[i]);
        return tokenizer.decode(ids);
    }

    @Test
    void loneContinuationByteIsOneReplacementCharacter() {
        assertThat(decodeBytes(0x80)).isEqualTo("\uFFFD");
        assertThat(decodeBytes('a', 0xBF, 'b')).isEqualTo("a\uFFFDb");
    }

    @Test
    void illFormedSequencesFollowTheMaximalSubpartRule() {
        assertThat(decodeBytes(0xE2, 0x82)).isEqualTo("\uFFFD");                 // cut short: one U+FFFD
        assertThat(decodeBytes(0xE2, 0x82, 'x')).isEqualTo("\uFFFDx");
        assertThat(decodeBytes(0xC0, 0x80)).isEqualTo("\uFFFD\uFFFD");           // overlong: C0 never leads
        assertThat(decodeBytes(0xED, 0xA0, 0x80)).isEqualTo("\uFFFD\uFFFD\uFFFD"); // a UTF-16 surrogate
        assertThat(decodeBytes(0xF4, 0x90, 0x80, 0x80)).isEqualTo("\uFFFD".repeat(4)); // above U+10FFFF
        assertThat(decodeBytes(0xF0, 0x9F, 0x98)).isEqualTo("\uFFFD");           // emoji missing its last byte
        assertThat(decodeBytes(0xFF)).isEqualTo("\uFFFD");
    }

    @Test
    void validUtf8DecodesLikeTheJdk() {
        Rng rng = new Rng(3);
        for (int t = 0; t < 2000; t++) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < 8; i++) {
                int cp;
                do cp = rng.nextInt(0x110000); while (cp >= 0xD800 && cp <= 0xDFFF);
                sb.appendCodePoint(cp);
            }
            byte[] bytes = sb.toString().getBytes(StandardCharsets.UTF_8);
            assertThat(Utf8.decode(bytes, bytes.length)).isEqualTo(sb.toString());
        }
    }

    @Test
    void aRangeDecodesItsOwnTokensAndSplitCharactersBecomeReplacement() {
        int[] ids = tokenizer.encode("a😀b");
        assertThat(tokenizer.decode(ids, 0, ids.length)).isEqualTo("a😀b");
        int[] bytes = {byteToken('a'), byteToken(0xF0), byteToken(0x9F), byteToken(0x98), byteToken(0x80)};
        assertThat(tokenizer.decode(bytes, 0, 3)).isEqualTo("a\uFFFD");
        assertThat(tokenizer.decode(bytes, 3, 5)).isEqualTo("\uFFFD\uFFFD");
        assertThat(tokenizer.decode(bytes, 0, 5)).isEqualTo("a😀");
    }

    @Test
    void unknownIdsAndBadRangesAreRejected() {
        assertThatThrownBy(() -> tokenizer.decode(new int[] {1, tokenizer.vocabSize()}))
                .hasMessageContaining("token id " + tokenizer.vocabSize()).hasMessageContaining("position 1");
        assertThatThrownBy(() -> tokenizer.decode(new int[] {-1})).hasMessageContaining("token id -1");
        assertThatThrownBy(() -> tokenizer.decode(new int[] {1, 2}, 1, 3)).isInstanceOf(IndexOutOfBoundsException.class);
    }
}
