package org.instruct4j.rlhf.cli;

import java.util.Collection;

/** The name a mistyped command or option most likely meant: the nearest by edits, at most two edits away. */
final class Suggestion {
    private static final int MAX_EDITS = 2;

    private Suggestion() {}

    /** The candidate nearest to given (ties: the first), or null when none is within two edits and under half its length. */
    static String closest(String given, Collection<String> candidates) {
        String best = null;
        int bestEdits = MAX_EDITS + 1;
        for (String c : candidates) {
            int edits = edits(given, c);
            if (edits < bestEdits && edits * 2 < c.length()) {
                best = c;
                bestEdits = edits;
            }
        }
        return best;
    }

    /** Levenshtein distance: insertions, deletions and substitutions, one row at a time. */
    static int edits(String a, String b) {
        int[] previous = new int[b.length() + 1], current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) previous[j] = j;
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitute = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitute, Math.min(previous[j], current[j - 1]) + 1);
            }
            int[] t = previous; previous = current; current = t;
        }
        return previous[b.length()];
    }
}
