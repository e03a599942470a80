package org.instruct4j.rlhf.data;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * JSON Lines files: one record per line, blank lines ignored.
 *
 * <p>Lines are UTF-8, ended by LF or CRLF; a byte-order mark at the start of the file is skipped. A line that is
 * not valid UTF-8 fails with the byte offset of its first bad byte, and a line over {@link ReadOptions#maxLineBytes}
 * (1 MiB by default) fails without being read into memory.
 *
 * <p>A line holds one JSON object and nothing after it but spaces. Invalid JSON is reported with its column and
 * Jackson's reason, less the parts that are about Jackson rather than the line.
 *
 * <p>The four data records (Demonstration, Ranking, Pairwise, PromptRecord) are checked field by field, so a bad
 * line fails with "file:line: reason" (invalid JSON, a missing or empty field, a field of the wrong type, a ranking
 * that is not a permutation of the completion indices, a prompt over the length limit). Other record types go
 * through Jackson's data binding. Unknown fields are ignored, so files with extra metadata still read.
 */
public final class Jsonl {
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    /**
     * What Jackson's messages say about Jackson rather than the line, cut from them: where the enclosing object
     * began (" (start marker at [Source: REDACTED (...); line: 1, column: 6])"), and advice to the programmer to
     * enable a parser feature or raise a limit (": enable `JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS` to allow",
     * " (not recognized as one since Feature 'ALLOW_COMMENTS' not enabled for parser)",
     * ", from `StreamReadConstraints.getMaxNestingDepth()`").
     */
    private static final Pattern JACKSON_INTERNALS = Pattern.compile(
            " \\([^()]*\\[Source: .*| \\((?:not recognized as one since|consider enabling) .*|: enable `.*|, from `[^`]*`");

    private Jsonl() {}

    /** The mapper every JSONL file of the project is read and written with. */
    public static ObjectMapper mapper() { return MAPPER; }

    /** The records of a file; throws DataException on the first bad line unless options.skipBad(). */
    public static <T> List<T> read(Path file, Class<T> type, ReadOptions options) {
        return readAll(file, type, options).records();
    }

    /** The records of a file and, with options.skipBad(), how many lines were skipped and why. */
    public static <T> ReadResult<T> readAll(Path file, Class<T> type, ReadOptions options) {
        return readLines(file, options, node -> parse(node, type));
    }

    /** Rankings from a file whose lines are {prompt, completions, ranking} or {prompt, chosen, rejected}, mixed freely. */
    public static List<Ranking> readRankings(Path file, ReadOptions options) {
        return readAllRankings(file, options).records();
    }

    /** {@link #readRankings} with the skipped-line report. */
    public static ReadResult<Ranking> readAllRankings(Path file, ReadOptions options) {
        return readLines(file, options, node -> node.has("chosen") || node.has("rejected")
                ? parsePairwise(node).asRanking()
                : parseRanking(node));
    }

    /** Writes one record per line, atomically: a temporary file beside the target, then a rename. */
    public static <T> void write(Path file, List<T> records) {
        try {
            org.instruct4j.engine.io.AtomicFiles.write(file, out -> {
                for (T record : records) {
                    out.write(MAPPER.writeValueAsBytes(toJson(record)));
                    out.write('\n');
                }
            });
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e.getMessage(), e);   // AtomicFiles' message names the file
        }
    }

    /** The JSON form of one record (Ranking writes ties as inner arrays). */
    public static JsonNode toJson(Object record) {
        if (record instanceof JsonNode node) return node;
        if (record instanceof Ranking r) {
            ObjectNode node = MAPPER.createObjectNode();
            node.put("prompt", r.prompt());
            ArrayNode completions = node.putArray("completions");
            r.completions().forEach(completions::add);
            ArrayNode ranking = node.putArray("ranking");
            for (List<Integer> tier : r.tiers()) {
                if (tier.size() == 1) ranking.add(tier.getFirst());
                else tier.forEach(ranking.addArray()::add);
            }
            return node;
        }
        return MAPPER.valueToTree(record);
    }

    // ---- reading ------------------------------------------------------------------------------------------

    /** A line that cannot be used; the reason only, the caller adds file:line. */
    private static final class BadLine extends RuntimeException {
        final ReadResult.Kind kind;

        BadLine(String reason) { this(ReadResult.Kind.BAD_RECORD, reason); }

        BadLine(ReadResult.Kind kind, String reason) {
            super(reason, null, false, false);
            this.kind = kind;
        }
    }

    /** Turns one JSON object into a record; an IllegalArgumentException is reported as "file:line: message". */
    public interface LineParser<T> { T parse(JsonNode node); }

    /** Records of a type this class does not know (the world's tasks, say), with the same file:line errors. */
    public static <T> List<T> readWith(Path file, ReadOptions options, LineParser<T> parser) {
        return readAllWith(file, options, parser).records();
    }

    /** {@link #readWith}, with the lines that were skipped (ReadOptions.skipBad) counted by kind. */
    public static <T> ReadResult<T> readAllWith(Path file, ReadOptions options, LineParser<T> parser) {
        return readLines(file, options, parser);
    }

    /** A text file as one string with '\n' line ends: a byte-order mark and CRLF accepted, invalid UTF-8 named by file:line. */
    public static String readText(Path file) { return Utf8Lines.readAll(file); }

    private static <T> ReadResult<T> readLines(Path file, ReadOptions options, LineParser<T> parser) {
        List<T> records = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        Map<ReadResult.Kind, Integer> kinds = new EnumMap<>(ReadResult.Kind.class);
        try (Utf8Lines lines = new Utf8Lines(file, options.maxLineBytes())) {
            for (Utf8Lines.Line line = lines.next(); line != null; line = lines.next()) {
                try {
                    if (line.isBad()) throw new BadLine(line.problemKind(), line.problem());
                    if (line.text().isBlank()) continue;
                    T record = parser.parse(parseObject(line.text()));
                    if (record instanceof HasPrompt p) {
                        String tooLong = options.checkPrompt(p.prompt());
                        if (tooLong != null) throw new BadLine(ReadResult.Kind.PROMPT_TOO_LONG, tooLong);
                    }
                    records.add(record);
                } catch (BadLine | IllegalArgumentException e) {
                    String problem = file + ":" + line.number() + ": " + e.getMessage();
                    if (!options.skipBad()) throw new DataException(problem);
                    problems.add(problem);
                    kinds.merge(e instanceof BadLine b ? b.kind : ReadResult.Kind.BAD_RECORD, 1, Integer::sum);
                }
            }
        } catch (IOException e) {
            throw new DataException(file + ": cannot read: " + e.getMessage(), e);
        }
        return new ReadResult<>(records, problems, kinds);
    }

    /**
     * The JSON object on a line. Anything after it but spaces makes the line invalid, as a missing brace does: a line
     * is one record, and two objects on it are two records run together (a lost newline), not one to keep.
     */
    private static JsonNode parseObject(String line) throws IOException {
        JsonParser p = MAPPER.createParser(line);
        try (p) {
            JsonNode node = MAPPER.readTree(p);
            if (node == null || !node.isObject()) throw new BadLine(ReadResult.Kind.INVALID_JSON, "line is not a JSON object");
            String rest = line.substring((int) p.currentLocation().getCharOffset());   // from just after the closing brace
            if (!rest.isBlank())
                throw invalidJson(line.length() - rest.stripLeading().length() + 1, "content after the end of the object");
            return node;
        } catch (JsonProcessingException e) {
            JsonLocation where = e.getLocation();   // null for a limit such as the nesting depth
            throw invalidJson(where == null ? -1 : where.getColumnNr(), reason(e, p));
        }
    }

    /** Jackson's reason in the terms of a data file. */
    private static String reason(JsonProcessingException e, JsonParser p) {
        String message = e.getOriginalMessage();
        if (message.startsWith("Unexpected end-of-input")) {
            // The usual bad line, one cut short (a file truncated mid-write): say what it leaves open.
            String open = message.contains("string value") || message.contains("field name") ? "a string"
                    : p.getParsingContext().inArray() ? "an array" : "an object";
            return "unexpected end of the line (" + open + " is not closed)";
        }
        return JACKSON_INTERNALS.matcher(message).replaceAll("");
    }

    private static BadLine invalidJson(int column, String reason) {
        return new BadLine(ReadResult.Kind.INVALID_JSON, "invalid JSON" + (column > 0 ? " at column " + column : "") + ": " + reason);
    }

    @SuppressWarnings("unchecked")
    private static <T> T parse(JsonNode node, Class<T> type) {
        if (type == Demonstration.class)
            return (T) new Demonstration(text(node, "prompt"), text(node, "completion"));
        if (type == PromptRecord.class) return (T) new PromptRecord(text(node, "prompt"));
        if (type == Pairwise.class) return (T) parsePairwise(node);
        if (type == Ranking.class) return (T) parseRanking(node);
        try {
            return MAPPER.treeToValue(node, type);
        } catch (JsonProcessingException e) {
            throw new BadLine("not a " + type.getSimpleName() + ": " + e.getOriginalMessage());
        }
    }

    /** As in a ranking, an empty answer is a candidate like any other: "said nothing" is a usual rejected answer. */
    private static Pairwise parsePairwise(JsonNode node) {
        return new Pairwise(text(node, "prompt"), string(node, "chosen"), string(node, "rejected"));
    }

    private static Ranking parseRanking(JsonNode node) {
        String prompt = text(node, "prompt");
        JsonNode completionsNode = array(node, "completions");
        List<String> completions = new ArrayList<>();
        for (int i = 0; i < completionsNode.size(); i++) {
            JsonNode c = completionsNode.get(i);
            if (!c.isTextual()) throw new BadLine("completions[" + i + "] must be a string, got " + kind(c));
            // An empty completion is a candidate like any other (a model that stopped at once); the labeler ranked it.
            completions.add(c.asText());
        }
        JsonNode rankingNode = array(node, "ranking");
        List<List<Integer>> tiers = new ArrayList<>();
        for (int i = 0; i < rankingNode.size(); i++) {
            JsonNode entry = rankingNode.get(i);
            if (entry.isArray()) {
                List<Integer> tier = new ArrayList<>();
                for (JsonNode e : entry) tier.add(index(e, "ranking[" + i + "]"));
                tiers.add(tier);
            } else {
                tiers.add(List.of(index(entry, "ranking[" + i + "]")));
            }
        }
        String problem = Ranking.problem(completions.size(), tiers);
        if (problem != null) throw new BadLine(problem);
        return Ranking.withTies(prompt, completions, tiers);
    }

    private static int index(JsonNode n, String where) {
        if (!n.isIntegralNumber() || !n.canConvertToInt())
            throw new BadLine(where + " must hold integer completion indices, got " + kind(n) + " " + n);
        return n.intValue();
    }

    /** A string field that must say something (a prompt, a demonstration). */
    private static String text(JsonNode node, String field) {
        String s = string(node, field);
        if (s.isBlank()) throw new BadLine("field \"" + field + "\" is empty");
        return s;
    }

    private static String string(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) throw missing(node, field);
        if (!v.isTextual()) throw new BadLine("field \"" + field + "\" must be a string, got " + kind(v));
        return v.asText();
    }

    private static JsonNode array(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) throw missing(node, field);
        if (!v.isArray()) throw new BadLine("field \"" + field + "\" must be an array, got " + kind(v));
        return v;
    }

    /**
     * A missing field, and when the line has every field of another record, which one: the usual cause is a file of
     * the other kind (demonstrations given to `rm --data`, rankings to `sft --data`); otherwise the fields the line
     * has, where a misspelt name shows.
     */
    private static BadLine missing(JsonNode node, String field) {
        String what = node.has("prompt") && node.has("completion") ? "the line is a demonstration, {prompt, completion}"
                : node.has("prompt") && node.has("completions") && node.has("ranking") ? "the line is a ranking, {prompt, completions, ranking}"
                : node.has("prompt") && node.has("chosen") && node.has("rejected") ? "the line is a comparison, {prompt, chosen, rejected}"
                : node.isEmpty() ? "the line is an empty object"
                : "the line has " + String.join(", ", node.properties().stream().map(e -> "\"" + e.getKey() + "\"").toList());
        return new BadLine("missing field \"" + field + "\" (" + what + ")");
    }

    private static String kind(JsonNode n) {
        return switch (n.getNodeType()) {
            case STRING -> "a string";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case ARRAY -> "an array";
            case OBJECT -> "an object";
            case NULL, MISSING -> "null";
            default -> n.getNodeType().toString().toLowerCase();
        };
    }
}
