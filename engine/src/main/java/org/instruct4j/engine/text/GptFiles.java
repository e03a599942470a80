package org.instruct4j.engine.text;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.instruct4j.engine.io.AtomicFiles;

/**
 * Reading and writing GPT-2's two tokenizer files. vocab.json is one JSON object from token string (in the
 * byte-to-unicode alphabet) to id; merges.txt is a "#version" line and then one "left right" pair per line, in
 * rank order. Every error names the file and, where there is one, the line.
 */
final class GptFiles {
    private GptFiles() {}

    /** A merge as written in merges.txt, with the line it came from (for error messages). */
    record MergeLine(String left, String right, int line) {}

    /** Reads vocab.json into id-ordered token strings; ids must be exactly 0..n-1. */
    static List<String> readVocab(Path file) {
        Map<Integer, String> byId = new HashMap<>();
        Map<String, Integer> idOfToken = new HashMap<>();
        try (JsonParser p = new JsonFactory().createParser(file.toFile())) {
            if (p.nextToken() != JsonToken.START_OBJECT) throw bad(file, p, "expected a JSON object of token -> id");
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String token = p.currentName();
                if (p.nextToken() != JsonToken.VALUE_NUMBER_INT) {
                    throw bad(file, p, "the id of token " + quote(token) + " is not an integer");
                }
                long id = p.getLongValue();
                if (id < 0 || id >= Integer.MAX_VALUE) throw bad(file, p, "id " + id + " out of range");
                if (idOfToken.put(token, (int) id) != null) throw bad(file, p, "token " + quote(token) + " appears twice");
                String other = byId.put((int) id, token);
                if (other != null) throw bad(file, p, "id " + id + " is given to both " + quote(other) + " and " + quote(token));
            }
            if (p.currentToken() != JsonToken.END_OBJECT) throw bad(file, p, "expected a token string or '}'");
            if (p.nextToken() != null) throw bad(file, p, "unexpected content after the object");
        } catch (JsonProcessingException e) {
            int line = e.getLocation() == null ? -1 : e.getLocation().getLineNr();
            throw new TokenizerFileException(file + ":" + line + ": not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read vocabulary " + file, e);
        }
        List<String> tokens = new ArrayList<>(byId.size());
        for (int id = 0; id < byId.size(); id++) {
            String token = byId.get(id);
            if (token == null) {
                throw new TokenizerFileException(file + ": ids must run from 0 to " + (byId.size() - 1)
                        + " without gaps, but id " + id + " is missing");
            }
            tokens.add(token);
        }
        return tokens;
    }

    private static TokenizerFileException bad(Path file, JsonParser p, String what) {
        return new TokenizerFileException(file + ":" + p.currentLocation().getLineNr() + ": " + what);
    }

    /** Reads merges.txt: an optional "#version" first line, then "left right" lines; blank lines are skipped. */
    static List<MergeLine> readMerges(Path file) {
        List<MergeLine> merges = new ArrayList<>();
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String text;
            int line = 0;
            while ((text = reader.readLine()) != null) {
                line++;
                if (line == 1 && text.startsWith("\uFEFF")) text = text.substring(1);
                if ((line == 1 && text.startsWith("#version")) || text.isEmpty()) continue;
                int space = text.indexOf(' ');
                if (space <= 0 || space == text.length() - 1 || text.indexOf(' ', space + 1) >= 0) {
                    throw new TokenizerFileException(file + ":" + line
                            + ": expected two tokens separated by one space, got " + quote(text));
                }
                merges.add(new MergeLine(text.substring(0, space), text.substring(space + 1), line));
            }
        } catch (java.nio.charset.MalformedInputException e) {
            throw new TokenizerFileException(file + ": not valid UTF-8", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read merges " + file, e);
        }
        return merges;
    }

    /** Writes vocab.json, one entry per line, non-ASCII characters escaped as Python's json.dump does. */
    static void writeVocab(Path file, List<String> tokens) {
        writeAtomically(file, w -> {
            w.write("{");
            for (int id = 0; id < tokens.size(); id++) {
                w.write(id == 0 ? "\n" : ",\n");
                w.write(jsonString(tokens.get(id)));
                w.write(": ");
                w.write(Integer.toString(id));
            }
            w.write("\n}\n");
        });
    }

    static void writeMerges(Path file, List<String[]> merges) {
        writeAtomically(file, w -> {
            w.write("#version: 0.2\n");
            for (String[] m : merges) {
                w.write(m[0]);
                w.write(' ');
                w.write(m[1]);
                w.write('\n');
            }
        });
    }

    private interface Body {
        void write(Writer w) throws IOException;
    }

    /** Writes through {@link AtomicFiles}, so a crash never leaves half a file behind. */
    private static void writeAtomically(Path file, Body body) {
        try {
            AtomicFiles.write(file, out -> {
                Writer w = new OutputStreamWriter(out, StandardCharsets.UTF_8);
                body.write(w);
                w.flush();
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    static String jsonString(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20 || c > 0x7E) sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
                }
            }
        }
        return sb.append('"').toString();
    }

    static String quote(String s) { return jsonString(s); }
}
