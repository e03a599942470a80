package org.instruct4j.engine.text;

import java.util.ArrayList;
import java.util.List;

/**
 * GPT-2's pre-tokenization, the split of text into words before BPE runs inside each word. GPT-2 writes it as
 * the regex
 * <pre>'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+</pre>
 * (with Unicode {@code \s}, letters and numbers). This is a hand-written scanner that gives exactly the same
 * pieces, several times faster than java.util.regex: at each position it tries the alternatives in the regex's
 * order. The one subtle rule is {@code \s+(?!\S)}: a whitespace run followed by a non-space leaves its last
 * character to the next piece, so " hello" keeps its leading space and "a   b" splits as "a", "  ", " b".
 */
final class PreTokenizer {
    private PreTokenizer() {}

    /** Receives each piece as a [start, end) range of char indices. */
    interface PieceSink {
        void piece(int start, int end);
    }

    /** The pieces of {@code text} as strings, for tests and training. */
    static List<String> split(String text) {
        List<String> pieces = new ArrayList<>();
        split(text, 0, text.length(), (s, e) -> pieces.add(text.substring(s, e)));
        return pieces;
    }

    /** Splits text[from, to) as if it were the whole string (lookahead stops at {@code to}). */
    static void split(CharSequence text, int from, int to, PieceSink sink) {
        int i = from;
        while (i < to) {
            int end = pieceEnd(text, i, to);
            sink.piece(i, end);
            i = end;
        }
    }

    private enum Kind { LETTER, NUMBER, SPACE, OTHER }

    static boolean isWhiteSpace(int cp) {
        // Unicode's White_Space property, which is what \s means under UNICODE_CHARACTER_CLASS.
        return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680
                || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F
                || cp == 0x205F || cp == 0x3000;
    }

    private static Kind kindOf(int cp) {
        if (cp < 0x80) { // ASCII fast path
            if ((cp | 0x20) >= 'a' && (cp | 0x20) <= 'z') return Kind.LETTER;
            if (cp >= '0' && cp <= '9') return Kind.NUMBER;
            if (cp == ' ' || (cp >= 0x09 && cp <= 0x0D)) return Kind.SPACE;
            return Kind.OTHER;
        }
        if (isWhiteSpace(cp)) return Kind.SPACE;
        return switch (Character.getType(cp)) {
            case Character.UPPERCASE_LETTER, Character.LOWERCASE_LETTER, Character.TITLECASE_LETTER,
                 Character.MODIFIER_LETTER, Character.OTHER_LETTER -> Kind.LETTER;
            case Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER, Character.OTHER_NUMBER -> Kind.NUMBER;
            default -> Kind.OTHER;
        };
    }

    private static int codePointAt(CharSequence text, int i, int to) {
        char c = text.charAt(i);
        if (Character.isHighSurrogate(c) && i + 1 < to && Character.isLowSurrogate(text.charAt(i + 1))) {
            return Character.toCodePoint(c, text.charAt(i + 1));
        }
        return c;
    }

    /** End of the run of code points of one kind starting at {@code i}. */
    private static int runEnd(CharSequence text, int i, int to, Kind kind) {
        while (i < to) {
            int cp = codePointAt(text, i, to);
            if (kindOf(cp) != kind) break;
            i += Character.charCount(cp);
        }
        return i;
    }

    private static int pieceEnd(CharSequence text, int i, int to) {
        char c = text.charAt(i);
        // 's 't 're 've 'm 'll 'd (lower case only, as in GPT-2)
        if (c == '\'' && i + 1 < to) {
            char n = text.charAt(i + 1);
            if (n == 's' || n == 't' || n == 'm' || n == 'd') return i + 2;
            if (i + 2 < to) {
                char n2 = text.charAt(i + 2);
                if ((n == 'r' && n2 == 'e') || (n == 'v' && n2 == 'e') || (n == 'l' && n2 == 'l')) return i + 3;
            }
        }
        int cp = codePointAt(text, i, to);
        Kind kind = kindOf(cp);
        // " ?\p{L}+", " ?\p{N}+", " ?[^\s\p{L}\p{N}]+": an optional single space, then a run of one kind
        int start = i;
        if (c == ' ' && i + 1 < to) {
            int next = codePointAt(text, i + 1, to);
            Kind nextKind = kindOf(next);
            if (nextKind != Kind.SPACE) {
                start = i + 1;
                kind = nextKind;
            }
        }
        if (kind != Kind.SPACE) return runEnd(text, start, to, kind);
        // "\s+(?!\S)" then "\s+": a whitespace run; when a non-space follows, its last character is left over
        // (every White_Space character is a single char, so "one character back" is end - 1)
        int end = runEnd(text, i, to, Kind.SPACE);
        if (end == to || end - 1 == i) return end;
        return end - 1;
    }
}
