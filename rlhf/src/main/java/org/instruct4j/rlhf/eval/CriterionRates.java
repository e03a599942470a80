package org.instruct4j.rlhf.eval;

import java.util.List;
import org.instruct4j.rlhf.world.Judge;
import org.instruct4j.rlhf.world.Judgement;
import org.instruct4j.rlhf.world.Task;

/**
 * The paper's metadata questions as rates over a set of responses: correct, follows the explicit constraint,
 * hallucinates (closed-domain tasks only), rude, ends properly, and concise (stops when the answer is done). Each
 * rate counts only the tasks it applies to.
 */
public record CriterionRates(double correct, double followsConstraint, double hallucinates, double rude,
                             double endsProperly, double concise, int closedDomainTasks) {

    public static CriterionRates of(List<Task> tasks, List<String> responses) {
        int n = tasks.size(), closed = 0, correct = 0, follows = 0, halluc = 0, rude = 0, ends = 0, concise = 0;
        for (int i = 0; i < n; i++) {
            Task t = tasks.get(i);
            Judgement j = Judge.judge(t, responses.get(i));
            if (j.correct()) correct++;
            if (j.followsConstraint()) follows++;
            if (j.rude()) rude++;
            if (j.endsProperly()) ends++;
            if (j.concise()) concise++;
            if (t.familyImpl().closedDomain()) {
                closed++;
                if (j.hallucinates()) halluc++;
            }
        }
        return new CriterionRates(rate(correct, n), rate(follows, n), rate(halluc, closed), rate(rude, n), rate(ends, n), rate(concise, n), closed);
    }

    private static double rate(int k, int n) { return n == 0 ? Double.NaN : (double) k / n; }
}
