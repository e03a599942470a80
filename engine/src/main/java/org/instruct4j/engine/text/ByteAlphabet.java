package org.instruct4j.engine.text;

/**
 * GPT-2's byte-to-unicode alphabet: every byte value gets one printable character, so a token (a byte string)
 * can be written as an ordinary string in vocab.json and merges.txt. Printable Latin-1 bytes stand for
 * themselves; the other 68 bytes (control codes, space, 0x7F-0xA0, 0xAD) get the characters U+0100 onward,
 * in byte order. A space therefore shows up as 'Ġ' (U+0120) and a newline as 'Ċ' (U+010A).
 *
 * <p>The order of {@link #BYTE_ORDER} (printable bytes first) is also the order of GPT-2's first 256 ids.
 */
final class ByteAlphabet {
    /** BYTE_ORDER[id] is the byte that base token {@code id} stands for (GPT-2's order). */
    static final int[] BYTE_ORDER = new int[256];
    private static final char[] CHAR_OF_BYTE = new char[256];
    /** The alphabet's characters all lie below U+0144, so a flat table maps them back. */
    private static final int[] BYTE_OF_CHAR = new int[0x144];

    static {
        java.util.Arrays.fill(BYTE_OF_CHAR, -1);
        int id = 0;
        for (int b = 0; b < 256; b++) {
            if (printsAsItself(b)) {
                BYTE_ORDER[id++] = b;
                CHAR_OF_BYTE[b] = (char) b;
            }
        }
        int extra = 0;
        for (int b = 0; b < 256; b++) {
            if (!printsAsItself(b)) {
                BYTE_ORDER[id++] = b;
                CHAR_OF_BYTE[b] = (char) (256 + extra++);
            }
        }
        for (int b = 0; b < 256; b++) BYTE_OF_CHAR[CHAR_OF_BYTE[b]] = b;
    }

    private ByteAlphabet() {}

    private static boolean printsAsItself(int b) {
        return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    }

    static char charOf(int unsignedByte) { return CHAR_OF_BYTE[unsignedByte]; }

    /** The byte a character of the alphabet stands for, or -1 when it is not in the alphabet. */
    static int byteOf(char c) { return c < BYTE_OF_CHAR.length ? BYTE_OF_CHAR[c] : -1; }

    static String encode(byte[] bytes) {
        char[] chars = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) chars[i] = CHAR_OF_BYTE[bytes[i] & 0xFF];
        return new String(chars);
    }

    /** The bytes an alphabet string stands for, or null when some character is not in the alphabet. */
    static byte[] decode(String s) {
        byte[] bytes = new byte[s.length()];
        for (int i = 0; i < s.length(); i++) {
            int b = byteOf(s.charAt(i));
            if (b < 0) return null;
            bytes[i] = (byte) b;
        }
        return bytes;
    }
}
