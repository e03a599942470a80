package org.instruct4j.rlhf.world;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Splitting responses into words and numbers, the way every checker reads them. */
public final class Words {
    private Words() {}

    /** A word, or a number with its minus sign where one is written before it ("-3", but not "12-5"'s operator). */
    private static final Pattern WORD = Pattern.compile("(?<![A-Za-z0-9'])-\\d+|[A-Za-z0-9']+");
    private static final Pattern NUMBER = Pattern.compile("-?\\d{1,6}");
    private static final Pattern SENTENCE_END = Pattern.compile("(?<=[.!?])\\s+");
    private static final Pattern CLAUSE_BREAK = Pattern.compile("\\s*[,;:]\\s*|\\s+(?=but\\s)", Pattern.CASE_INSENSITIVE);

    /** The text's sentences, each with its final mark ("cat, dog. I hope this helps!" is two). */
    public static List<String> sentences(String text) {
        return text.isBlank() ? List.of() : List.of(SENTENCE_END.split(text.strip()));
    }

    /**
     * A sentence's clauses, split at commas, semicolons and colons and before "but" ("The answer is 17, not 18." is two,
     * and so is "It is not 18 but 17.").
     */
    static List<String> clauses(String sentence) {
        List<String> out = new ArrayList<>();
        for (String c : CLAUSE_BREAK.split(sentence)) if (!c.isBlank()) out.add(c);
        return out;
    }

    /** Words and numbers as written (case kept), punctuation dropped. */
    public static List<String> raw(String text) {
        List<String> out = new ArrayList<>();
        Matcher m = WORD.matcher(text);
        while (m.find()) out.add(m.group());
        return out;
    }

    /** Lower-cased words with a plural "s" removed, for comparing with the vocabulary. */
    public static List<String> normalized(String text) {
        return raw(text).stream().map(Words::normalize).toList();
    }

    /**
     * Lower case, and "plums" -> "plum", "foxes" -> "fox", "brushes" -> "brush" ("is", "was", "has" are too short
     * to lose their s).
     */
    public static String normalize(String word) {
        String w = word.toLowerCase(Locale.ROOT);
        if (w.endsWith("'s")) w = w.substring(0, w.length() - 2);
        if (w.endsWith("xes") || w.endsWith("shes") || w.endsWith("ches")) return w.substring(0, w.length() - 2);
        return w.length() > 3 && w.endsWith("s") && !w.endsWith("ss") ? w.substring(0, w.length() - 1) : w;
    }

    /** Whether a word of {@link #raw} is a number ("17", "-3"). */
    public static boolean isNumber(String word) { return NUMBER.matcher(word).matches(); }

    /** The integers in a text, in order, with their signs. */
    public static List<Integer> numbers(String text) {
        List<Integer> out = new ArrayList<>();
        for (String w : raw(text)) if (isNumber(w)) out.add(Integer.parseInt(w));
        return out;
    }

    public static int count(String text) { return raw(text).size(); }
}
