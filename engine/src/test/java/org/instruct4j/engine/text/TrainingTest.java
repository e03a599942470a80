package org.instruct4j.engine.text;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TrainingTest {
    private static final List<String> CORPUS = SyntheticCorpus.documents(1, 60_000);

    @Test
    void mergesMatchANaiveRecountEverythingTrainer() {
        List<String> small = SyntheticCorpus.documents(5, 15_000);
        BpeTokenizer trained = BpeTokenizer.train(small, 256 + 250 + 2, List.of());
        List<List<String>> expected = NaiveTrainer.merges(small, 250);
        List<List<String>> actual = new ArrayList<>();
        for (int r = 0; r < trained.mergeCount(); r++) actual.add(trained.merge(r));
        assertThat(actual).isEqualTo(expected);
    }

    @Test
    void trainingIsDeterministicAndIndependentOfDocumentOrder() {
        BpeTokenizer a = BpeTokenizer.train(CORPUS, 700, List.of("<|user|>"));
        BpeTokenizer b = BpeTokenizer.train(CORPUS, 700, List.of("<|user|>"));
        List<String> shuffled = new ArrayList<>(CORPUS);
        Collections.reverse(shuffled);
        BpeTokenizer c = BpeTokenizer.train(shuffled, 700, List.of("<|user|>"));
        assertThat(a).isEqualTo(b).isEqualTo(c);
        assertThat(a.vocabSize()).isEqualTo(700);
    }

    @Test
    void encodeThenDecodeGivesTheTextBack() {
        BpeTokenizer t = BpeTokenizer.train(CORPUS, 800, List.of());
        for (String doc : CORPUS.subList(0, 50)) assertThat(t.decode(t.encode(doc))).isEqualTo(doc);
        String unseen = "Unseen text: naïve 日本語 emoji 😀, tabs\t\tand  spaces   \n";
        assertThat(t.decode(t.encode(unseen))).isEqualTo(unseen);
        // learning worked: the training text takes far fewer tokens than bytes
        String doc = String.join("", CORPUS.subList(0, 50));
        assertThat(t.encode(doc).length).isLessThan(doc.getBytes(StandardCharsets.UTF_8).length / 2);
    }

    @Test
    void numbersAreReadDigitByDigit() {
        // Sums written out often: without the rule, "12", " 17" and the like are among the first merges.
        List<String> sums = new ArrayList<>();
        for (int a = 0; a <= 20; a++)
            for (int b = 0; b <= 20; b++) sums.add("What is %d plus %d? %d plus %d is %d.".formatted(a, b, a, b, a + b));
        BpeTokenizer t = BpeTokenizer.train(sums, 400, List.of());
        for (int id = 0; id < t.vocabSize(); id++)
            assertThat(NaiveTrainer.digits(t.decode(new int[] {id}))).as("token %d", id).isLessThan(2);
        int[] ids = t.encode(" 17.");
        assertThat(t.decode(new int[] {ids[0]})).isEqualTo(" 1");
        assertThat(t.decode(new int[] {ids[1]})).isEqualTo("7");
        assertThat(t.decode(t.encode(sums.get(300)))).isEqualTo(sums.get(300));
        assertThat(t.encode(sums.get(300)).length).isLessThan(sums.get(300).length() / 2); // words still merge
    }

    @Test
    void specialTokensTakeTheLastDistinctIds() {
        BpeTokenizer t = BpeTokenizer.train(CORPUS, 600, List.of("<|user|>", "<|assistant|>"));
        int user = t.specialId("<|user|>").orElseThrow(), assistant = t.specialId("<|assistant|>").orElseThrow();
        assertThat(List.of(user, assistant, t.endOfText(), t.pad())).containsExactly(596, 597, 598, 599);
        assertThat(t.pad()).isNotEqualTo(t.endOfText());
        String text = "<|user|>hi there<|endoftext|><|pad|>";
        int[] ids = t.encodeWithSpecials(text);
        assertThat(ids[0]).isEqualTo(user);
        assertThat(ids[ids.length - 2]).isEqualTo(t.endOfText());
        assertThat(ids[ids.length - 1]).isEqualTo(t.pad());
        assertThat(t.decode(ids)).isEqualTo(text);
        assertThat(t.encode(text)).doesNotContain(user, t.endOfText(), t.pad());
        assertThat(t.decode(t.encode(text))).isEqualTo(text);
    }

    @Test
    void savedFilesLoadIntoTheSameTokenizer(@TempDir Path dir) {
        BpeTokenizer t = BpeTokenizer.train(CORPUS, 600, List.of("<|user|>"));
        Path vocab = dir.resolve("vocab.json"), merges = dir.resolve("merges.txt");
        t.save(vocab, merges);
        BpeTokenizer loaded = BpeTokenizer.load(vocab, merges);
        assertThat(loaded).isEqualTo(t);
        assertThat(loaded.specialTokens()).isEqualTo(t.specialTokens());
        String text = CORPUS.get(3) + "<|user|>";
        assertThat(loaded.encodeWithSpecials(text)).isEqualTo(t.encodeWithSpecials(text));
        t.save(vocab, merges); // overwriting works too
        assertThat(BpeTokenizer.load(vocab, merges)).isEqualTo(t);
        assertThat(dir.toFile().list()).containsExactlyInAnyOrder("vocab.json", "merges.txt"); // no temp files left
    }

    @Test
    void badArgumentsAreRejected() {
        assertThatThrownBy(() -> BpeTokenizer.train(CORPUS, 200, List.of())).hasMessageContaining("vocabSize 200");
        assertThatThrownBy(() -> BpeTokenizer.train(CORPUS, 400, List.of("<|a|>", "<|a|>"))).hasMessageContaining("twice");
        assertThatThrownBy(() -> BpeTokenizer.train(List.of("the the the"), 300, List.of("the")))
                .hasMessageContaining("also an ordinary token");
        assertThatThrownBy(() -> BpeTokenizer.train(CORPUS, 400, List.of("USER:"))).hasMessageContaining("is not written <|name|>");
    }

    @Test
    void trainsOnTwoMegabytes() {
        // The demo's corpus size: the incremental pair counts must reach the full vocab on it (no timing here;
        // an accidentally quadratic trainer shows up as a test run that takes minutes, not as a flaky assert).
        List<String> big = SyntheticCorpus.documents(2, 2_000_000);
        BpeTokenizer t = BpeTokenizer.train(big, 2000, List.of());
        assertThat(t.vocabSize()).isEqualTo(2000);
        assertThat(t.decode(t.encode(big.get(0)))).isEqualTo(big.get(0));
    }

    /** The textbook trainer: recount every pair of every word after each merge. Slow, obviously right. */
    static final class NaiveTrainer {
        private static final Pattern GPT2 = Pattern.compile(
                "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
                Pattern.UNICODE_CHARACTER_CLASS);

        static List<List<String>> merges(List<String> corpus, int newTokens) {
            Map<String, Integer> ids = new HashMap<>();
            for (int pass = 0; pass < 2; pass++) { // GPT-2's id order: printable bytes first
                for (int b = 0; b < 256; b++) {
                    String t = R50kFiles.alphabet(new byte[] {(byte) b});
                    boolean printable = t.charAt(0) < 256;
                    if (printable == (pass == 0)) ids.put(t, ids.size());
                }
            }
            Map<List<String>, Integer> words = new HashMap<>();
            for (String doc : corpus) {
                Matcher m = GPT2.matcher(doc);
                while (m.find()) {
                    List<String> symbols = new ArrayList<>();
                    for (byte b : m.group().getBytes(StandardCharsets.UTF_8)) symbols.add(R50kFiles.alphabet(new byte[] {b}));
                    words.merge(symbols, 1, Integer::sum);
                }
            }
            List<List<String>> merges = new ArrayList<>();
            int made = 0;
            while (made < newTokens) {
                Map<List<String>, Integer> counts = new HashMap<>();
                words.forEach((w, n) -> {
                    for (int i = 0; i + 1 < w.size(); i++) counts.merge(List.of(w.get(i), w.get(i + 1)), n, Integer::sum);
                });
                List<String> best = null;
                int bestCount = 0;
                for (var e : counts.entrySet()) {
                    List<String> p = e.getKey();
                    int c = e.getValue();
                    if (digits(p.get(0) + p.get(1)) > 1) continue;
                    if (best == null || c > bestCount || (c == bestCount && (ids.get(p.get(0)) < ids.get(best.get(0))
                            || (ids.get(p.get(0)).equals(ids.get(best.get(0))) && ids.get(p.get(1)) < ids.get(best.get(1)))))) {
                        best = p;
                        bestCount = c;
                    }
                }
                if (best == null) break;
                merges.add(best);
                String joined = best.get(0) + best.get(1);
                if (!ids.containsKey(joined)) {
                    ids.put(joined, ids.size());
                    made++;
                }
                Map<List<String>, Integer> next = new HashMap<>();
                for (var e : words.entrySet()) {
                    List<String> w = e.getKey(), out = new ArrayList<>();
                    for (int i = 0; i < w.size(); ) {
                        if (i + 1 < w.size() && w.get(i).equals(best.get(0)) && w.get(i + 1).equals(best.get(1))) {
                            out.add(joined);
                            i += 2;
                        } else {
                            out.add(w.get(i++));
                        }
                    }
                    next.merge(out, e.getValue(), Integer::sum);
                }
                words = next;
            }
            return merges;
        }

        static long digits(String token) {
            return token.chars().filter(ch -> ch >= '0' && ch <= '9').count();
        }
    }
}
