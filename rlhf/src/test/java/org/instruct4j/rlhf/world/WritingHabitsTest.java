package org.instruct4j.rlhf.world;

import static org.assertj.core.api.Assertions.assertThat;

import org.instruct4j.engine.Rng;
import org.junit.jupiter.api.Test;

/** Demonstrations that run on are marked down by the labelers who wrote them; the rest are ideal. */
class WritingHabitsTest {

    @Test
    void runOnDemonstrationsScoreBelowTheIdealAndTheRestAreIdeal() {
        Rng rng = new Rng(3);
        int n = 3000, runOn = 0;
        for (int i = 0; i < n; i++) {
            Task t = TaskFamilies.sample(rng);
            String demo = WritingHabits.demonstration(t, WritingHabits.DEFAULT_RATE, rng);
            Judgement j = Judge.judge(t, demo);
            double best = Judge.judge(t, t.familyImpl().ideal(t)).quality();
            if (j.concise()) {
                assertThat(j.quality()).as("%s -> %s", t.instruction(), demo).isEqualTo(best);
            } else {
                runOn++;
                assertThat(j.quality()).as("%s -> %s", t.instruction(), demo).isLessThan(best - 0.8);
            }
        }
        assertThat(runOn / (double) n).isCloseTo(WritingHabits.DEFAULT_RATE, org.assertj.core.data.Offset.offset(0.03));
    }

    @Test
    void rateZeroWritesOnlyIdealResponses() {
        Rng rng = new Rng(4);
        for (int i = 0; i < 500; i++) {
            Task t = TaskFamilies.sample(rng);
            assertThat(Judge.judge(t, WritingHabits.demonstration(t, 0, rng)).concise()).isTrue();
        }
    }
}
