package org.instruct4j.engine.text;

import org.instruct4j.engine.Rng;

import java.util.ArrayList;
import java.util.List;

/** Deterministic English-like documents: Zipf-distributed made-up words, punctuation, numbers, some unicode. */
final class SyntheticCorpus {
    private SyntheticCorpus() {}

    static List<String> documents(long seed, int totalChars) {
        Rng rng = new Rng(seed);
        String[] syllables = {"th", "e", "an", "in", "er", "on", "re", "at", "ou", "st", "ing", "ed", "al", "qu", "ch",
                "ph", "ly", "tion", "é", "ü", "ж", "и", "語", "x", "z", "o", "a", "i", "u", "s", "t", "n", "r"};
        String[] lexicon = new String[4000];
        for (int w = 0; w < lexicon.length; w++) {
            StringBuilder sb = new StringBuilder();
            int n = 1 + rng.nextInt(4);
            for (int s = 0; s < n; s++) sb.append(syllables[rng.nextInt(syllables.length)]);
            lexicon[w] = sb.toString();
        }
        double[] cumulative = new double[lexicon.length]; // Zipf weights 1/(rank+1)
        double total = 0;
        for (int w = 0; w < lexicon.length; w++) cumulative[w] = total += 1.0 / (w + 1);
        List<String> docs = new ArrayList<>();
        int chars = 0;
        while (chars < totalChars) {
            StringBuilder doc = new StringBuilder();
            int sentences = 1 + rng.nextInt(8);
            for (int s = 0; s < sentences; s++) {
                int words = 3 + rng.nextInt(15);
                for (int i = 0; i < words; i++) {
                    double u = rng.nextDouble() * total;
                    int lo = 0, hi = lexicon.length - 1;
                    while (lo < hi) {
                        int mid = (lo + hi) >>> 1;
                        if (cumulative[mid] < u) lo = mid + 1; else hi = mid;
                    }
                    String word = lexicon[lo];
                    if (i == 0) word = Character.toUpperCase(word.charAt(0)) + word.substring(1);
                    if (i > 0) doc.append(' ');
                    doc.append(word);
                    int r = rng.nextInt(40);
                    if (r == 0) doc.append(',');
                    else if (r == 1) doc.append("'s");
                    else if (r == 2) doc.append(' ').append(rng.nextInt(2000));
                }
                doc.append(rng.nextInt(5) == 0 ? "!" : ".").append(rng.nextInt(4) == 0 ? "\n\n" : " ");
            }
            chars += doc.length();
            docs.add(doc.toString());
        }
        return docs;
    }
}
