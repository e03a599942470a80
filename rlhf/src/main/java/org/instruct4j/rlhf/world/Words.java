package org.instruct4j.rlhf.world;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/** Splitting responses into words and numbers, the way every checker reads them. */
public final class Words {
    private Words() {}

    private static final Pattern SEPARATOR = Pattern.compile("[^A-Za-z0-9']+");
    private static final Pattern NUMBER = Pattern.compile("\\d{1,6}");
    private static final Pattern SENTENCE_END = Pattern.compile("(?<=[.!?])\\s+");

    /** The text's sentences, each with its final mark ("cat, dog. I hope this helps!" is two). */
    public static List<String> sentences(String text) {
        return text.isBlank() ? List.of() : List.of(SENTENCE_END.split(text.strip()));
    }

    /** Words and numbers as written (case kept), punctuation dropped. */
    public static List<String> raw(String text) {
        List<String> out = new ArrayList<>();
        for (String w : SEPARATOR.split(text)) if (!w.isEmpty()) out.add(w);
        return out;
    }

    /** Lower-cased words with a plural "s" removed, for comparing with the vocabulary. */
    public static List<String> normalized(String text) {
        return raw(text).stream().map(Words::normalize).toList();
    }

    /** Lower case, and "plums" -> "plum" ("is", "was", "has" are too short to lose their s). */
    public static String normalize(String word) {
        String w = word.toLowerCase(Locale.ROOT);
        if (w.endsWith("'s")) w = w.substring(0, w.length() - 2);
        return w.length() > 3 && w.endsWith("s") && !w.endsWith("ss") ? w.substring(0, w.length() - 1) : w;
    }

    /** The integers in a text, in order. */
    public static List<Integer> numbers(String text) {
        List<Integer> out = new ArrayList<>();
        for (String w : raw(text)) if (NUMBER.matcher(w).matches()) out.add(Integer.parseInt(w));
        return out;
    }

    public static int count(String text) { return raw(text).size(); }
}
