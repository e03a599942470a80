package org.instruct4j.rlhf.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The lines of a UTF-8 text file, read as bytes so that every problem can be placed exactly: a byte-order mark
 * at the start of the file is dropped, a line may end with LF or CRLF, a line that is not valid UTF-8 is reported
 * with the byte offset of its first bad byte, and a line longer than maxLineBytes is reported with its length
 * without ever being held in memory whole.
 */
final class Utf8Lines implements AutoCloseable {
    private static final int CHUNK = 1 << 16;

    /** One line (numbered from 1): its text, or (text null) what kind of problem it has and the problem itself. */
    record Line(int number, String text, ReadResult.Kind problemKind, String problem) {
        boolean isBad() { return problem != null; }
    }

    private final InputStream in;
    private final long maxLineBytes;
    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
    private final byte[] chunk = new byte[CHUNK];
    private int chunkPos, chunkLen;
    private byte[] line = new byte[256];
    private long offset;
    private int number;
    private boolean ended;

    Utf8Lines(Path file, long maxLineBytes) throws IOException {
        this.in = Files.newInputStream(file);
        this.maxLineBytes = maxLineBytes;
    }

    /** The next line, or null at the end of the file. */
    Line next() throws IOException {
        if (ended) return null;
        long start = offset, length = 0;   // length counts every byte of the line before its '\n'
        int kept = 0;                      // the bytes held in line[], at most maxLineBytes + 1 (for a '\r')
        boolean sawNewline = false;
        while (!sawNewline) {
            if (chunkPos == chunkLen) {
                chunkLen = in.read(chunk);
                chunkPos = 0;
                if (chunkLen <= 0) { chunkLen = 0; ended = true; break; }
            }
            int end = chunkPos;
            while (end < chunkLen && chunk[end] != '\n') end++;
            int n = end - chunkPos;
            int room = (int) Math.max(0, Math.min(n, maxLineBytes + 1 - kept));
            if (room > 0) {
                if (kept + room > line.length) line = Arrays.copyOf(line, (int) Math.min(Math.max(2L * line.length, kept + room), maxLineBytes + 1));
                System.arraycopy(chunk, chunkPos, line, kept, room);
                kept += room;
            }
            length += n;
            offset += n;
            chunkPos = end;
            if (end < chunkLen) { sawNewline = true; chunkPos++; offset++; }
        }
        if (ended && length == 0 && !sawNewline) return null;   // nothing after the last '\n'
        number++;
        int from = 0;
        if (number == 1 && kept >= 3 && (line[0] & 0xFF) == 0xEF && (line[1] & 0xFF) == 0xBB && (line[2] & 0xFF) == 0xBF) {
            from = 3;
            length -= 3;
        }
        boolean crlf = length <= maxLineBytes + 1 && kept > from && line[kept - 1] == '\r';
        if (crlf) { kept--; length--; }
        if (length > maxLineBytes)
            return bad(ReadResult.Kind.LINE_TOO_LONG, String.format(java.util.Locale.ROOT,
                    "line is %,d bytes long, over the limit of %,d bytes", length, maxLineBytes));
        ByteBuffer bytes = ByteBuffer.wrap(line, from, kept - from);
        CharBuffer chars = CharBuffer.allocate(kept - from);
        decoder.reset();
        CoderResult result = decoder.decode(bytes, chars, true);
        if (!result.isError()) result = decoder.flush(chars);
        if (result.isError()) {
            int inLine = bytes.position() - from;
            return bad(ReadResult.Kind.INVALID_UTF8, "invalid UTF-8 at byte " + (inLine + 1) + " of the line (byte offset "
                    + (start + bytes.position()) + " in the file)");
        }
        return new Line(number, chars.flip().toString(), null, null);
    }

    private Line bad(ReadResult.Kind kind, String problem) {
        return new Line(number, null, kind, problem);
    }

    /** The whole file as text with '\n' line ends (no byte-order mark, no '\r' before a '\n'); no line-length limit. */
    static String readAll(Path file) {
        StringBuilder text = new StringBuilder();
        try (Utf8Lines lines = new Utf8Lines(file, Integer.MAX_VALUE - 16)) {
            for (Line l = lines.next(); l != null; l = lines.next()) {
                if (l.isBad()) throw new DataException(file + ":" + l.number() + ": " + l.problem());
                text.append(l.text()).append('\n');
            }
        } catch (IOException e) {
            throw new DataException(file + ": cannot read: " + e.getMessage(), e);
        }
        return text.toString();
    }

    @Override public void close() throws IOException { in.close(); }
}
