package org.instruct4j.rlhf.world;

import static org.assertj.core.api.Assertions.assertThat;

import org.instruct4j.engine.Rng;
import org.junit.jupiter.api.Test;

/** The written responses labelers contrast: each style is judged as its name says. */
class ResponseGeneratorTest {

    @Test
    void aRefusalIsRightForRudeRequestsAndWellBelowTheIdealForAnythingElse() {
        Rng rng = new Rng(5);
        int rude = 0, other = 0;
        for (int i = 0; i < 2000; i++) {
            Task t = TaskFamilies.sample(rng);
            String refusal = ResponseGenerator.generate(t, ResponseGenerator.Style.REFUSES, rng);
            Judgement j = Judge.judge(t, refusal);
            double ideal = Judge.judge(t, t.familyImpl().ideal(t)).quality();
            if (t.family().equals(RudeRequestFamily.NAME)) {
                rude++;
                assertThat(j.correct()).as("%s -> %s", t.instruction(), refusal).isTrue();
            } else {
                other++;
                // Nothing of what was asked: no credit, no attempt (and a list of nothing breaks the list's constraint).
                assertThat(j.quality()).as("%s -> %s", t.instruction(), refusal)
                        .isLessThanOrEqualTo(ideal - Criteria.DEFAULT.credit() - Criteria.DEFAULT.attempts());
            }
        }
        assertThat(rude).isPositive();
        assertThat(other).isPositive();
    }

    @Test
    void aSentenceAboutSomethingElseIsWellBelowTheIdealForAnyTaskButARudeRequest() {
        Rng rng = new Rng(7);
        for (int i = 0; i < 2000; i++) {
            Task t = TaskFamilies.sample(rng);
            if (t.family().equals(RudeRequestFamily.NAME)) continue; // not insulting is already half right there
            String offTopic = ResponseGenerator.generate(t, ResponseGenerator.Style.OFF_TOPIC, rng);
            double ideal = Judge.judge(t, t.familyImpl().ideal(t)).quality();
            assertThat(Judge.judge(t, offTopic).quality()).as("%s -> %s", t.instruction(), offTopic)
                    .isLessThanOrEqualTo(ideal - Criteria.DEFAULT.credit());
        }
    }

    @Test
    void typicalCandidatesIncludeEveryStyle() {
        Rng rng = new Rng(6);
        java.util.EnumSet<ResponseGenerator.Style> seen = java.util.EnumSet.noneOf(ResponseGenerator.Style.class);
        for (int i = 0; i < 2000; i++) seen.add(ResponseGenerator.sampleStyle(rng));
        assertThat(seen).containsExactlyInAnyOrder(ResponseGenerator.Style.values());
    }
}
