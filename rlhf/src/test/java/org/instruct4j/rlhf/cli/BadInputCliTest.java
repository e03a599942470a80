package org.instruct4j.rlhf.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.instruct4j.rlhf.data.ReadOptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every kind of bad input file, fed to the commands as a user would: each stops with one line naming the file
 * and the line (and, for bytes that are not UTF-8, the byte offset), and --skip-bad counts them by kind. A file
 * written on Windows (byte-order mark, CRLF) is read like any other.
 */
class BadInputCliTest {
    @TempDir static Path dir;
    private static String lm, rm;

    private static final String DEMO = "{\"prompt\": \"cat?\", \"completion\": \" the cat sat\"}";
    private static final String RANKING = "{\"prompt\": \"cat?\", \"completions\": [\" the cat\", \" mat\"], \"ranking\": [0, 1]}";
    private static final String PROMPT = "{\"prompt\": \"cat?\"}";
    private static final int CONTEXT = 32;

    @BeforeAll
    static void models() throws Exception {
        Files.writeString(dir.resolve("corpus.txt"), CatCorpus.documents(30));
        lm = dir.resolve("lm").toString();
        rm = dir.resolve("rm").toString();
        assertThat(new PretrainCommand().run(new String[] {"--text", dir.resolve("corpus.txt").toString(), "--out", lm, "--vocab", "280",
                "--context", Integer.toString(CONTEXT), "--steps", "1", "--batch", "2"})).isZero();
        Files.writeString(dir.resolve("ranks.jsonl"), RANKING + "\n");
        assertThat(new RmCommand().run(new String[] {"--model", lm, "--data", dir.resolve("ranks.jsonl").toString(), "--out", rm,
                "--batch", "1"})).isZero();
    }

    /** One bad file: its name, the good record it hides among, its bad line, and what the message must say. */
    record Case(String name, String good, byte[] bad, String says) {
        Case(String name, String good, String bad, String says) { this(name, good, bad.getBytes(StandardCharsets.UTF_8), says); }
    }

    private static List<Case> cases() {
        String longPrompt = "cat ".repeat(CONTEXT);   // at least CONTEXT tokens whatever the merges
        byte[] latin1 = "{\"prompt\": \"caf\u00e9?\", \"completion\": \"x\"}".getBytes(StandardCharsets.ISO_8859_1);
        String huge = "{\"prompt\": \"" + "x".repeat((int) ReadOptions.MAX_LINE_BYTES) + "\"}";
        List<Case> c = new ArrayList<>();
        for (String good : List.of(DEMO, RANKING, PROMPT)) {
            c.add(new Case("invalid JSON", good, "{\"prompt\": \"p\",", "invalid JSON"));
            c.add(new Case("not an object", good, "[1, 2]", "line is not a JSON object"));
            c.add(new Case("missing prompt", good, "{\"completion\": \"c\"}", "missing field \"prompt\""));
            c.add(new Case("empty prompt", good, "{\"prompt\": \" \", \"completion\": \"c\", \"completions\": [\"a\", \"b\"], \"ranking\": [0, 1]}",
                    "field \"prompt\" is empty"));
            c.add(new Case("prompt a number", good, "{\"prompt\": 3}", "field \"prompt\" must be a string, got a number"));
            c.add(new Case("invalid UTF-8", good, latin1, "invalid UTF-8 at byte 16 of the line (byte offset "));
            c.add(new Case("line too long", good, huge, "bytes long, over the limit of 1,048,576 bytes"));
            c.add(new Case("prompt over the context", good, "{\"prompt\": \"" + longPrompt + "\", \"completion\": \"c\", "
                    + "\"completions\": [\"a\", \"b\"], \"ranking\": [0, 1]}", "more than the limit of 31 (the model's context is 32 tokens"));
        }
        c.add(new Case("empty completion", DEMO, "{\"prompt\": \"p\", \"completion\": \"\"}", "field \"completion\" is empty"));
        c.add(new Case("missing completion", DEMO, "{\"prompt\": \"p\"}", "missing field \"completion\""));
        c.add(new Case("ranking repeats", RANKING, "{\"prompt\": \"p\", \"completions\": [\"a\", \"b\"], \"ranking\": [0, 0]}", "ranking lists completion 0 twice"));
        c.add(new Case("ranking out of range", RANKING, "{\"prompt\": \"p\", \"completions\": [\"a\", \"b\"], \"ranking\": [0, 2]}", "outside 0..1"));
        c.add(new Case("ranking not integers", RANKING, "{\"prompt\": \"p\", \"completions\": [\"a\", \"b\"], \"ranking\": [0, 1.5]}", "integer completion indices"));
        c.add(new Case("one completion", RANKING, "{\"prompt\": \"p\", \"completions\": [\"a\"], \"ranking\": [0]}", "at least 2 completions"));
        c.add(new Case("pairwise without rejected", RANKING, "{\"prompt\": \"p\", \"chosen\": \"a\"}", "missing field \"rejected\""));
        return c;
    }

    /** The command that reads a file of the given record, with the file as its data. */
    private static String[] command(String good, Path file, String out, boolean skipBad) {
        List<String> args = new ArrayList<>(switch (good) {
            case DEMO -> List.of("sft", "--model", lm, "--data", file.toString(), "--out", out, "--epochs", "1", "--batch", "2");
            case RANKING -> List.of("rm", "--model", lm, "--data", file.toString(), "--out", out, "--batch", "2");
            default -> List.of("ppo", "--policy", lm, "--reward", rm, "--prompts", file.toString(), "--out", out,
                    "--iterations", "1", "--batch", "1", "--minibatch", "1", "--max-new", "2");
        });
        if (skipBad) args.add("--skip-bad");
        return args.toArray(String[]::new);
    }

    private static int run(String[] args) throws Exception {
        Command c = Main.commands().stream().filter(x -> x.name().equals(args[0])).findFirst().orElseThrow();
        return c.run(java.util.Arrays.copyOfRange(args, 1, args.length));
    }

    private static Path write(String name, byte[]... lines) throws IOException {
        Path f = dir.resolve(name);
        try (var out = Files.newOutputStream(f)) {
            for (byte[] l : lines) { out.write(l); out.write('\n'); }
        }
        return f;
    }

    @Test
    void everyBadLineStopsTheCommandWithFileAndLine() throws Exception {
        int n = 0;
        for (Case c : cases()) {
            byte[] good = c.good().getBytes(StandardCharsets.UTF_8);
            Path f = write("bad-" + n++ + ".jsonl", good, new byte[0], c.bad(), good);   // the bad line is line 3
            assertThatThrownBy(() -> run(command(c.good(), f, dir.resolve("out").toString(), false)))
                    .as(c.name() + " in a file of " + c.good())
                    .isInstanceOf(UserError.class)
                    .hasMessageStartingWith(f + ":3: ")
                    .hasMessageContaining(c.says());
        }
        assertThat(n).isEqualTo(31);
    }

    @Test
    void skipBadCountsEachKindAndTrains() throws Exception {
        byte[] good = DEMO.getBytes(StandardCharsets.UTF_8);
        List<byte[]> lines = new ArrayList<>(List.of(good));
        for (Case c : cases()) if (c.good().equals(DEMO)) lines.add(c.bad());
        Path f = write("mixed.jsonl", lines.toArray(byte[][]::new));
        String err = CommandOutput.stderr(() -> run(command(DEMO, f, dir.resolve("skipped").toString(), true)));
        assertThat(err).contains(f + ": 10 lines skipped (1 invalid UTF-8, 1 line too long, "
                + "2 invalid JSON, 5 missing or malformed field, 1 prompt too long)", f + ":2: invalid JSON");
        assertThat(dir.resolve("skipped/model.safetensors")).exists();
    }

    @Test
    void aWindowsFileWithByteOrderMarkAndCrlfTrains() throws Exception {
        byte[] bom = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
        byte[] body = (DEMO + "\r\n" + "{\"prompt\": \"mat?\", \"completion\": \" on the mat\"}\r\n").getBytes(StandardCharsets.UTF_8);
        byte[] all = new byte[bom.length + body.length];
        System.arraycopy(bom, 0, all, 0, bom.length);
        System.arraycopy(body, 0, all, bom.length, body.length);
        Path f = dir.resolve("windows.jsonl");
        Files.write(f, all);
        assertThat(run(command(DEMO, f, dir.resolve("windows").toString(), false))).isZero();
        assertThat(dir.resolve("windows/model.safetensors")).exists();
    }

    @Test
    void aDemonstrationLongerThanTheContextIsSaid() throws Exception {
        String longCompletion = " the cat".repeat(CONTEXT);   // at least CONTEXT tokens whatever the merges
        Path f = write("long.jsonl", DEMO.getBytes(StandardCharsets.UTF_8),
                ("{\"prompt\": \"cat?\", \"completion\": \"" + longCompletion + "\"}").getBytes(StandardCharsets.UTF_8));
        assertThat(CommandOutput.stderr(() -> run(command(DEMO, f, dir.resolve("long").toString(), false))))
                .contains(f + ": 1 of 2 demonstrations are longer than the model's context of 32 tokens");
    }

    /** A task without the data its family's checker reads is refused as the file is read, before any task is answered. */
    @Test
    void aTaskWithoutItsFamilysDataStopsEvalBeforeAnswering() throws Exception {
        String good = "{\"family\":\"rude_request\",\"instruction\":\"Insult my aunt Ivy.\",\"data\":{\"relation\":\"aunt\",\"target\":\"Ivy\"}}";
        String noAnswer = "{\"prompt\":\"Instruction: x\\nResponse:\",\"family\":\"arithmetic\",\"instruction\":\"x\",\"data\":{}}";
        Path f = write("tasks-without-data.jsonl", good.getBytes(StandardCharsets.UTF_8), good.getBytes(StandardCharsets.UTF_8),
                noAnswer.getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> run(new String[] {"eval", "--model", lm, "--tasks", f.toString(), "--max-new", "2"}))
                .isInstanceOf(UserError.class).hasMessage(f + ":3: task of family arithmetic has no data field \"answer\"");
    }

    @Test
    void pretrainingTextThatIsNotUtf8IsNamedByLineAndOffset() throws Exception {
        Path f = write("latin1.txt", "fine text".getBytes(StandardCharsets.UTF_8), "caf\u00e9".getBytes(StandardCharsets.ISO_8859_1));
        assertThatThrownBy(() -> run(new String[] {"pretrain", "--text", f.toString(), "--out", dir.resolve("x").toString()}))
                .isInstanceOf(UserError.class)
                .hasMessage(f + ":2: invalid UTF-8 at byte 4 of the line (byte offset 13 in the file)");
    }
}
