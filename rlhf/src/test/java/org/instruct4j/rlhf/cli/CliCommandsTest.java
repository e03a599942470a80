package org.instruct4j.rlhf.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.instruct4j.engine.Rng;
import org.instruct4j.rlhf.data.Jsonl;
import org.instruct4j.rlhf.world.Task;
import org.instruct4j.rlhf.world.World;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CliCommandsTest {
    @TempDir Path dir;

    @Test
    void pretrainSftRmPpoGenerateEvalRunFromFiles() throws Exception {
        Files.writeString(dir.resolve("corpus.txt"), CatCorpus.documents(40));
        Files.writeString(dir.resolve("demos.jsonl"), """
                {"prompt": "cat?", "completion": " the cat sat"}
                {"prompt": "mat?", "completion": " on the mat"}
                """);
        Files.writeString(dir.resolve("ranks.jsonl"), """
                {"prompt": "cat?", "completions": [" the cat", " mat mat", " sat"], "ranking": [0, 2, 1]}
                {"prompt": "mat?", "chosen": " on the mat", "rejected": " cat cat"}
                """);
        Files.writeString(dir.resolve("prompts.jsonl"), "{\"prompt\": \"cat?\"}\n{\"prompt\": \"mat?\"}\n");
        String d = dir.toString();
        assertThat(new PretrainCommand().run(new String[] {"--text", d + "/corpus.txt", "--out", d + "/lm", "--vocab", "300",
                "--context", "32", "--steps", "4", "--batch", "4"})).isZero();
        assertThat(dir.resolve("lm/model.safetensors")).exists();
        assertThat(dir.resolve("lm-metrics.jsonl")).exists();
        assertThat(dir.resolve("lm-loss.png")).exists();   // named as the metrics file is
        assertThat(new SftCommand().run(new String[] {"--model", d + "/lm", "--data", d + "/demos.jsonl", "--out", d + "/sft",
                "--epochs", "1", "--batch", "2", "--micro-batch", "1", "--lr", "1e-3"})).isZero();
        assertThat(new RmCommand().run(new String[] {"--model", d + "/sft", "--data", d + "/ranks.jsonl", "--out", d + "/rm",
                "--demonstrations", d + "/demos.jsonl", "--batch", "2", "--micro-batch", "1"})).isZero();
        assertThat(new PpoCommand().run(new String[] {"--policy", d + "/sft", "--reward", d + "/rm", "--prompts", d + "/prompts.jsonl",
                "--out", d + "/ppo", "--iterations", "1", "--batch", "2", "--minibatch", "2", "--max-new", "4",
                "--ptx-coef", "1", "--ptx-text", d + "/corpus.txt", "--entropy-penalty", "0.5"})).isZero();
        assertThat(dir.resolve("ppo-reward.png")).exists();
        // ppo cuts and says a --max-new longer than the context leaves as generate does (below), in the same words
        assertThat(CommandOutput.stderr(() -> new PpoCommand().run(new String[] {"--policy", d + "/sft", "--reward", d + "/rm", "--prompts",
                d + "/prompts.jsonl", "--out", d + "/ppo-long", "--iterations", "1", "--batch", "2", "--minibatch", "2", "--max-new", "40"})))
                .containsPattern("^instruct4j ppo: --max-new 40: an answer stops at the model's context of 32 tokens, so at most \\d+ new "
                        + "tokens after an? \\d-token prompt\n");
        assertThatThrownBy(() -> new PpoCommand().run(new String[] {"--policy", d + "/sft", "--reward", d + "/rm", "--prompts",
                d + "/prompts.jsonl", "--out", d + "/ppo2", "--entropy-penalty", "-1"}))
                .isInstanceOf(UserError.class).hasMessage("--entropy-penalty: expected a number >= 0, got -1.0");
        assertThat(new GenerateCommand().run(new String[] {"--model", d + "/ppo", "--prompt", "cat?", "--max-new", "3", "--greedy"})).isZero();
        // Context 32: a prompt that fills it alone is cut from the left, leaving the room --max-new asks for, and the user
        // is told so in one line (a prompt that fits beside it keeps its room); --max-new more than the room a prompt
        // leaves is cut to that room, and the user is told once.
        String longPrompt = "the cat sat on the mat ".repeat(12);
        assertThat(CommandOutput.stderr(() -> new GenerateCommand().run(new String[] {"--model", d + "/ppo", "--prompt", longPrompt,
                "--prompt", "cat?", "--max-new", "3"})))
                .matches("instruct4j generate: prompt 1 is \\d+ tokens, more than the model's context of 32 holds with an answer: "
                        + "the model reads its last 29 and writes at most 3 new tokens\n");
        assertThat(CommandOutput.stderr(() -> new GenerateCommand().run(new String[] {"--model", d + "/ppo", "--prompt", "cat?", "--max-new", "3"})))
                .doesNotContain("reads its last").doesNotContain("at most");
        assertThat(CommandOutput.stderr(() -> new GenerateCommand().run(new String[] {"--model", d + "/ppo", "--prompt", "cat?", "--max-new", "40"})))
                .matches("instruct4j generate: --max-new 40: an answer stops at the model's context of 32 tokens, so at most \\d+ new "
                        + "tokens after an? \\d-token prompt\n");
        assertThat(new EvalCommand().run(new String[] {"--model", d + "/ppo", "--reward", d + "/rm", "--prompts", d + "/prompts.jsonl",
                "--text", d + "/corpus.txt", "--max-new", "3"})).isZero();
        assertThat(new SftCommand().run(new String[] {"--help"})).isZero();

        // --tasks: the built-in world's tasks, each answer judged by the world's checkers, counted per family
        List<Task> tasks = World.tasksAvoiding(new Rng(5), 6, Set.of());
        Files.writeString(dir.resolve("tasks.jsonl"), tasks.stream().map(t -> t.toJson().toString() + "\n").collect(Collectors.joining()));
        String said = CommandOutput.stdout(() -> new EvalCommand().run(new String[] {"--model", d + "/ppo", "--tasks", d + "/tasks.jsonl",
                "--max-new", "3", "--greedy", "--answers", d + "/answers.jsonl"}));
        List<String> answers = Files.readAllLines(dir.resolve("answers.jsonl"));
        assertThat(answers).hasSize(6);
        for (int i = 0; i < 6; i++)
            assertThat(answers.get(i)).startsWith("{\"prompt\":" + Jsonl.mapper().writeValueAsString(tasks.get(i).prompt()) + ",\"family\":\""
                    + tasks.get(i).family() + "\",\"response\":").containsPattern("\"correct\":(true|false)}$");
        assertThat(said).contains("right answers by the world's checkers, greedy, 6 tasks of " + d + "/tasks.jsonl:")
                .containsPattern("\n  all +\\d of 6 +\\d+\\.\\d%\n");
        for (Task t : tasks) assertThat(said).contains("  " + t.family() + " ");
        String reworded = CommandOutput.stdout(() -> new EvalCommand().run(new String[] {"--model", d + "/ppo", "--tasks", d + "/tasks.jsonl",
                "--max-new", "3", "--greedy", "--other-words"}));
        assertThat(reworded).contains("right answers by the world's checkers, greedy, 6 tasks of " + d + "/tasks.jsonl, asked in other words:")
                .containsPattern("\n  all +\\d of 6 +\\d+\\.\\d%\n");
        for (Task t : tasks) assertThat(reworded).doesNotContain("  " + t.instruction() + " -> ");
        Files.writeString(dir.resolve("bad-tasks.jsonl"), tasks.getFirst().toJson() + "\n{\"family\": \"poetry\", \"instruction\": \"x\", \"data\": {}}\n");
        assertThatThrownBy(() -> new EvalCommand().run(new String[] {"--model", d + "/ppo", "--tasks", d + "/bad-tasks.jsonl"}))
                .isInstanceOf(UserError.class).hasMessageContaining("bad-tasks.jsonl:2").hasMessageContaining("poetry");
    }

    /**
     * --max-new is cut to the room the longest prompt that fits leaves (so each is read whole), and said once; a prompt
     * too long for the context does not count, and where none fits, the generator's own limit stands, unsaid here.
     */
    @Test
    void maxNewIsCutToTheRoomTheLongestPromptLeaves() {
        GenerateCommand.MaxNew cut = GenerateCommand.MaxNew.within("ppo", "", List.of(new int[3], new int[11], new int[40]), 32, 64);
        assertThat(cut.tokens()).isEqualTo(21);
        assertThat(cut.warning()).isEqualTo("instruct4j ppo: --max-new 64: an answer stops at the model's context of 32 tokens, so at most "
                + "21 new tokens after an 11-token prompt");
        assertThat(GenerateCommand.MaxNew.within("ppo", "", List.of(new int[3], new int[11]), 32, 21)).isEqualTo(new GenerateCommand.MaxNew(21, null));
        assertThat(GenerateCommand.MaxNew.within("generate", "", List.of(new int[40]), 32, 64)).isEqualTo(new GenerateCommand.MaxNew(31, null));
    }

    /** Numbers in generate's warnings read as spoken: "an 11-token prompt", "1 new token". */
    @Test
    void numbersTakeTheArticleAndNumberTheyAreReadWith() {
        for (long n : new long[] {8, 11, 18, 80, 86, 800, 8000, 11_000, 18_500, 11_000_000})
            assertThat(GenerateCommand.withArticle(n)).isEqualTo("an " + n);
        for (long n : new long[] {1, 2, 10, 12, 100, 110, 180, 414, 1100, 1800, 111_000})
            assertThat(GenerateCommand.withArticle(n)).isEqualTo("a " + n);
        assertThat(GenerateCommand.newTokens(1)).isEqualTo("1 new token");
        assertThat(GenerateCommand.newTokens(5)).isEqualTo("5 new tokens");
    }

    @Test
    void badInputGivesOneLineUserErrors() throws Exception {
        Files.writeString(dir.resolve("bad.jsonl"), "{\"prompt\": \"x\", \"completion\": \"y\"}\n{not json\n");
        String d = dir.toString();
        assertThatThrownBy(() -> new SftCommand().run(new String[] {"--model", d + "/nope", "--data", d + "/bad.jsonl", "--out", d + "/o"}))
                .isInstanceOf(UserError.class).hasMessageContaining("nope");
        assertThatThrownBy(() -> new PretrainCommand().run(new String[] {"--text", d + "/bad.jsonl", "--out", d + "/o", "--steps", "many"}))
                .isInstanceOf(UserError.class).hasMessageContaining("--steps").hasMessageContaining("many");
        assertThatThrownBy(() -> new GenerateCommand().run(new String[] {"--bogus"}))
                .isInstanceOf(UserError.class).hasMessageContaining("bogus");
        assertThatThrownBy(() -> new EvalCommand().run(new String[] {"--model", d, "--device", "tpu"}))
                .isInstanceOf(UserError.class).hasMessageContaining("tpu");
        Files.createDirectories(dir.resolve("m"));
        assertThatThrownBy(() -> new GenerateCommand().run(new String[] {"--model", d + "/m", "--prompt", "x"}))
                .isInstanceOf(UserError.class).hasMessageContaining("--model " + d + "/m").hasMessageContaining("config.json");
    }

    @Test
    void badJsonlLineIsNamedByFileAndLine() throws Exception {
        Files.writeString(dir.resolve("corpus.txt"), "a b c d e f g.\n\nh i j k.\n");
        String d = dir.toString();
        new PretrainCommand().run(new String[] {"--text", d + "/corpus.txt", "--out", d + "/lm", "--vocab", "270", "--context", "16", "--steps", "1", "--batch", "1"});
        Files.writeString(dir.resolve("bad.jsonl"), "{\"prompt\": \"x\", \"completion\": \"y\"}\n{not json\n");
        assertThatThrownBy(() -> new SftCommand().run(new String[] {"--model", d + "/lm", "--data", d + "/bad.jsonl", "--out", d + "/o"}))
                .isInstanceOf(UserError.class).hasMessageContaining("bad.jsonl:2");
    }
}
