package org.instruct4j.rlhf.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.instruct4j.engine.Rng;
import org.instruct4j.rlhf.world.Task;
import org.instruct4j.rlhf.world.World;
import org.junit.jupiter.api.Test;

class TaskAccuracyTest {
    @Test
    void countsTheRightAnswersOfEachFamilyAndKeepsTheWrongOnesInOrder() {
        List<Task> tasks = World.tasksAvoiding(new Rng(3), 60, Set.of());
        List<String> answers = new ArrayList<>();
        Map<String, int[]> expected = new TreeMap<>();   // family -> {right, tasks}
        List<Task> wrong = new ArrayList<>();
        for (int i = 0; i < tasks.size(); i++) {
            Task t = tasks.get(i);
            int[] c = expected.computeIfAbsent(t.family(), k -> new int[2]);
            c[1]++;
            if (i % 3 == 0) {   // a third answered with something that answers nothing
                answers.add("The sea is wide.");
                wrong.add(t);
            } else {
                answers.add(t.familyImpl().ideal(t));
                c[0]++;
            }
        }

        TaskAccuracy a = TaskAccuracy.of(tasks, answers);

        assertThat(a.byFamily()).hasSameSizeAs(expected).hasSizeGreaterThan(2);
        expected.forEach((family, c) -> assertThat(a.byFamily().get(family)).as(family).isEqualTo(new TaskAccuracy.Count(c[0], c[1])));
        assertThat(a.all()).isEqualTo(new TaskAccuracy.Count(40, 60));
        assertThat(a.misses()).extracting(TaskAccuracy.Answer::task).containsExactlyElementsOf(wrong);
        assertThat(a.misses()).extracting(TaskAccuracy.Answer::response).containsOnly("The sea is wide.");
        assertThat(a.answers()).hasSize(60).extracting(TaskAccuracy.Answer::correct).containsOnly(true, false);
        assertThat(a.shares()).containsEntry(a.byFamily().keySet().iterator().next(), a.byFamily().values().iterator().next().share());
    }

    @Test
    void refusesAnswersThatDoNotMatchTheTasks() {
        List<Task> tasks = World.tasksAvoiding(new Rng(3), 2, Set.of());
        assertThatThrownBy(() -> TaskAccuracy.of(tasks, List.of("one answer"))).hasMessage("2 tasks but 1 responses");
    }
}
