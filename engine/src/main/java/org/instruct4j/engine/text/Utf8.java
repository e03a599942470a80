package org.instruct4j.engine.text;

/**
 * UTF-8 decoding that never fails: each ill-formed stretch becomes one U+FFFD, using the Unicode "maximal
 * subpart" rule, which is what Python's {@code bytes.decode("utf-8", errors="replace")} does. A token boundary
 * can fall inside a multi-byte character, so decoding part of a sequence must give the same text Python would.
 */
final class Utf8 {
    private Utf8() {}

    static final char REPLACEMENT = '\uFFFD';

    static String decode(byte[] bytes, int length) {
        StringBuilder out = new StringBuilder(length);
        int i = 0;
        while (i < length) {
            int b0 = bytes[i] & 0xFF;
            if (b0 < 0x80) {
                out.append((char) b0);
                i++;
                continue;
            }
            // The lead byte fixes how many continuation bytes follow and the allowed range of the first one
            // (the narrower ranges rule out overlong forms, surrogates and code points above U+10FFFF).
            int need, lo = 0x80, hi = 0xBF;
            if (b0 >= 0xC2 && b0 <= 0xDF) need = 1;
            else if (b0 >= 0xE0 && b0 <= 0xEF) {
                need = 2;
                if (b0 == 0xE0) lo = 0xA0;
                if (b0 == 0xED) hi = 0x9F;
            } else if (b0 >= 0xF0 && b0 <= 0xF4) {
                need = 3;
                if (b0 == 0xF0) lo = 0x90;
                if (b0 == 0xF4) hi = 0x8F;
            } else {
                out.append(REPLACEMENT); // a continuation byte or an impossible lead byte on its own
                i++;
                continue;
            }
            int cp = b0 & (0x3F >> need);
            int j = i + 1;
            boolean complete = true;
            for (int k = 0; k < need; k++, j++) {
                int b = j < length ? bytes[j] & 0xFF : -1;
                boolean ok = k == 0 ? (b >= lo && b <= hi) : (b >= 0x80 && b <= 0xBF);
                if (!ok) {
                    complete = false;
                    break;
                }
                cp = (cp << 6) | (b & 0x3F);
            }
            if (complete) out.appendCodePoint(cp);
            else out.append(REPLACEMENT); // the bytes i..j-1 were a valid but cut-short prefix
            i = j;
        }
        return out.toString();
    }
}
