package org.instruct4j.rlhf.world;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A clause with "not", "never" or a word ending in "n't" says the opposite of its words: "Tom does not live in
 * Oakton." does not answer that he lives there, "The sea is not blue." is false of the sea, and "I will not call Tom
 * stupid." insults nobody. A negation holds for its clause only: "The answer is 17, not 18." gives 17, "The sea is
 * blue, not hot." says blue. A clause of nothing but the world's words carries on the clause before it, so the whole
 * of "Tom does not live in Oakton, Ashford or Redmoor." is denied.
 */
final class Negation {
    private Negation() {}

    /** Words that join the items of a list without stating anything themselves. */
    private static final Set<String> JOINERS = Set.of("and", "or", "nor", "a", "an", "the");

    /** The words (as written) of the clauses that state what they say. */
    static List<String> assertedRaw(String response) { return words(response, false); }

    /** The normalized words of the clauses that state what they say (no negation in them). */
    static List<String> asserted(String response) { return normalize(words(response, false)); }

    /** The normalized words of the clauses that deny what they say. */
    static List<String> denied(String response) { return normalize(words(response, true)); }

    private static List<String> normalize(List<String> raw) { return raw.stream().map(Words::normalize).toList(); }

    private static List<String> words(String response, boolean negated) {
        List<String> out = new ArrayList<>();
        for (String sentence : Words.sentences(response)) {
            boolean denies = false;
            for (String clause : Words.clauses(sentence)) {
                List<String> words = Words.raw(clause);
                if (!continuesList(words)) denies = negates(words);
                if (denies == negated) out.addAll(words);
            }
        }
        return out;
    }

    private static boolean continuesList(List<String> words) {
        return !words.isEmpty() && words.stream().allMatch(w -> Vocab.namesTheWorld(Words.normalize(w))
                || JOINERS.contains(w.toLowerCase(Locale.ROOT)));
    }

    private static boolean negates(List<String> words) {
        for (String w : words) {
            String lower = w.toLowerCase(Locale.ROOT);
            if (lower.equals("not") || lower.equals("never") || lower.endsWith("n't")) return true;
        }
        return false;
    }
}
