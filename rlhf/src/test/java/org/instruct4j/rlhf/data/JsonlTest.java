package org.instruct4j.rlhf.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JsonlTest {
    @TempDir Path dir;

    private Path file(String... lines) throws IOException {
        Path f = dir.resolve("data.jsonl");
        Files.write(f, List.of(lines));
        return f;
    }

    @Test
    void demonstrationsRoundTrip() {
        List<Demonstration> demos = List.of(new Demonstration("Instruction: a\nResponse:", " b \"quoted\""),
                new Demonstration("p2", " ünïcode"));
        Path f = dir.resolve("sub/demos.jsonl");
        Jsonl.write(f, demos);
        assertThat(Jsonl.read(f, Demonstration.class, ReadOptions.strict())).isEqualTo(demos);
        assertThat(dir.resolve("sub").toFile().list()).containsExactly("demos.jsonl"); // no temporary file left
    }

    @Test
    void promptsPairwiseAndRankingsRoundTrip() {
        List<PromptRecord> prompts = List.of(new PromptRecord("x"), new PromptRecord("y"));
        Jsonl.write(dir.resolve("p.jsonl"), prompts);
        assertThat(Jsonl.read(dir.resolve("p.jsonl"), PromptRecord.class, ReadOptions.strict())).isEqualTo(prompts);

        List<Pairwise> pairs = List.of(new Pairwise("p", "good", "bad"));
        Jsonl.write(dir.resolve("pw.jsonl"), pairs);
        assertThat(Jsonl.read(dir.resolve("pw.jsonl"), Pairwise.class, ReadOptions.strict())).isEqualTo(pairs);

        List<Ranking> rankings = List.of(new Ranking("p", List.of("a", "b", "c"), List.of(2, 0, 1)),
                Ranking.withTies("q", List.of("a", "b", "c", "d"), List.of(List.of(2), List.of(0, 3), List.of(1))));
        Jsonl.write(dir.resolve("r.jsonl"), rankings);
        assertThat(Jsonl.read(dir.resolve("r.jsonl"), Ranking.class, ReadOptions.strict())).isEqualTo(rankings);
    }

    @Test
    void tiesAreReadFromInnerArraysAndDroppedFromPairs() throws IOException {
        Path f = file("{\"prompt\":\"p\",\"completions\":[\"a\",\"b\",\"c\",\"d\"],\"ranking\":[2,[0,3],1]}");
        Ranking r = Jsonl.read(f, Ranking.class, ReadOptions.strict()).getFirst();
        assertThat(r.tiers()).containsExactly(List.of(2), List.of(0, 3), List.of(1));
        assertThat(r.ranking()).containsExactly(2, 0, 3, 1);
        assertThat(r.hasTies()).isTrue();
        assertThat(r.pairs()).extracting(p -> p.winner() + ">" + p.loser())
                .containsExactly("2>0", "2>3", "2>1", "0>1", "3>1"); // 0 vs 3 is a tie: no pair
    }

    @Test
    void strictRankingGivesAllPairs() {
        Ranking r = new Ranking("p", List.of("a", "b", "c", "d"), List.of(3, 1, 0, 2));
        assertThat(r.pairs()).hasSize(6);
        assertThat(r.pairs()).allSatisfy(p -> assertThat(r.ranking().indexOf(p.winner())).isLessThan(r.ranking().indexOf(p.loser())));
    }

    @Test
    void aRankedEmptyAnswerIsReadBack() throws IOException {
        // The demo ranks SFT samples, and a sample that ended at once is an empty answer; its rankings.jsonl must load.
        Path f = file("{\"prompt\":\"p\",\"completions\":[\" a\",\" \"],\"ranking\":[0,1]}");
        Ranking r = Jsonl.readRankings(f, ReadOptions.strict()).getFirst();
        assertThat(r.completions()).containsExactly(" a", " ");
        assertThat(r.pairs()).containsExactly(new Comparison(0, 1));
    }

    @Test
    void anEmptyAnswerIsAsGoodACandidateInAPairAsInARanking() throws IOException {
        // The same comparison in the other form (a ranking cut to its best and worst answers) must load too.
        Path f = file("{\"prompt\":\"p\",\"chosen\":\" a\",\"rejected\":\" \"}",
                "{\"prompt\":\"q\",\"chosen\":\"\",\"rejected\":\" rude\"}");
        assertThat(Jsonl.readRankings(f, ReadOptions.strict())).containsExactly(
                new Ranking("p", List.of(" a", " "), List.of(0, 1)), new Ranking("q", List.of("", " rude"), List.of(0, 1)));
    }

    @Test
    void readRankingsAcceptsBothFormsInOneFile() throws IOException {
        Path f = file("{\"prompt\":\"p\",\"chosen\":\"good\",\"rejected\":\"bad\"}",
                "",
                "{\"prompt\":\"q\",\"completions\":[\"x\",\"y\",\"z\"],\"ranking\":[1,2,0]}");
        List<Ranking> r = Jsonl.readRankings(f, ReadOptions.strict());
        assertThat(r).containsExactly(new Ranking("p", List.of("good", "bad"), List.of(0, 1)),
                new Ranking("q", List.of("x", "y", "z"), List.of(1, 2, 0)));
        assertThat(new Pairwise("p", "good", "bad").asRanking().pairs()).extracting(p -> p.winner() + ">" + p.loser()).containsExactly("0>1");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "invalid json        | Demonstration | {\"prompt\": \"p\", | invalid JSON",
        "not an object       | Demonstration | [1, 2] | line is not a JSON object",
        "missing prompt      | Demonstration | {\"completion\":\"c\"} | missing field \"prompt\" (the line has \"completion\")",
        "a misspelt field    | PromptRecord  | {\"promt\":\"p\",\"expect\":\"x\"} | missing field \"prompt\" (the line has \"promt\", \"expect\")",
        "an empty object     | Demonstration | {} | missing field \"prompt\" (the line is an empty object)",
        "empty prompt        | PromptRecord  | {\"prompt\":\"  \"} | field \"prompt\" is empty",
        "empty completion    | Demonstration | {\"prompt\":\"p\",\"completion\":\"\"} | field \"completion\" is empty",
        "wrong type          | Demonstration | {\"prompt\":3,\"completion\":\"c\"} | field \"prompt\" must be a string, got a number",
        "missing rejected    | Pairwise      | {\"prompt\":\"p\",\"chosen\":\"c\"} | missing field \"rejected\" (the line has \"prompt\", \"chosen\")",
        "a demonstration     | Ranking       | {\"prompt\":\"p\",\"completion\":\"c\"} | missing field \"completions\" (the line is a demonstration, {prompt, completion})",
        "a ranking           | Demonstration | {\"prompt\":\"p\",\"completions\":[\"a\",\"b\"],\"ranking\":[1,0]} | missing field \"completion\" (the line is a ranking, {prompt, completions, ranking})",
        "a comparison        | Demonstration | {\"prompt\":\"p\",\"chosen\":\"a\",\"rejected\":\"b\"} | missing field \"completion\" (the line is a comparison, {prompt, chosen, rejected})",
        "ranking not array   | Ranking       | {\"prompt\":\"p\",\"completions\":[\"a\",\"b\"],\"ranking\":\"01\"} | field \"ranking\" must be an array",
        "ranking repeats     | Ranking       | {\"prompt\":\"p\",\"completions\":[\"a\",\"b\"],\"ranking\":[0,0]} | ranking lists completion 0 twice",
        "ranking too short   | Ranking       | {\"prompt\":\"p\",\"completions\":[\"a\",\"b\",\"c\"],\"ranking\":[0,1]} | not a permutation",
        "ranking out of range| Ranking       | {\"prompt\":\"p\",\"completions\":[\"a\",\"b\"],\"ranking\":[0,2]} | ranking index 2 is outside 0..1",
        "ranking not integer | Ranking       | {\"prompt\":\"p\",\"completions\":[\"a\",\"b\"],\"ranking\":[0,1.5]} | must hold integer completion indices",
        "one completion      | Ranking       | {\"prompt\":\"p\",\"completions\":[\"a\"],\"ranking\":[0]} | at least 2 completions",
    })
    void badLineNamesFileLineAndReason(String name, String type, String badLine, String reason) throws IOException {
        Class<?> cls = switch (type) {
            case "Demonstration" -> Demonstration.class;
            case "PromptRecord" -> PromptRecord.class;
            case "Pairwise" -> Pairwise.class;
            default -> Ranking.class;
        };
        String good = switch (type) {
            case "Demonstration" -> "{\"prompt\":\"p\",\"completion\":\"c\"}";
            case "PromptRecord" -> "{\"prompt\":\"p\"}";
            case "Pairwise" -> "{\"prompt\":\"p\",\"chosen\":\"c\",\"rejected\":\"r\"}";
            default -> "{\"prompt\":\"p\",\"completions\":[\"a\",\"b\"],\"ranking\":[1,0]}";
        };
        Path f = file(good, "", badLine, good); // the bad line is line 3 (blank lines still count)
        assertThatThrownBy(() -> Jsonl.read(f, cls, ReadOptions.strict()))
                .isInstanceOf(DataException.class)
                .hasMessageStartingWith(f + ":3: ")
                .hasMessageContaining(reason);

        ReadResult<?> lenient = Jsonl.readAll(f, cls, ReadOptions.skipping());
        assertThat(lenient.records()).hasSize(2);
        assertThat(lenient.skipped()).isEqualTo(1);
        assertThat(lenient.problems()).singleElement().asString().startsWith(f + ":3: ").contains(reason);
    }

    @Test
    void promptLongerThanLimitIsBad() throws IOException {
        Path f = file("{\"prompt\":\"one two three\"}", "{\"prompt\":\"one two three four five\"}");
        ReadOptions limited = ReadOptions.strict().withMaxPromptTokens(s -> s.split(" ").length, 4);
        assertThatThrownBy(() -> Jsonl.read(f, PromptRecord.class, limited))
                .isInstanceOf(DataException.class)
                .hasMessage(f + ":2: prompt has 5 tokens, more than the limit of 4");
        ReadResult<PromptRecord> r = Jsonl.readAll(f, PromptRecord.class, ReadOptions.skipping().withMaxPromptTokens(s -> s.split(" ").length, 4));
        assertThat(r.records()).containsExactly(new PromptRecord("one two three"));
        assertThat(r.skipped()).isEqualTo(1);
    }

    @Test
    void skipBadCountsEveryBadLineWithItsReason() throws IOException {
        Path f = file("{\"prompt\":\"p\",\"completion\":\"c\"}", "{oops", "{\"prompt\":\"p\"}", "   ",
                "{\"prompt\":\"p\",\"completion\":\"c2\"}", "{\"prompt\":\"\",\"completion\":\"c\"}");
        ReadResult<Demonstration> r = Jsonl.readAll(f, Demonstration.class, ReadOptions.skipping());
        assertThat(r.records()).extracting(Demonstration::completion).containsExactly("c", "c2");
        assertThat(r.skipped()).isEqualTo(3);
        assertThat(r.problems()).hasSize(3);
        assertThat(r.problems().get(0)).startsWith(f + ":2: invalid JSON");
        assertThat(r.problems().get(1)).isEqualTo(f + ":3: missing field \"completion\" (the line has \"prompt\")");
        assertThat(r.problems().get(2)).isEqualTo(f + ":6: field \"prompt\" is empty");
    }

    @Test
    void contentAfterTheObjectMakesTheLineInvalid() throws IOException {
        // Jackson stops after the first value; what followed it on the line used to be dropped unread
        Path f = file("{\"prompt\":\"a\"}", "{\"prompt\":\"x\"} trailing", "{\"prompt\":\"b\"} {\"prompt\":\"c\"}",
                "{\"prompt\":\"d\"}}", "{\"prompt\":\"e\"} \t");
        assertThatThrownBy(() -> Jsonl.read(f, PromptRecord.class, ReadOptions.strict()))
                .isInstanceOf(DataException.class)
                .hasMessage(f + ":2: invalid JSON at column 16: content after the end of the object");
        ReadResult<PromptRecord> r = Jsonl.readAll(f, PromptRecord.class, ReadOptions.skipping());
        assertThat(r.records()).containsExactly(new PromptRecord("a"), new PromptRecord("e")); // spaces after it are fine
        assertThat(r.problems()).containsExactly(
                f + ":2: invalid JSON at column 16: content after the end of the object",
                f + ":3: invalid JSON at column 16: content after the end of the object",
                f + ":4: invalid JSON at column 15: content after the end of the object");
        assertThat(r.skippedByKind()).containsExactly(java.util.Map.entry(ReadResult.Kind.INVALID_JSON, 3));
    }

    @Test
    void invalidJsonSaysWhatAndWhereWithoutJacksonInternals() throws IOException {
        Path f = file("{\"prompt\":\"a\"}",
                "{\"prompt\": \"p\"",                        // cut short, as by a truncated file
                "{\"prompt\": \"p",
                "{\"prompt\": \"p\", \"tags\": [\"x\",",
                "hello",
                "{\"prompt\": \"p\", \"score\": NaN}",          // Python's json.dumps writes NaN
                "{\"prompt\": \"p\"]");
        assertThatThrownBy(() -> Jsonl.read(f, PromptRecord.class, ReadOptions.strict()))
                .isInstanceOf(DataException.class)
                .hasMessage(f + ":2: invalid JSON at column 15: unexpected end of the line (an object is not closed)");
        ReadResult<PromptRecord> r = Jsonl.readAll(f, PromptRecord.class, ReadOptions.skipping());
        assertThat(r.problems()).hasSize(6)
                .allSatisfy(p -> assertThat(p).doesNotContain("Source", "REDACTED", "`", "Feature", "end-of-input"));
        assertThat(r.problems().subList(0, 3)).containsExactly(
                f + ":2: invalid JSON at column 15: unexpected end of the line (an object is not closed)",
                f + ":3: invalid JSON at column 14: unexpected end of the line (a string is not closed)",
                f + ":4: invalid JSON at column 30: unexpected end of the line (an array is not closed)");
        // the rest in Jackson's words, at Jackson's column (for a bad word, the one just after it)
        assertThat(r.problems().get(3)).startsWith(f + ":5: invalid JSON at column 6: ").contains("'hello'");
        assertThat(r.problems().get(4)).startsWith(f + ":6: invalid JSON at column 29: ").contains("'NaN'");
        assertThat(r.problems().get(5)).startsWith(f + ":7: invalid JSON at column 15: ").contains("']'");
    }

    @Test
    void byteOrderMarkAndCrlfLineEndsAreAccepted() throws IOException {
        Path f = dir.resolve("windows.jsonl");
        byte[] body = "{\"prompt\":\"p\",\"completion\":\"c\"}\r\n\r\n{\"prompt\":\"q\",\"completion\":\"d\"}\r\n"
                .getBytes(StandardCharsets.UTF_8);
        byte[] withBom = new byte[body.length + 3];
        withBom[0] = (byte) 0xEF; withBom[1] = (byte) 0xBB; withBom[2] = (byte) 0xBF;
        System.arraycopy(body, 0, withBom, 3, body.length);
        Files.write(f, withBom);
        assertThat(Jsonl.read(f, Demonstration.class, ReadOptions.strict()))
                .containsExactly(new Demonstration("p", "c"), new Demonstration("q", "d"));
        assertThat(Jsonl.readText(f)).isEqualTo("{\"prompt\":\"p\",\"completion\":\"c\"}\n\n{\"prompt\":\"q\",\"completion\":\"d\"}\n");
    }

    @Test
    void invalidUtf8NamesTheLineAndTheByteOffset() throws IOException {
        Path f = dir.resolve("latin1.jsonl");
        byte[] good = "{\"prompt\":\"p\"}\n".getBytes(StandardCharsets.UTF_8);          // 15 bytes
        byte[] bad = "{\"prompt\":\"caf\u00e9\"}\n".getBytes(StandardCharsets.ISO_8859_1); // the e-acute is byte 15 of the line
        byte[] all = new byte[good.length + bad.length];
        System.arraycopy(good, 0, all, 0, good.length);
        System.arraycopy(bad, 0, all, good.length, bad.length);
        Files.write(f, all);
        assertThatThrownBy(() -> Jsonl.read(f, PromptRecord.class, ReadOptions.strict()))
                .isInstanceOf(DataException.class)
                .hasMessage(f + ":2: invalid UTF-8 at byte 15 of the line (byte offset " + (good.length + 14) + " in the file)");
        assertThatThrownBy(() -> Jsonl.readText(f)).isInstanceOf(DataException.class).hasMessageStartingWith(f + ":2: invalid UTF-8");
    }

    @Test
    void aLineOverTheLimitIsBadWithoutStoppingTheRest() throws IOException {
        Path f = dir.resolve("huge.jsonl");
        String huge = "{\"prompt\":\"" + "x".repeat((int) ReadOptions.MAX_LINE_BYTES) + "\"}";
        Files.write(f, List.of("{\"prompt\":\"a\"}", huge, "{\"prompt\":\"b\"}"));
        assertThatThrownBy(() -> Jsonl.read(f, PromptRecord.class, ReadOptions.strict()))
                .isInstanceOf(DataException.class)
                .hasMessage(f + ":2: line is " + String.format(java.util.Locale.ROOT, "%,d", huge.length())
                        + " bytes long, over the limit of 1,048,576 bytes");
        ReadResult<PromptRecord> r = Jsonl.readAll(f, PromptRecord.class, ReadOptions.skipping());
        assertThat(r.records()).containsExactly(new PromptRecord("a"), new PromptRecord("b"));
        // a line of exactly the limit is fine (its CR does not count), one byte more is not
        Path g = dir.resolve("edge.jsonl");
        Files.writeString(g, "{\"prompt\":\"abc\"}\r\n{\"prompt\":\"abcd\"}\n");
        ReadResult<PromptRecord> edge = Jsonl.readAll(g, PromptRecord.class, ReadOptions.skipping().withMaxLineBytes(16));
        assertThat(edge.records()).containsExactly(new PromptRecord("abc"));
        assertThat(edge.problems()).containsExactly(g + ":2: line is 17 bytes long, over the limit of 16 bytes");
    }

    @Test
    void skipBadCountsEveryKindOfProblem() throws IOException {
        Path f = dir.resolve("mixed.jsonl");
        String[] lines = {
            "{\"prompt\":\"fine\"}",
            "{\"prompt\":\"" + "y".repeat(100) + "\"}",              // over the 64-byte line limit
            "{not json",
            "{\"prompt\":3}",
            "{\"prompt\":\"a b c d e f\"}",                          // over the 4-token prompt limit
            "[]",
        };
        StringBuilder text = new StringBuilder();
        for (String l : lines) text.append(l).append('\n');
        byte[] utf8 = text.toString().getBytes(StandardCharsets.UTF_8);
        byte[] all = java.util.Arrays.copyOf(utf8, utf8.length + 4);
        all[utf8.length] = '{'; all[utf8.length + 1] = (byte) 0xC3; all[utf8.length + 2] = '}'; all[utf8.length + 3] = '\n';
        Files.write(f, all);
        ReadOptions opts = ReadOptions.skipping().withMaxLineBytes(64).withMaxPromptTokens(s -> s.split(" ").length, 4);
        ReadResult<PromptRecord> r = Jsonl.readAll(f, PromptRecord.class, opts);
        assertThat(r.records()).containsExactly(new PromptRecord("fine"));
        assertThat(r.skipped()).isEqualTo(6);
        assertThat(r.skippedByKind()).containsExactly(
                java.util.Map.entry(ReadResult.Kind.INVALID_UTF8, 1), java.util.Map.entry(ReadResult.Kind.LINE_TOO_LONG, 1),
                java.util.Map.entry(ReadResult.Kind.INVALID_JSON, 2), java.util.Map.entry(ReadResult.Kind.BAD_RECORD, 1),
                java.util.Map.entry(ReadResult.Kind.PROMPT_TOO_LONG, 1));
        assertThat(r.summary()).isEqualTo("6 lines skipped (1 invalid UTF-8, 1 line too long, 2 invalid JSON, 1 missing or malformed field, 1 prompt too long)");
        assertThat(r.problems()).extracting(p -> p.substring(f.toString().length(), p.indexOf(": ")))
                .containsExactly(":2", ":3", ":4", ":5", ":6", ":7");
    }

    @Test
    void missingFileIsADataException() {
        Path f = dir.resolve("nope.jsonl");
        assertThatThrownBy(() -> Jsonl.read(f, PromptRecord.class, ReadOptions.strict()))
                .isInstanceOf(DataException.class).hasMessageStartingWith(f + ": cannot read");
    }

    @Test
    void rankingConstructorRejectsNonPermutation() {
        assertThatThrownBy(() -> new Ranking("p", List.of("a", "b", "c"), List.of(0, 1, 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("twice");
    }
}
