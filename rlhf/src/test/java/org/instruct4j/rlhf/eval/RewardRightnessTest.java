package org.instruct4j.rlhf.eval;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.instruct4j.engine.Device;
import org.instruct4j.engine.Rng;
import org.instruct4j.engine.nn.Gpt;
import org.instruct4j.engine.nn.GptConfig;
import org.instruct4j.engine.text.BpeTokenizer;
import org.instruct4j.rlhf.rm.RewardModel;
import org.instruct4j.rlhf.world.PretrainCorpus;
import org.instruct4j.rlhf.world.Task;
import org.instruct4j.rlhf.world.TaskFamilies;
import org.instruct4j.rlhf.world.WorldFormat;
import org.junit.jupiter.api.Test;

class RewardRightnessTest {
    private static final BpeTokenizer TOK = BpeTokenizer.train(PretrainCorpus.documents(new Rng(3), 40_000), 300,
            List.of(WorldFormat.END_OF_TEXT, "<|pad|>"));

    private static List<Task> tasks(int n) {
        Rng rng = new Rng(5);
        List<Task> out = new ArrayList<>();
        for (int i = 0; i < n; i++) out.add(TaskFamilies.sample(rng));
        return out;
    }

    @Test
    void aRewardModelThatScoresEveryAnswerAlikeSeesNoRightness() {
        Gpt lm = new Gpt(new GptConfig(TOK.vocabSize(), 256, 1, 2, 16, 0f, 1e-5f), new Rng(1), Device.CPU);
        RewardModel rm = RewardModel.fromLm(lm, TOK.pad(), new Rng(2));
        rm.rescale(0f, 0.25f);   // every sequence scores 0.25: the ideal is never strictly above the wrong answer
        var rates = RewardRightness.idealOverWrong(rm, TOK, tasks(60), 7);
        assertThat(rates).isNotEmpty().allSatisfy((family, rate) -> assertThat(rate).isZero());
    }

    /**
     * A scorer that reads each answer with its task's checker (1 when right, 0 when wrong) sees every wrong answer, so
     * the ideal wins for every task of every family; the same scorer reversed never lets it win.
     */
    @Test
    void aScorerThatSeesRightnessPutsTheIdealAboveEveryWrongAnswer() {
        List<Task> tasks = tasks(60);
        var rates = RewardRightness.idealOverWrong(checking(tasks, 1), TOK, tasks, 7);
        assertThat(rates.keySet()).containsExactlyInAnyOrderElementsOf(tasks.stream().map(Task::family).distinct().toList());
        assertThat(rates).allSatisfy((family, rate) -> assertThat(rate).as(family).isEqualTo(1.0));
        assertThat(RewardRightness.idealOverWrong(checking(tasks, -1), TOK, tasks, 7))
                .allSatisfy((family, rate) -> assertThat(rate).as(family).isZero());
    }

    /** sign times 1 for a right answer, 0 for a wrong one; sequence k answers task k / 2 (ideal and wrong in turn). */
    private static Function<List<int[]>, float[]> checking(List<Task> tasks, int sign) {
        return sequences -> {
            float[] scores = new float[sequences.size()];
            for (int k = 0; k < scores.length; k++) {
                Task task = tasks.get(k / 2);
                String text = TOK.decode(sequences.get(k));
                String response = text.substring(task.prompt().length()).replace(WorldFormat.END_OF_TEXT, "").strip();
                scores[k] = task.familyImpl().check(task, response).correct() ? sign : 0;
            }
            return scores;
        };
    }

    @Test
    void perFamilySharesOfARandomRewardModelAreFractionsOfTheirTasks() {
        Gpt lm = new Gpt(new GptConfig(TOK.vocabSize(), 256, 1, 2, 16, 0f, 1e-5f), new Rng(1), Device.CPU);
        RewardModel rm = RewardModel.fromLm(lm, TOK.pad(), new Rng(2));
        List<Task> tasks = tasks(60);
        var rates = RewardRightness.idealOverWrong(rm, TOK, tasks, 7);
        assertThat(rates.keySet()).containsExactlyInAnyOrderElementsOf(tasks.stream().map(Task::family).distinct().toList());
        for (var e : rates.entrySet()) {
            long n = tasks.stream().filter(t -> t.family().equals(e.getKey())).count();
            assertThat(e.getValue() * n).isCloseTo(Math.rint(e.getValue() * n), org.assertj.core.data.Offset.offset(1e-9));
        }
        assertThat(RewardRightness.idealOverWrong(rm, TOK, tasks, 7)).isEqualTo(rates);   // deterministic
    }
}
