package org.instruct4j.rlhf.demo;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.instruct4j.rlhf.eval.CapabilityProbes;
import org.instruct4j.rlhf.eval.WinRate;

/**
 * Whether the models can do the tasks, not only answer in the preferred form: the pretrained model's capability
 * probes, each policy's share of correct answers per task family (sampled at the evaluation temperature, and
 * greedy for SFT and PPO-ptx), where PPO-ptx's win rate falls short of the answer key's, family by family, and the
 * paper's headline comparisons, PPO-ptx against GPT and against GPT-prompted.
 *
 * @param correctByFamily policy (or "policy, greedy", "policy, in other words", "policy, in other words, greedy") ->
 *                        family -> share of its held-out tasks answered correctly
 * @param rewardRightness family -> share of held-out tasks where the reward model scores the ideal answer above a
 *                        wrong one of the same form ({@link org.instruct4j.rlhf.eval.RewardRightness})
 * @param winByFamily     family -> PPO-ptx's and the answer key's win rates against SFT on its tasks (training labelers)
 * @param headline        "PPO-ptx vs GPT", "PPO-ptx vs GPT-prompted" -> win rate by the training labelers
 */
public record CapabilitySection(List<CapabilityProbes.Probe> probes, Map<String, Map<String, Double>> correctByFamily,
                                Map<String, Double> rewardRightness, Map<String, FamilyWins> winByFamily,
                                Map<String, WinRate> headline) {

    /** The suffix of a policy's rows for the held-out tasks asked in other words ({@link org.instruct4j.rlhf.world.OtherWordings}). */
    static final String OTHER_WORDS = ", in other words";

    /** One family's win rates against SFT: PPO-ptx's, and the answer key's (the ceiling). */
    public record FamilyWins(WinRate ppoPtx, WinRate answerKey) {
        /** Points of the overall win rate (over all evaluated tasks) the family leaves between PPO-ptx and the ceiling. */
        public double pointsLeft(int allTasks) { return 100 * (answerKey.sum() - ppoPtx.sum()) / allTasks; }
    }

    /** Both win rates per family, from {@link org.instruct4j.rlhf.eval.HeadToHead#byFamily}. */
    public static Map<String, FamilyWins> winByFamily(Map<String, WinRate> ppoPtx, Map<String, WinRate> answerKey) {
        Map<String, FamilyWins> out = new TreeMap<>();
        ppoPtx.forEach((family, w) -> out.put(family, new FamilyWins(w, answerKey.get(family))));
        return out;
    }

    String markdown() {
        StringBuilder s = new StringBuilder("## Can the models do the tasks?\n\n");
        s.append("The pretrained model (GPT), probed in the pretraining text's own form (greedy; the answer word for word, or for "
                + "a list of a kind as many items as announced, each of the kind, none twice):\n\n| probe | passed |\n|---|---|\n");
        for (CapabilityProbes.Probe p : probes) s.append(f("| %s | %.0f%% |%n", p.name(), 100 * p.passed()));
        List<String> families = new ArrayList<>(correctByFamily.values().iterator().next().keySet());
        s.append("\nCorrect answers per task family on the held-out tasks (*in other words*: the same tasks, data and checkers "
                + "asked in wordings that no demonstration, ranking, PPO prompt or pretraining text uses, such as \"How much is 9 "
                + "plus 6?\" or \"Capitalize every letter: ...\"; rlhf/world/OtherWordings; what a person asking in their own "
                + "words meets):\n\n| policy | ").append(String.join(" | ", families))
                .append(" | all |\n|---|").append("---|".repeat(families.size() + 1)).append('\n');
        for (var e : correctByFamily.entrySet()) {
            s.append("| ").append(e.getKey());
            for (String fam : families) s.append(f(" | %.1f%%", 100 * e.getValue().getOrDefault(fam, Double.NaN)));
            s.append(f(" | %.1f%% |%n", 100 * overall(e.getValue())));
        }
        s.append("\nCan the reward model see rightness? The share of held-out tasks where it scores the ideal answer above a wrong "
                + "one of the same form (\"The answer is 23.\" for 12 + 5; another town than the passage's); 50% is blind to it, "
                + "and what the reward model cannot see, PPO cannot learn from it (what a reward model that saw everything would "
                + "add in the same minutes: `demo --ppo-reward labelers`, see README):\n\n| family | ideal above wrong |\n|---|---|\n");
        rewardRightness.forEach((family, rate) -> s.append(f("| %s | %.0f%% |%n", family, 100 * rate)));
        int all = evaluatedTasks();
        s.append("\nWhere PPO-ptx's win rate against SFT stops short of the ceiling, family by family (training labelers). "
                + "*Points left*: how much higher the overall win rate would be if PPO-ptx answered that family's tasks as the "
                + "answer key does; the column sums to the gap between PPO-ptx and the answer key in the table of win rates:\n\n"
                + "| family | tasks | PPO-ptx correct | PPO-ptx win rate | answer key | points left |\n|---|---|---|---|---|---|\n");
        Map<String, Double> right = correctByFamily.get("PPO-ptx");
        winByFamily.forEach((family, w) -> s.append(f("| %s | %d | %.1f%% | %.1f%% | %.1f%% | %.1f |%n", family, w.ppoPtx().n(),
                100 * right.get(family), 100 * w.ppoPtx().rate(), 100 * w.answerKey().rate(), w.pointsLeft(all))));
        s.append("\nThe paper's headline, head to head (training labelers, 95% interval; the paper: 85 +- 3% and 71 +- 4%):\n\n");
        for (var e : headline.entrySet()) s.append(f("- %s: %s%n", e.getKey(), pct(e.getValue())));
        return s.append('\n').toString();
    }

    void printSummary(java.io.PrintStream out) {
        for (var e : headline.entrySet()) out.println(f("  %-25s %s", e.getKey(), pct(e.getValue())));
        out.println(f("  right answers, the world's words / other words: SFT %.1f%% / %.1f%%, PPO-ptx %.1f%% / %.1f%% (sampled)",
                100 * overall(correctByFamily.get("SFT")), 100 * overall(correctByFamily.get("SFT" + OTHER_WORDS)),
                100 * overall(correctByFamily.get("PPO-ptx")), 100 * overall(correctByFamily.get("PPO-ptx" + OTHER_WORDS))));
        StringBuilder p = new StringBuilder("  GPT probes:");
        for (CapabilityProbes.Probe pr : probes) p.append(f(" %s %.0f%%;", pr.name(), 100 * pr.passed()));
        out.println(p);
        int all = evaluatedTasks();
        StringBuilder left = new StringBuilder("  PPO-ptx below the answer key, points of win rate by family:");
        winByFamily.forEach((family, w) -> left.append(f(" %s %.1f;", family, w.pointsLeft(all))));
        out.println(left);
        StringBuilder r = new StringBuilder("  reward model scores the ideal above a wrong answer:");
        rewardRightness.forEach((family, rate) -> r.append(f(" %s %.0f%%;", family, 100 * rate)));
        out.println(r);
    }

    /** The share of all held-out tasks answered right, from the families' shares weighted by their numbers of tasks. */
    private double overall(Map<String, Double> shares) {
        double right = 0;
        for (var e : winByFamily.entrySet()) right += shares.get(e.getKey()) * e.getValue().ppoPtx().n();
        return right / evaluatedTasks();
    }

    /** The held-out tasks the win rates are over, all families together. */
    private int evaluatedTasks() { return winByFamily.values().stream().mapToInt(w -> w.ppoPtx().n()).sum(); }

    private static String pct(WinRate w) { return f("%.1f%% [%.1f, %.1f]", 100 * w.rate(), 100 * w.lower95(), 100 * w.upper95()); }

    private static String f(String format, Object... args) { return String.format(Locale.ROOT, format, args); }
}
