package org.instruct4j.rlhf.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.instruct4j.rlhf.world.Task;
import org.junit.jupiter.api.Test;

class ExampleTasksTest {
    private static Task task(String family) { return new Task(family, "do " + family, Map.of()); }

    @Test
    void theReportShowsTheFirstTasksOfEveryFamilyInHeldOutOrder() {
        List<Task> tasks = List.of(task("transform"), task("transform"), task("transform"), task("closed_qa"),
                task("constrained"), task("transform"), task("arithmetic"), task("closed_qa"), task("arithmetic"), task("arithmetic"));
        assertThat(Evaluation.exampleIndices(tasks, 2)).containsExactly(0, 1, 3, 4, 6, 7, 8);
        assertThat(Evaluation.exampleIndices(tasks, 1)).containsExactly(0, 3, 4, 6);
        assertThat(Evaluation.exampleIndices(List.of(), 2)).isEmpty();
    }
}
