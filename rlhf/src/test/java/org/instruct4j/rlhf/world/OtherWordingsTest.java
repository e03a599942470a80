package org.instruct4j.rlhf.world;

import org.instruct4j.engine.Rng;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

class OtherWordingsTest {

    /** An instruction with the task's data taken out: its wording alone ("Name <n> <category>."). */
    private static String wording(String instruction, Task t) {
        String s = instruction;
        List<Map.Entry<String, String>> data = new ArrayList<>(t.data().entrySet());
        data.sort(Comparator.comparingInt((Map.Entry<String, String> e) -> -e.getValue().length()));
        for (var e : data)
            if (!e.getKey().equals("answer"))
                s = s.replaceAll("(?<![A-Za-z0-9])" + Pattern.quote(e.getValue()) + "(?![A-Za-z0-9])", "<" + e.getKey() + ">");
        return s;
    }

    /** Fails if a wording held out for this measurement were also one the world trains on (demonstrations, PPO...). */
    @Test
    void noOtherWordingIsTheWorldsOwn() {
        Rng rng = new Rng(5);
        Set<String> trained = new HashSet<>(), other = new HashSet<>();
        for (int i = 0; i < 30_000; i++) {
            Task t = TaskFamilies.sample(rng);
            trained.add(wording(t.instruction(), t));
            if (t.family().equals(ClosedQaFamily.NAME)) trained.add(wording(t.get("question"), t));
            for (int k = 0; k < 3; k++) other.add(wording(OtherWordings.of(List.of(t), rng).getFirst().instruction(), t));
            if (t.family().equals(ClosedQaFamily.NAME)) other.add(wording(OtherWordings.question(t), t));
        }
        assertThat(other).hasSizeGreaterThan(40);
        Set<String> both = new HashSet<>(other);
        both.retainAll(trained);
        assertThat(both).as("wordings both held out and trained on").isEmpty();
    }

    /** The same task, the same checker: only the instruction changes, and the ideal answer is still right. */
    @Test
    void rewordedTasksKeepTheirDataAndAnswers() {
        Rng rng = new Rng(6);
        List<Task> tasks = new ArrayList<>();
        for (int i = 0; i < 500; i++) tasks.add(TaskFamilies.sample(rng));
        List<Task> reworded = OtherWordings.of(tasks, new Rng(7));
        for (int i = 0; i < tasks.size(); i++) {
            Task t = tasks.get(i), r = reworded.get(i);
            assertThat(r.data()).isEqualTo(t.data());
            assertThat(r.instruction()).isNotEqualTo(t.instruction());
            assertThat(Judge.judge(r, t.familyImpl().ideal(t)).correct()).as(r.instruction()).isTrue();
        }
    }
}
