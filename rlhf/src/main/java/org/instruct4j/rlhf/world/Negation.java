package org.instruct4j.rlhf.world;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A sentence with "not", "never" or a word ending in "n't" says the opposite of its words: "Tom does not live in
 * Oakton." does not answer that he lives there, and "The sea is not blue." is false of the sea.
 */
final class Negation {
    private Negation() {}

    /** The normalized words of the sentences that state what they say (no negation in them). */
    static List<String> asserted(String response) { return words(response, false); }

    /** The normalized words of the sentences that deny what they say. */
    static List<String> denied(String response) { return words(response, true); }

    private static List<String> words(String response, boolean negated) {
        List<String> out = new ArrayList<>();
        for (String sentence : Words.sentences(response))
            if (negates(sentence) == negated) out.addAll(Words.normalized(sentence));
        return out;
    }

    private static boolean negates(String sentence) {
        for (String w : Words.raw(sentence)) {
            String lower = w.toLowerCase(Locale.ROOT);
            if (lower.equals("not") || lower.equals("never") || lower.endsWith("n't")) return true;
        }
        return false;
    }
}
