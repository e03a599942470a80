package org.instruct4j.rlhf.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.instruct4j.engine.Rng;
import org.instruct4j.rlhf.world.Labeler;
import org.instruct4j.rlhf.world.Task;
import org.instruct4j.rlhf.world.TaskFamilies;
import org.junit.jupiter.api.Test;

class HeadToHeadTest {
    private final List<Labeler> labelers = Labeler.training(5, 7);

    /** Ideal answers where the model is right, the baseline's own answer where not: wins in one family only. */
    @Test void perFamilyWinRatesSplitTheOverallOne() {
        Rng rng = new Rng(3);
        List<Task> tasks = new ArrayList<>();
        List<String> model = new ArrayList<>(), baseline = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            Task t = TaskFamilies.sample(rng);
            tasks.add(t);
            String wrong = t.familyImpl().wrong(t, rng);
            baseline.add(wrong);
            model.add(t.family().equals("transform") ? t.familyImpl().ideal(t) : wrong);
        }
        WinRate all = HeadToHead.compare(tasks, model, baseline, labelers);
        Map<String, WinRate> byFamily = HeadToHead.byFamily(tasks, model, baseline, labelers);

        assertThat(byFamily.keySet()).containsExactlyInAnyOrderElementsOf(tasks.stream().map(Task::family).distinct().toList());
        assertThat(byFamily.values().stream().mapToInt(WinRate::n).sum()).isEqualTo(tasks.size());
        // Each prompt keeps its labeler, so the families' sums add up to the whole's.
        assertThat(byFamily.values().stream().mapToDouble(WinRate::sum).sum()).isCloseTo(all.sum(), within(1e-9));
        byFamily.forEach((family, w) -> {
            if (family.equals("transform")) assertThat(w.rate()).as(family).isGreaterThan(0.8);
            else assertThat(w.rate()).as(family + ": the same answer on both sides is a toss-up").isEqualTo(0.5);
        });
    }
}
