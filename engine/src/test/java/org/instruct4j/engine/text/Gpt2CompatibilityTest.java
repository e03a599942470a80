package org.instruct4j.engine.text;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import org.instruct4j.engine.Rng;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Our tokenizer, loaded from GPT-2 files derived from JTokkit's r50k_base, must give JTokkit's ids exactly. */
class Gpt2CompatibilityTest {
    @TempDir
    static Path dir;

    static BpeTokenizer gpt2;
    static Encoding reference;

    @BeforeAll
    static void loadBoth() {
        R50kFiles.Files2 files = R50kFiles.write(dir);
        gpt2 = BpeTokenizer.load(files.vocab(), files.merges());
        reference = Encodings.newDefaultEncodingRegistry().getEncoding(EncodingType.R50K_BASE);
    }

    static final List<String> SAMPLES = List.of(
            "Hello world", "Hello, world! How are you?", "  leading spaces", "trailing spaces   ", "a   b",
            "tabs\tand\t\ttabs", "new\nlines\n\n\nand\r\nCRLF", "mixed \t\n  whitespace \n\t end \n",
            " ", "  ", "\n", "\n\n", " \n ", "x\u3000y\u00a0z\u2003w",
            "it's don't we're they've I'm you'll he'd", "IT'S DON'T WE'RE", "'s 't 're 've 'm 'll 'd",
            "'sand 'tis 'really", "rock 'n' roll", "O'Neil's", "''s", " 's", "quote'",
            "123 4567 89.01 1,000,000 3.14159 -42 +7", "2024-07-19T13:45:00Z", "x1 y22 z333",
            "Hello!!! ??? ... --- *** ### @@@ (((x)))", "a+b=c; d*e/f", "{\"json\": [1, 2, 3]}",
            "def f(x):\n    return x ** 2  # square\n", "    indented\n        more\n",
            "café naïve résumé Ångström Œuvre façade", "日本語のテキスト、中文字符。", "Привет, мир! Ёжик.",
            "Ελληνικά κείμενα", "עברית וערבית العربية", "हिन्दी पाठ", "한국어 텍스트",
            "emoji 😀👍🏽 👨‍👩‍👧‍👦 🇫🇷 ❤️", "½ ⅔ Ⅻ ² ³ ٣٤٥ ൧", "supercalifragilisticexpialidocious",
            "pneumonoultramicroscopicsilicovolcanoconiosis antidisestablishmentarianism",
            "https://example.com/path?query=1&other=two#frag", "user@example.com", "<|endoftext|>",
            "a\u0301 e\u0308 combining", "zero\u200bwidth\u200djoiner", "\u0000\u0001\u007f control", "");

    @Test
    void idsMatchJTokkitOnVariedSamples() {
        for (String s : SAMPLES) {
            assertThat(gpt2.encode(s)).as("ids of %s", s).isEqualTo(reference.encodeOrdinary(s).toArray());
        }
        String all = String.join(" ", SAMPLES);
        assertThat(gpt2.encode(all)).isEqualTo(reference.encodeOrdinary(all).toArray());
    }

    @Test
    void idsMatchJTokkitOnRandomMixtures() {
        String[] fragments = {" ", "  ", "   ", "\t", "\n", "\n\n", " \n", "\r\n", "\u00a0", "'s", "'S", "'ll", "'",
                "'re", "'ve", "'m", "'d", "'t", "the", "The", " and", "token", "izer", "0", "42", "1999", "3.5", "!",
                "?!", "...", ",", "-", "_", "(", ")", "\"", "é", "ß", "Ж", "ж", "中", "文", "😀", "👍🏽", "\u200d", "ǅ",
                "x", "Q", "zz", "٣", "Ⅷ", "$", "€", "#", "@", "\\", "/", "\u0301", "\u3000", "\u2028"};
        Rng rng = new Rng(12345);
        List<String> texts = new ArrayList<>();
        for (int t = 0; t < 3000; t++) {
            StringBuilder sb = new StringBuilder();
            int pieces = 1 + rng.nextInt(25);
            for (int p = 0; p < pieces; p++) sb.append(fragments[rng.nextInt(fragments.length)]);
            texts.add(sb.toString());
        }
        for (String s : texts) {
            assertThat(gpt2.encode(s)).as("ids of %s", s).isEqualTo(reference.encodeOrdinary(s).toArray());
        }
    }

    @Test
    void idsMatchJTokkitOnLongWordsAndRuns() {
        List<String> texts = List.of("a".repeat(1000), " ".repeat(500) + "x", "=".repeat(777), "\n".repeat(300),
                "ab".repeat(400), "1234567890".repeat(50), "😀".repeat(100), "日本".repeat(200),
                "lorem ipsum dolor sit amet ".repeat(200));
        for (String s : texts) {
            assertThat(gpt2.encode(s)).as("ids of a %d-char text", s.length()).isEqualTo(reference.encodeOrdinary(s).toArray());
        }
    }

    @Test
    void decodeInvertsEncode() {
        for (String s : SAMPLES) assertThat(gpt2.decode(gpt2.encode(s))).isEqualTo(s);
    }

    @Test
    void endOfTextIsRecognisedOnlyWithSpecials() {
        String text = "first<|endoftext|>second <|endoftext|><|endoftext|> third";
        List<Integer> expected = new ArrayList<>();
        String[] parts = text.split("<\\|endoftext\\|>", -1);
        for (int i = 0; i < parts.length; i++) {
            if (i > 0) expected.add(R50kFiles.END_OF_TEXT);
            for (int id : reference.encodeOrdinary(parts[i]).toArray()) expected.add(id);
        }
        assertThat(gpt2.encodeWithSpecials(text)).isEqualTo(expected.stream().mapToInt(Integer::intValue).toArray());
        assertThat(gpt2.encode(text)).isEqualTo(reference.encodeOrdinary(text).toArray())
                .doesNotContain(R50kFiles.END_OF_TEXT);
        assertThat(gpt2.decode(gpt2.encodeWithSpecials(text))).isEqualTo(text);
    }

    @Test
    void loadAddsADistinctPadToken() {
        assertThat(gpt2.endOfText()).isEqualTo(R50kFiles.END_OF_TEXT);
        assertThat(gpt2.vocabSize()).isEqualTo(R50kFiles.END_OF_TEXT + 2);
        assertThat(gpt2.pad()).isEqualTo(R50kFiles.END_OF_TEXT + 1).isNotEqualTo(gpt2.endOfText());
        assertThat(gpt2.specialId("<|pad|>")).hasValue(gpt2.pad());
        assertThat(gpt2.specialId("<|nothing|>")).isEmpty();
        assertThat(gpt2.token(gpt2.pad())).isEqualTo("<|pad|>");
        assertThat(gpt2.decode(new int[] {gpt2.pad()})).isEqualTo("<|pad|>");
    }

    @Test
    void decodeMatchesJTokkitBytesOnEveryToken() {
        for (int id = 0; id < R50kFiles.END_OF_TEXT; id++) {
            var one = new com.knuddels.jtokkit.api.IntArrayList();
            one.add(id);
            String expected = R50kFiles.alphabet(reference.decodeBytes(one));
            assertThat(gpt2.token(id)).as("token %d", id).isEqualTo(expected);
        }
    }

    @Test
    void saveThenLoadGivesTheSameTokenizer(@TempDir Path out) {
        gpt2.save(out.resolve("vocab.json"), out.resolve("merges.txt"));
        BpeTokenizer again = BpeTokenizer.load(out.resolve("vocab.json"), out.resolve("merges.txt"));
        assertThat(again).isEqualTo(gpt2);
        assertThat(again.pad()).isEqualTo(gpt2.pad());
    }
}
