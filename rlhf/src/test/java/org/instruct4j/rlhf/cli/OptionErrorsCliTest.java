package org.instruct4j.rlhf.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.instruct4j.engine.backend.cuda.CudaException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Option mistakes a user makes, each stopped before any work with one line that names the option and what it got:
 * a value out of range, an option given twice, a word that belongs to no option, an --out that cannot be a folder,
 * options that do not go together.
 */
class OptionErrorsCliTest {
    @TempDir static Path dir;
    private static String lm, rm, demos, prompts, text, aFile;

    @BeforeAll
    static void models() throws Exception {
        text = write("corpus.txt", CatCorpus.documents(30));
        demos = write("demos.jsonl", "{\"prompt\": \"cat?\", \"completion\": \" the cat sat\"}\n");
        prompts = write("prompts.jsonl", "{\"prompt\": \"cat?\"}\n");
        String ranks = write("ranks.jsonl", "{\"prompt\": \"cat?\", \"completions\": [\" the cat\", \" mat\"], \"ranking\": [0, 1]}\n");
        aFile = write("a-file", "not a folder");
        lm = dir.resolve("lm").toString();
        rm = dir.resolve("rm").toString();
        assertThat(run("pretrain", "--text", text, "--out", lm, "--vocab", "280", "--context", "32", "--steps", "1", "--batch", "2")).isZero();
        assertThat(run("rm", "--model", lm, "--data", ranks, "--out", rm, "--batch", "1")).isZero();
    }

    private static String write(String name, String content) throws Exception {
        return Files.writeString(dir.resolve(name), content).toString();
    }

    private static int run(String... args) throws Exception {
        Command c = Main.commands().stream().filter(x -> x.name().equals(args[0])).findFirst().orElseThrow();
        return c.run(Arrays.copyOfRange(args, 1, args.length));
    }

    private static String[] sft(String... more) { return with(List.of("sft", "--model", lm, "--data", demos, "--out", out()), more); }

    private static String[] ppo(String... more) {
        return with(List.of("ppo", "--policy", lm, "--reward", rm, "--prompts", prompts, "--out", out()), more);
    }

    private static String[] generate(String... more) { return with(List.of("generate", "--model", lm), more); }

    private static String[] with(List<String> args, String... more) {
        String[] all = Arrays.copyOf(args.toArray(String[]::new), args.size() + more.length);
        System.arraycopy(more, 0, all, args.size(), more.length);
        return all;
    }

    private static String out() { return dir.resolve("out").toString(); }

    private static void refused(String[] args, String message) {
        assertThatThrownBy(() -> run(args)).as(String.join(" ", args)).isInstanceOf(UserError.class).hasMessage(message);
    }

    @Test
    void aValueOutOfRangeIsNamedByItsOption() {
        refused(sft("--epochs", "0"), "--epochs: expected a positive integer, got 0");
        refused(sft("--batch", "-3"), "--batch: expected a positive integer, got -3");
        refused(sft("--lr", "0"), "--lr: expected a number above 0, got 0.0");
        refused(sft("--dropout", "1.5"), "--dropout: expected a number in [0, 1), got 1.5");
        refused(with(List.of("rm", "--model", lm, "--data", demos, "--out", out()), "--epochs", "0"),
                "--epochs: expected a positive integer, got 0");
        refused(with(List.of("pretrain", "--text", text, "--out", out()), "--steps", "0"), "--steps: expected a positive integer, got 0");
        refused(with(List.of("pretrain", "--text", text, "--out", out()), "--vocab", "10"), "--vocab: expected an integer >= 259, got 10");
        refused(ppo("--beta", "-1"), "--beta: expected a number >= 0, got -1.0");
        refused(ppo("--iterations", "0"), "--iterations: expected a positive integer, got 0");
        refused(ppo("--batch", "8", "--minibatch", "16"), "--minibatch 16 is more than --batch 8 (the episodes of an iteration)");
        refused(ppo("--batch", "16", "--minibatch", "5"),
                "--batch 16 is not a multiple of --minibatch 5: an iteration's episodes are split into minibatches of one size");
        refused(ppo("--batch", "100"),
                "--batch 100 is not a multiple of --minibatch 64 (its default): an iteration's episodes are split into minibatches of one size");
        refused(generate("--instruction", "hi", "--temperature", "0"),
                "--temperature: expected a number above 0, got 0.0 (--greedy is the limit at 0)");
        refused(generate("--instruction", "hi", "--top-p", "1.5"), "--top-p: expected a number in (0, 1], got 1.5");
        refused(with(List.of("eval", "--model", lm, "--text", text), "--context", "500"), "--context 500: the model reads at most 32 tokens");
        refused(new String[] {"demo", "--quick", "--out", out(), "--ppo-reward", "oracle"}, "--ppo-reward takes rm or labelers, got 'oracle'");
    }

    /** Each command's help speaks of what its --save-every counts. */
    @Test
    void saveEveryIsHelpedInTheCommandsOwnUnit() throws Exception {
        for (String command : List.of("pretrain", "sft", "rm", "ppo")) {
            String help = CommandOutput.stdout(() -> run(command, "--help")).replaceAll("\\s+", " ");
            assertThat(help).as(command).contains("into --out every N " + (command.equals("ppo") ? "iterations;" : "steps"))
                    .doesNotContain("ppo: iterations");
        }
    }

    @Test
    void anOptionTwiceOrAStrayWordIsRefused() throws Exception {
        refused(generate("--max-new", "2", "--max-new", "9", "--instruction", "hi"),
                "--max-new is given more than once (see instruct4j generate --help)");
        refused(generate("--instruction", "hi", "there"), "unexpected argument 'there': every value belongs to an option, "
                + "and a text with spaces needs quotes (see instruct4j generate --help)");
        refused(new String[] {"demo", "--quick", "--out", "a", "--out", "b"}, "--out is given more than once (see instruct4j demo --help)");
        refused(generate("--instruction", "hi", "--bogus"), "unknown option --bogus (see instruct4j generate --help)");
        refused(new String[] {"demo", "--quik"}, "unknown option --quik; did you mean --quick? (see instruct4j demo --help)");
        refused(sft("--epocs=3"), "unknown option --epocs; did you mean --epochs? (see instruct4j sft --help)");
        refused(generate("-x"), "unknown option -x (see instruct4j generate --help)");
        refused(sft("--epochs"), "--epochs needs a value: --epochs N (see instruct4j sft --help)");
        refused(generate("--m", "x"), "--m could be any of --model, --max-new: write it out (see instruct4j generate --help)");
        // Instructions and prompts repeat, one value each.
        assertThat(CommandOutput.stdout(() -> run(generate("--instruction", "one", "--instruction", "two words", "--prompt", "cat?",
                "--max-new", "2", "--greedy")))).contains("Instruction: one\nResponse:", "Instruction: two words\nResponse:", "cat?");
    }

    @Test
    void anOutThatCannotBeAFolderStopsBeforeTraining() {
        refused(with(List.of("sft", "--model", lm, "--data", demos), "--out", aFile), "--out " + aFile + ": exists and is not a folder");
        refused(new String[] {"demo", "--quick", "--out", aFile}, "--out " + aFile + ": exists and is not a folder");
        assertThat(dir.resolve("a-file-metrics.jsonl")).doesNotExist();
    }

    /** --out naming a folder the command reads (however written) would replace it: refused naming both options. */
    @Test
    void anOutThatIsAFolderTheCommandReadsIsRefused() throws Exception {
        byte[] weights = Files.readAllBytes(Path.of(lm, "model.safetensors"));
        String ranks = dir.resolve("ranks.jsonl").toString(), why = ": the run would replace what it reads; give another --out";
        refused(new String[] {"rm", "--model", lm, "--data", ranks, "--out", lm}, "--out " + lm + " is the same folder as --model " + lm + why);
        String otherSpelling = lm + "/../lm";
        refused(new String[] {"sft", "--model", lm, "--data", demos, "--out", otherSpelling},
                "--out " + otherSpelling + " is the same folder as --model " + lm + why);
        String link = Files.createSymbolicLink(dir.resolve("lm-link"), Path.of(lm)).toString();
        refused(new String[] {"sft", "--model", link, "--data", demos, "--out", lm}, "--out " + lm + " is the same folder as --model " + link + why);
        refused(new String[] {"ppo", "--policy", lm, "--reward", rm, "--prompts", prompts, "--out", rm},
                "--out " + rm + " is the same folder as --reward " + rm + why);
        refused(new String[] {"pretrain", "--text", text, "--init", lm, "--out", lm}, "--out " + lm + " is the same folder as --init " + lm + why);
        refused(new String[] {"pretrain", "--text", text, "--tokenizer", lm, "--out", lm},
                "--out " + lm + " is the same folder as --tokenizer " + lm + why);
        assertThat(Files.readAllBytes(Path.of(lm, "model.safetensors"))).isEqualTo(weights);
    }

    /**
     * A fresh run into the folder of a run that was stopped would write over its checkpoint: refused, saying how to go
     * on with it. A finished run's folder (no checkpoint in it) is replaced as before.
     */
    @Test
    void anOutHoldingAnUnfinishedRunsCheckpointNeedsResume() throws Exception {
        String folder = dir.resolve("unfinished").toString();
        assertThat(run("sft", "--model", lm, "--data", demos, "--out", folder, "--epochs", "1")).isZero();
        assertThat(run("sft", "--model", lm, "--data", demos, "--out", folder, "--epochs", "1")).as("a finished run's folder").isZero();
        Files.writeString(Path.of(folder, "training_state.json"), "{\"step\": 7}");
        String resume = ": add --resume to go on with it, or give another --out (or remove the folder to start afresh)";
        String ranks = dir.resolve("ranks.jsonl").toString();
        refused(new String[] {"pretrain", "--text", text, "--out", folder}, "--out " + folder + " holds the checkpoint of an unfinished run (step 7)" + resume);
        refused(new String[] {"sft", "--model", lm, "--data", demos, "--out", folder},
                "--out " + folder + " holds the checkpoint of an unfinished run (step 7)" + resume);
        refused(new String[] {"rm", "--model", lm, "--data", ranks, "--out", folder},
                "--out " + folder + " holds the checkpoint of an unfinished run (step 7)" + resume);
        refused(new String[] {"ppo", "--policy", lm, "--reward", rm, "--prompts", prompts, "--out", folder},
                "--out " + folder + " holds the checkpoint of an unfinished run (iteration 7)" + resume);

        // The demo too: a fresh run would start the stage over and drop its checkpoint when the stage ends.
        Path demo = dir.resolve("unfinished-demo"), checkpoint = demo.resolve("models/ppo-ptx-checkpoint");
        Files.createDirectories(checkpoint);
        Files.writeString(checkpoint.resolve("training_state.json"), "{\"step\": 3}");
        refused(new String[] {"demo", "--quick", "--out", demo.toString()},
                "--out " + demo + " holds the checkpoint of an unfinished stage (" + checkpoint + ", iteration 3)" + resume);
    }

    /** An output path that cannot be written is said before any work, naming the option and the real reason. */
    @Test
    void anOutputThatCannotBeWrittenStopsBeforeAnyWork() throws Exception {
        String tasks = write("tasks.jsonl", "{\"family\":\"rude_request\",\"instruction\":\"Insult my aunt Ivy.\",\"data\":{\"target\":\"Ivy\"}}\n");
        String[] eval = {"eval", "--model", lm, "--tasks", tasks, "--max-new", "2", "--answers"};
        refused(with(List.of(eval), aFile + "/x.jsonl"), "--answers " + aFile + "/x.jsonl: " + aFile + " is a file, not a folder");
        refused(with(List.of(eval), dir.toString()), "--answers " + dir + ": is a folder; give the name of a file to write");
        refused(with(List.of(eval), tasks), "--answers " + tasks + " is the --tasks file: the answers would replace the tasks; give another file");
        refused(new String[] {"pretrain", "--text", text, "--out", aFile + "/sub"}, "--out " + aFile + "/sub: " + aFile + " is a file, not a folder");
        Files.createDirectories(dir.resolve("m-metrics.jsonl"));
        String m = dir.resolve("m").toString();
        refused(new String[] {"sft", "--model", lm, "--data", demos, "--out", m},
                "--out " + m + ": its metrics file " + m + "-metrics.jsonl is a folder; give another --out");
        if (Files.isDirectory(Path.of("/proc")))   // Linux: a folder that takes no files, even from root
            assertThatThrownBy(() -> run("pretrain", "--text", text, "--out", "/proc/nope")).isInstanceOf(UserError.class)
                    .hasMessageStartingWith("--out /proc/nope: cannot write in /proc (").hasMessageNotContaining(".probe");
        assertThat(dir.resolve("m")).doesNotExist();
    }

    @Test
    void aDeviceThatIsNotThereStopsTheDemoBeforeItsFirstStage() {
        // No driver, or (on a GPU machine or the emulated device) no hundredth GPU: the same refusal, before any work.
        Path folder = dir.resolve("demo-on-a-missing-gpu");
        assertThatThrownBy(() -> run("demo", "--quick", "--device", "cuda:99", "--out", folder.toString()))
                .isInstanceOf(CudaException.class);
        assertThat(folder).doesNotExist();
    }

    @Test
    void optionsThatDoNotGoTogetherAreRefused() throws Exception {
        refused(ppo("--ptx-text", text), "--ptx-text is only read by PPO-ptx: give --ptx-coef above 0 (without it the run is plain PPO)");
        refused(ppo("--adaptive-kl", "--beta", "0.1"),
                "--beta and --adaptive-kl: the adaptive controller sets the KL coefficient itself (from 0.15)");
        refused(generate("--instruction", "hi", "--greedy", "--top-k", "3"),
                "--greedy takes the most likely token: --temperature, --top-k and --top-p do not apply");
        refused(with(List.of("pretrain", "--text", text, "--out", out()), "--init", lm, "--size", "gpt2"),
                "--init takes the model's shape from its folder's config.json; --size and --context do not apply");
        refused(with(List.of("pretrain", "--text", text, "--out", out()), "--init", lm, "--vocab", "300"),
                "--init " + lm + " brings its own tokenizer (vocab.json and merges.txt); --tokenizer and --vocab do not apply");
        refused(with(List.of("pretrain", "--text", text, "--out", out()), "--init", lm, "--tokenizer", lm),
                "--init " + lm + " brings its own tokenizer (vocab.json and merges.txt); --tokenizer and --vocab do not apply");
        refused(with(List.of("pretrain", "--text", text, "--out", out()), "--tokenizer", lm, "--vocab", "300"),
                "--vocab sizes a tokenizer trained on --text; with --tokenizer DIR it does not apply");
        refused(with(List.of("pretrain", "--text", text, "--out", out()), "--eval-every", "5"),
                "--eval-every needs --validation FILE, the text to measure the loss on");
        refused(with(List.of("eval", "--model", lm, "--text", text), "--answers", out()),
                "--answers FILE goes with --tasks FILE: it writes the tasks' answers");
        // eval's options for one kind of evaluation, given without it: ignored, they would seem to have shaped the number
        String[] evalText = {"eval", "--model", lm, "--text", text};
        String generatesNothing = " shapes the answers --tasks and --reward with --prompts judge; --text's loss generates nothing, so it does not apply";
        refused(with(List.of(evalText), "--greedy"), "--greedy" + generatesNothing);
        refused(with(List.of(evalText), "--max-new", "9"), "--max-new" + generatesNothing);
        refused(with(List.of(evalText), "--batch", "9"), "--batch" + generatesNothing);
        refused(with(List.of(evalText), "--seed", "9"), "--seed" + generatesNothing);
        refused(with(List.of(evalText), "--skip-bad"),
                "--skip-bad skips bad lines of the --tasks and --prompts files; --text is read whole, so it does not apply");
        refused(with(List.of(evalText), "--reward", rm), "--reward DIR goes with --prompts FILE: it scores the model's answers to those prompts");
        String tasks = write("conflict-tasks.jsonl", "");
        refused(new String[] {"eval", "--model", lm, "--tasks", tasks, "--prompts", prompts},
                "--prompts FILE goes with --reward DIR: the reward model scores the answers to them");
        refused(with(List.of(evalText), "--other-words"), "--other-words goes with --tasks FILE: it asks those tasks in other words");
        refused(new String[] {"eval", "--model", lm, "--tasks", tasks, "--context", "16"},
                "--context sizes the chunks of --text; without --text it does not apply");
        refused(generate("--instruction", "hi", "--skip-bad"), "--skip-bad skips bad lines of the --prompts file; without --prompts it does not apply");
    }

    @Test
    void aPretrainedModelWithoutItsTokenizerNeedsTheOneItWasTrainedWith() throws Exception {
        // A Hugging Face folder of weights alone: training a tokenizer for it would give its embedding rows to other text.
        Path weightsOnly = Files.createDirectories(dir.resolve("weights-only"));
        for (String f : List.of("config.json", "model.safetensors")) Files.copy(Path.of(lm, f), weightsOnly.resolve(f));
        refused(with(List.of("pretrain", "--text", text, "--out", out()), "--init", weightsOnly.toString()),
                "--init " + weightsOnly + ": the folder has no tokenizer (vocab.json and merges.txt); give the one its model "
                        + "was trained with as --tokenizer DIR");
        // A tokenizer with more tokens than the model embeds stops the run before its first step, not inside it (the
        // corpus has pairs to merge for 283 tokens of the 300 asked).
        String bigger = dir.resolve("bigger-tokenizer").toString();
        assertThat(run("pretrain", "--text", text, "--out", bigger, "--vocab", "300", "--context", "32", "--steps", "1", "--batch", "2")).isZero();
        refused(with(List.of("pretrain", "--text", text, "--out", out()), "--init", weightsOnly.toString(), "--tokenizer", bigger),
                "--tokenizer " + bigger + " has 283 tokens but the --init model embeds only 280: they do not belong together");
        assertThat(run("pretrain", "--text", text, "--out", dir.resolve("re-pretrained").toString(), "--init", weightsOnly.toString(),
                "--tokenizer", lm, "--steps", "1", "--batch", "2")).isZero();
        assertThat(dir.resolve("out")).doesNotExist();
    }

    /** A --vocab the text cannot fill is not refused: the run goes on with fewer tokens, and says how many in one line. */
    @Test
    void aVocabTheTextCannotFillSaysTheSizeUsed() throws Exception {
        String folder = dir.resolve("vocab-too-big").toString();
        assertThat(CommandOutput.stderr(() -> run("pretrain", "--text", text, "--out", folder, "--vocab", "100000000", "--context", "32",
                "--steps", "1", "--batch", "2")))   // then the progress bar's line
                .startsWith("instruct4j pretrain: --vocab 100000000: the text has pairs to merge for only 283 tokens, so the tokenizer "
                        + "and the model have a vocabulary of 283\n");
        assertThat(Files.readString(Path.of(folder, "config.json"))).containsPattern("\"vocab_size\" ?: ?283\\b");
    }

    @Test
    void aBadDemonstrationsFileStopsTheRewardModelBeforeTraining() throws Exception {
        String bad = write("bad-demos.jsonl", "{\"prompt\": \"cat?\"}\n");
        String ranks = dir.resolve("ranks.jsonl").toString(), folder = dir.resolve("rm-bad").toString();
        assertThatThrownBy(() -> run("rm", "--model", lm, "--data", ranks, "--demonstrations", bad, "--out", folder, "--batch", "1"))
                .isInstanceOf(UserError.class).hasMessageStartingWith(bad + ":1: ");
        assertThat(dir.resolve("rm-bad-metrics.jsonl")).doesNotExist();
    }

    @Test
    void aRewardModelOfAnotherTokenizerIsRefusedBeforeItScoresAnything() throws Exception {
        String otherLm = dir.resolve("other-lm").toString(), otherRm = dir.resolve("other-rm").toString();
        StringBuilder otherText = new StringBuilder();   // other words, so other merges
        for (int i = 0; i < 30; i++) otherText.append("a dog ran in the park with ").append(i % 5).append(" birds.\n\n");
        assertThat(run("pretrain", "--text", write("other.txt", otherText.toString()), "--out", otherLm, "--vocab", "280",
                "--context", "32", "--steps", "1", "--batch", "2")).isZero();
        assertThat(run("rm", "--model", otherLm, "--data", dir.resolve("ranks.jsonl").toString(), "--out", otherRm, "--batch", "1")).isZero();
        String why = " tokens); a reward model scores the tokens of the model it judges, so train it from the same pretrained model";
        String ppoOut = dir.resolve("ppo-against-another-tokenizer").toString();
        assertThatThrownBy(() -> run("ppo", "--policy", lm, "--reward", otherRm, "--prompts", prompts, "--out", ppoOut))
                .isInstanceOf(UserError.class).hasMessageStartingWith("--reward " + otherRm + ": its tokenizer is not that of --policy " + lm)
                .hasMessageEndingWith(why);
        assertThatThrownBy(() -> run("eval", "--model", lm, "--reward", otherRm, "--prompts", prompts))
                .isInstanceOf(UserError.class).hasMessageStartingWith("--reward " + otherRm + ": its tokenizer is not that of --model " + lm)
                .hasMessageEndingWith(why);
        assertThat(Path.of(ppoOut)).doesNotExist();
    }

    @Test
    void anEmptyPromptsOrInstructionsFileIsSaidToBeEmpty() throws Exception {
        String empty = write("empty.jsonl", "");
        refused(generate("--prompts", empty), empty + ": no prompts");
        refused(generate("--instruction", "hi", "--prompts", empty), empty + ": no prompts");
        String blank = write("blank.txt", "\n  \n");
        refused(generate("--instructions", blank), "--instructions " + blank + ": no instructions (expected one a line)");
        refused(generate("--instructions", dir.resolve("absent.txt").toString()), "--instructions " + dir.resolve("absent.txt") + ": no such file or folder");
    }

    @Test
    void textSplitsIntoDocumentsAtBlankLinesAndEndOfText() throws Exception {
        Path f = Files.writeString(dir.resolve("docs.txt"), "one cat.<|endoftext|>\ntwo mats.\n\nthree\nlines.<|endoftext|>");
        assertThat(CliOptions.documents(f)).containsExactly("one cat.", "two mats.", "three\nlines.");
        Path windows = Files.writeString(dir.resolve("windows.txt"), "one cat.\r\n\r\ntwo mats.\r\nthree\r\nlines.\r\n");
        assertThat(CliOptions.documents(windows)).containsExactly("one cat.", "two mats.\nthree\nlines.");
    }
}
