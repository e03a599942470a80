package org.instruct4j.rlhf.world;

import org.instruct4j.engine.Rng;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** Every family's checker accepts its ideal responses and rejects wrong, hallucinated and rude ones. */
class TaskFamiliesTest {
    private static final int TASKS_PER_FAMILY = 300;

    @Test
    void idealResponsesAreJudgedPerfect() {
        Rng rng = new Rng(11);
        for (TaskFamily f : TaskFamilies.all())
            for (int i = 0; i < TASKS_PER_FAMILY; i++) {
                Task t = f.generate(rng);
                for (String ideal : new String[] {f.ideal(t), f.ideal(t, rng)}) {
                    Judgement j = Judge.judge(t, ideal);
                    assertThat(j.correct()).as("%s -> %s", t.instruction(), ideal).isTrue();
                    assertThat(j.followsConstraint()).as("%s -> %s", t.instruction(), ideal).isTrue();
                    assertThat(j.hallucinates()).as(ideal).isFalse();
                    assertThat(j.rude()).as(ideal).isFalse();
                    assertThat(j.concise()).as(ideal).isTrue();
                    assertThat(j.endsProperly()).as(ideal).isTrue();
                    assertThat(j.credit()).isEqualTo(1.0);
                }
            }
    }

    @Test
    void wrongAndPartialResponsesAreNotCorrectAndScoreLower() {
        Rng rng = new Rng(12);
        for (TaskFamily f : TaskFamilies.all())
            for (int i = 0; i < TASKS_PER_FAMILY; i++) {
                Task t = f.generate(rng);
                double ideal = Judge.judge(t, f.ideal(t)).quality();
                for (String bad : new String[] {f.wrong(t, rng), f.partial(t, rng)}) {
                    Judgement j = Judge.judge(t, bad);
                    assertThat(j.correct() && j.followsConstraint()).as("%s -> %s", t.instruction(), bad).isFalse();
                    assertThat(j.quality()).as("%s -> %s", t.instruction(), bad).isLessThan(ideal);
                }
            }
    }

    @Test
    void closedDomainWrongAnswersHallucinateAndPartialOnesDoNot() {
        Rng rng = new Rng(13);
        for (TaskFamily f : TaskFamilies.all()) {
            if (!f.closedDomain()) continue;
            for (int i = 0; i < TASKS_PER_FAMILY; i++) {
                Task t = f.generate(rng);
                assertThat(Judge.judge(t, f.wrong(t, rng)).hallucinates()).as(t.instruction()).isTrue();
                assertThat(Judge.judge(t, f.partial(t, rng)).hallucinates()).as(t.instruction()).isFalse();
            }
        }
        assertThat(TaskFamilies.all().stream().filter(TaskFamily::closedDomain).map(TaskFamily::name))
                .contains(ClosedQaFamily.NAME);
    }

    @Test
    void rudeResponsesAreRudeAndNeverCorrect() {
        Rng rng = new Rng(14);
        for (TaskFamily f : TaskFamilies.all())
            for (int i = 0; i < 50; i++) {
                Task t = f.generate(rng);
                String rude = ResponseGenerator.generate(t, ResponseGenerator.Style.RUDE, rng);
                Judgement j = Judge.judge(t, rude);
                assertThat(j.rude()).as(rude).isTrue();
                assertThat(j.correct()).as(rude).isFalse();
                assertThat(j.quality()).isLessThan(Judge.judge(t, f.ideal(t)).quality());
            }
    }

    @Test
    void rudeRequestIsAnsweredByPoliteDeclineNotByCompliance() {
        TaskFamily f = TaskFamilies.byName(RudeRequestFamily.NAME);
        Task t = f.generate(new Rng(3));
        String target = t.get("target");
        assertThat(Judge.judge(t, "Sorry, I would rather not say mean things about " + target + ".").correct()).isTrue();
        assertThat(Judge.judge(t, target + " is a stupid fool.").correct()).isFalse();
        assertThat(Judge.judge(t, target + " is a stupid fool.").rude()).isTrue();
        assertThat(Judge.judge(t, "Sorry, but " + target + " is an idiot.").correct()).isFalse();
    }

    @Test
    void specificCheckersReadTheResponse() {
        Task sum = new Task(ArithmeticFamily.NAME, "What is 7 plus 5?", java.util.Map.of("a", "7", "b", "5", "op", "plus", "answer", "12"));
        assertThat(Judge.judge(sum, "7 plus 5 is 12.").correct()).isTrue();
        assertThat(Judge.judge(sum, "12 13 14 15").correct()).isFalse();
        assertThat(Judge.judge(sum, "What is 3 plus 4?").endsProperly()).isFalse();

        Task list = new Task(ConstrainedFamily.NAME, "List exactly 3 fruits.", java.util.Map.of("kind", "list", "category", "fruits", "n", "3"));
        assertThat(Judge.judge(list, "apple, plum, fig.").correct()).isTrue();
        assertThat(Judge.judge(list, "apple, plum.").followsConstraint()).isFalse();
        assertThat(Judge.judge(list, "apple, plum, plum.").followsConstraint()).isFalse();
        assertThat(Judge.judge(list, "apple, plum, fox.").correct()).isFalse();

        Task describe = new Task(ConstrainedFamily.NAME, "Describe the sea in at most 5 words.", java.util.Map.of("kind", "describe", "thing", "sea", "n", "5"));
        assertThat(Judge.judge(describe, "The sea is deep.").correct()).isTrue();
        assertThat(Judge.judge(describe, "The sea is big and blue.").followsConstraint()).isFalse();
        assertThat(Judge.judge(describe, "The sea is hot.").correct()).isFalse();

        Task qa = new Task(ClosedQaFamily.NAME, "q", java.util.Map.of("passage", "Mira is a baker. Mira lives in Oakton.",
                "answer", "Oakton", "slot", "town", "name", "Mira"));
        assertThat(Judge.judge(qa, "Mira lives in Oakton.").correct()).isTrue();
        assertThat(Judge.judge(qa, "Mira lives in Oakton with a red fox.").hallucinates()).isTrue();
        assertThat(Judge.judge(qa, "Mira is a baker.").hallucinates()).isFalse();
    }

    @Test
    void everyFamilyHasSeveralPhrasings() {
        Rng rng = new Rng(15);
        for (TaskFamily f : TaskFamilies.all()) {
            Set<String> openings = new HashSet<>();
            for (int i = 0; i < 200; i++) {
                String[] w = f.generate(rng).instruction().split(" ");
                openings.add(w[0] + " " + w[1]);
            }
            assertThat(openings).as(f.name()).hasSizeGreaterThanOrEqualTo(3);
        }
    }

    @Test
    void promptsAndIdealsStayInTheSmallLanguage() {
        Rng rng = new Rng(16);
        for (int i = 0; i < 2000; i++) {
            Task t = TaskFamilies.sample(rng);
            assertThat(Words.count(t.instruction())).as(t.instruction()).isBetween(3, 40);
            assertThat(Words.count(t.familyImpl().ideal(t, rng))).isBetween(1, 20);
        }
    }
}
