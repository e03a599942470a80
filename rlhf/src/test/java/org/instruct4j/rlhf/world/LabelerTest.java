package org.instruct4j.rlhf.world;

import org.instruct4j.engine.Rng;
import org.instruct4j.rlhf.data.Ranking;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class LabelerTest {
    private static final List<ResponseSet> SETS = ResponseGenerator.responseSets(400, 6, new Rng(101));

    @Test
    void trainingLabelersAgreeAboutSeventyThreePercent() {
        double agreement = Labeler.agreement(Labeler.training(5, 7), SETS, new Rng(102));
        assertThat(agreement).isCloseTo(0.73, within(0.05));
    }

    @Test
    void heldOutLabelersAgreeWithTrainingLabelersAtASimilarRate() {
        List<Labeler> train = Labeler.training(5, 7), heldOut = Labeler.heldOut(3, 8);
        assertThat(Labeler.agreement(train, heldOut, SETS, new Rng(103))).isCloseTo(0.73, within(0.06));
        assertThat(Labeler.agreement(heldOut, SETS, new Rng(104))).isCloseTo(0.73, within(0.06));
        assertThat(heldOut.getFirst().criteria()).isNotEqualTo(train.getFirst().criteria());
    }

    @Test
    void calibrationFindsTheNoiseThatGivesTheTargetAgreement() {
        List<ResponseSet> sets = SETS.subList(0, 100);
        double noise = Labeler.calibrateNoise(Criteria.DEFAULT, 4, 0.73, sets, 5);
        assertThat(noise).isCloseTo(Labeler.TRAINING_NOISE, within(0.4));
        double lessNoise = Labeler.calibrateNoise(Criteria.DEFAULT, 4, 0.85, sets, 5);
        assertThat(lessNoise).isLessThan(noise);
    }

    @Test
    void noiselessLabelersAgreeAlmostAlways() {
        List<Labeler> exact = List.of(new Labeler("a", Criteria.DEFAULT, 0), new Labeler("b", Criteria.DEFAULT, 0));
        assertThat(Labeler.agreement(exact, SETS, new Rng(1))).isGreaterThan(0.95);
    }

    @Test
    void prefersIsTheChanceThatOneNoisyReadingOfEachRanksThemSo() {
        Labeler labeler = Labeler.training(1, 11).getFirst();
        Rng rng = new Rng(12);
        for (ResponseSet set : SETS.subList(0, 30)) {
            String a = set.responses().get(0), b = set.responses().get(1);
            int wins = 0, n = 4000;
            for (int i = 0; i < n; i++) {
                double sa = labeler.noisyScore(set.task(), a, rng), sb = labeler.noisyScore(set.task(), b, rng);
                if (sa > sb) wins++;
            }
            double p = labeler.prefers(set.task(), a, b);
            if (a.strip().equals(b.strip())) assertThat(p).isEqualTo(0.5);
            else assertThat(p).as("%s | %s vs %s", set.task().instruction(), a, b).isCloseTo(wins / (double) n, within(0.03));
            assertThat(labeler.prefers(set.task(), b, a)).isCloseTo(1 - p, within(1e-9));
        }
    }

    @Test
    void gaussianCdfMatchesKnownValues() {
        assertThat(Gaussian.cdf(0)).isCloseTo(0.5, within(1e-7));
        assertThat(Gaussian.cdf(1.959964)).isCloseTo(0.975, within(1e-6));
        assertThat(Gaussian.cdf(-1)).isCloseTo(0.1586553, within(1e-6));
        assertThat(Gaussian.cdf(3)).isCloseTo(0.9986501, within(1e-6));
    }

    @Test
    void rankPutsBetterResponsesFirstOnAverage() {
        Labeler labeler = Labeler.training(1, 9).getFirst();
        Rng rng = new Rng(10);
        int idealFirst = 0, n = 300;
        for (int i = 0; i < n; i++) {
            Task t = TaskFamilies.sample(rng);
            List<String> responses = List.of(t.familyImpl().wrong(t, rng), t.familyImpl().ideal(t), "What a dumb question.");
            if (labeler.rank(t, responses, rng).getFirst() == 1) idealFirst++;
        }
        assertThat(idealFirst / (double) n).isGreaterThan(0.7);
    }

    @Test
    void rankResponsesTiesIdenticalCandidatesAndIsDeterministic() {
        Task t = TaskFamilies.byName(ArithmeticFamily.NAME).generate(new Rng(4));
        List<String> candidates = List.of(" The answer is 99.", " " + t.familyImpl().ideal(t), " The answer is 99. ", " Go away, idiot.");
        Labeler labeler = Labeler.training(2, 3).getFirst();
        Ranking r = World.rankResponses(t, candidates, labeler, new Rng(5));
        assertThat(r.prompt()).isEqualTo(t.prompt());
        assertThat(r.completions()).isEqualTo(candidates);
        assertThat(r.tiers()).anySatisfy(tier -> assertThat(tier).containsExactlyInAnyOrder(0, 2));
        assertThat(r.pairs()).noneMatch(p -> (p.winner() == 0 && p.loser() == 2) || (p.winner() == 2 && p.loser() == 0));
        assertThat(World.rankResponses(t, candidates, labeler, new Rng(5))).isEqualTo(r);
    }
}
