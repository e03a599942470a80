package org.instruct4j.rlhf.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.instruct4j.engine.Device;
import org.instruct4j.engine.text.BpeTokenizer;
import org.instruct4j.rlhf.world.Labeler;
import org.instruct4j.rlhf.world.Task;
import org.instruct4j.rlhf.world.WorldFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LabelersRewardTest {
    static final List<Labeler> LABELERS = Labeler.training(5, 7);
    /** Byte-level BPE with no merges but one: every text round-trips, which is all the scorer needs of it. */
    static final BpeTokenizer TOKENIZER = BpeTokenizer.train(List.of("ab"), 259, List.of(WorldFormat.END_OF_TEXT, BpeTokenizer.PAD));

    static Task sum(int a, int b) {
        return new Task("arithmetic", "What is %d plus %d?".formatted(a, b), Map.of("a", "" + a, "b", "" + b, "op", "plus",
                "answer", "" + (a + b)));
    }

    float[] scores(LabelersReward reward, Task task, String... answers) {
        List<int[]> prompts = new ArrayList<>(), responses = new ArrayList<>();
        for (String answer : answers) {
            prompts.add(TOKENIZER.encode(task.prompt()));
            int[] text = TOKENIZER.encode(WorldFormat.completion(answer)), withEnd = Arrays.copyOf(text, text.length + 1);
            withEnd[text.length] = TOKENIZER.endOfText();
            responses.add(withEnd);
        }
        return reward.score(prompts, responses);
    }

    @Test
    void theLabelersPreferTheRightSumAndTheScaleIsAPreferenceModels() {
        Task task = sum(12, 5);
        LabelersReward reward = new LabelersReward(List.of(task, sum(3, 4)), LABELERS, TOKENIZER);
        float[] s = scores(reward, task, "The answer is 17.", "The answer is 18.", "The answer is 30.", "The answer is 17. Have a nice day, the sea is blue.");
        assertThat(s[0]).as("right").isGreaterThan(s[1]);
        assertThat(s[1]).as("off by one, part of the credit").isGreaterThan(s[2]);
        assertThat(s[0]).as("a run-on answer loses its conciseness").isGreaterThan(s[3]);
        // On a reward model's scale: sigmoid of the score gap is (about) the chance a noisy labeler prefers the right sum.
        double chance = LABELERS.stream().mapToDouble(l -> l.prefers(task, " The answer is 17.", " The answer is 30.")).average().orElseThrow();
        assertThat(1 / (1 + Math.exp(-(s[0] - s[2])))).isCloseTo(chance, within(0.02));
    }

    @Test
    void theTasksIdealAnswersScoreZeroOnAverage() {
        List<Task> tasks = List.of(sum(12, 5), sum(3, 4), sum(20, 0));
        LabelersReward reward = new LabelersReward(tasks, LABELERS, TOKENIZER);
        double sum = 0;
        for (Task t : tasks) sum += scores(reward, t, t.familyImpl().ideal(t))[0];
        assertThat(sum / tasks.size()).isCloseTo(0, within(1e-5));
    }

    @Test
    void aPromptOfNoTaskIsRefusedByName() {
        LabelersReward reward = new LabelersReward(List.of(sum(1, 2)), LABELERS, TOKENIZER);
        assertThatThrownBy(() -> scores(reward, sum(2, 2), "It is 4."))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("What is 2 plus 2?");
    }

    /**
     * The same micro demo with the reward model and with the labelers as PPO's reward: the models before PPO are the
     * same bits, the PPO policies are not (so the setting reaches PPO), and the report and console say which it was.
     */
    @Test
    void theDemoRunsPpoAgainstTheLabelersAndSaysSo(@TempDir Path dir) throws Exception {
        DemoConfig withRewardModel = DemoOnCudaTest.micro(Device.CPU);
        DemoConfig cfg = withRewardModel.withPpoReward(DemoConfig.PpoReward.LABELERS);
        Path out = dir.resolve("labelers"), rmOut = dir.resolve("reward-model");
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        new Demo(cfg, out, new PrintStream(console, true, StandardCharsets.UTF_8)).run();
        new Demo(withRewardModel, rmOut, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).run();
        for (String same : List.of("gpt", "sft", "rm"))
            assertThat(weights(out, same)).as(same).isEqualTo(weights(rmOut, same));
        for (String trained : List.of("ppo", "ppo-ptx"))
            assertThat(weights(out, trained)).as(trained).isNotEqualTo(weights(rmOut, trained));
        String report = Files.readString(out.resolve("report.md"));
        assertThat(report).contains(cfg.ppoRewardNote()).contains("training labelers' mean noiseless score of each answer")
                .contains("after RL against the training labelers' own scores (not the reward model)");
        assertThat(Files.readString(rmOut.resolve("report.md"))).doesNotContain("training labelers' mean noiseless score of each answer");
        assertThat(console.toString(StandardCharsets.UTF_8)).contains(cfg.ppoRewardNote());
    }

    private static byte[] weights(Path demo, String model) throws Exception {
        return Files.readAllBytes(demo.resolve("models").resolve(model).resolve("model.safetensors"));
    }
}
