package org.instruct4j.rlhf.demo;

import static org.assertj.core.api.Assertions.assertThat;

import org.instruct4j.rlhf.eval.WinRate;
import org.junit.jupiter.api.Test;

class ReportMarkdownTest {
    @Test
    void anAnswerStaysOnOneLineWithItsControlCharactersEscaped() {
        assertThat(ReportMarkdown.printable("PINK PIG.")).isEqualTo("PINK PIG.");
        assertThat(ReportMarkdown.printable("one\ntwo")).isEqualTo("one \\n two");
        assertThat(ReportMarkdown.printable("a\u0000b\u0016c\u007fd\te")).isEqualTo("a\\x00b\\x16c\\x7fd\\x09e");
        assertThat(ReportMarkdown.printable("caf\u00e9 \u2713")).isEqualTo("caf\u00e9 \u2713");
    }

    @Test
    void anEmptyAnswerSaysItIsEmpty() {
        // It read "- PPO:  *(wrong)*", as if the answer had been lost.
        assertThat(ReportMarkdown.shown("")).isEqualTo("*(empty)*");
        assertThat(ReportMarkdown.shown(" \n ")).isEqualTo("*(empty)*");
        assertThat(ReportMarkdown.shown(" It is 10.\n")).isEqualTo("It is 10.");
    }

    @Test
    void theWeightsLineSaysPlainlyWhatTheSameSha256Means() {
        assertThat(ReportMarkdown.weights("gpt ff349e9e, sft 8c4cfad0"))
                .startsWith("The weights' sha256 (the first 8 hex digits; in full in report.json): gpt ff349e9e, sft 8c4cfad0. ")
                .contains("A run whose report lists the same sha256 made the same models bit for bit")
                .doesNotContain("gives the same made");
    }

    @Test
    void theAnswerKeysNoteMakesNoClaimItsFiguresContradict() {
        // The quick run's answer key wins 97.0%: "it stays well below 100%" was wrong there, and "the SFT model's
        // answer is often right too" with 0.8% of SFT's answers right.
        String quick = ReportMarkdown.answerKey(0.970, 0.008, 0.708);
        assertThat(quick).contains("It wins 97.0% here (training labelers), not 100%", "agree on 70.8% of comparisons", "(0.8% of SFT's answers are right)")
                .doesNotContain("well below", "often right");
        assertThat(ReportMarkdown.answerKey(0.699, 0.635, 0.732)).contains("It wins 69.9% here", "(63.5% of SFT's answers are right)");
    }

    @Test
    void theVerdictOnRlhfFollowsTheIntervals() {
        // The quick run: both intervals contain 50%, once called a partial win.
        String level = ReportMarkdown.rlhfVersusSft(win(0.492, 0.032), win(0.525, 0.031), win(0.970, 0.007));
        assertThat(level).startsWith("**RLHF does not beat SFT** in this run: PPO-ptx's 49.2% [46.0, 52.4] and PPO's 52.5% [49.4, 55.6] "
                + "against SFT are not distinguishable from 50%").doesNotContain("partly", "wins 49.2%");
        assertThat(ReportMarkdown.rlhfVersusSft(win(0.638, 0.019), win(0.641, 0.019), win(0.699, 0.017)))
                .startsWith("**RLHF beats SFT** in this run too: PPO-ptx wins 63.8% [61.9, 65.7] and PPO 64.1% [62.2, 66.0] against SFT, "
                        + "where the world's ideal answers would win 69.9%");
        assertThat(ReportMarkdown.rlhfVersusSft(win(0.492, 0.032), win(0.545, 0.031), win(0.970, 0.007)))
                .startsWith("**RLHF beats SFT** only partly in this run: PPO-ptx's 49.2% [46.0, 52.4] against SFT is not distinguishable "
                        + "from 50%").contains("while PPO wins 54.5% [51.4, 57.6] against SFT");
        assertThat(ReportMarkdown.rlhfVersusSft(win(0.45, 0.03), win(0.52, 0.03), win(0.9, 0.01)))
                .startsWith("**RLHF does not beat SFT** in this run: PPO-ptx loses to SFT, 45.0% [42.0, 48.0] (the interval lies below 50%), "
                        + "while PPO's 52.0% [49.0, 55.0] against SFT is not distinguishable from 50%");
        assertThat(ReportMarkdown.rlhfVersusSft(win(0.45, 0.03), win(0.44, 0.03), win(0.9, 0.01))).startsWith("**RLHF loses to SFT** in this run");
    }

    @Test
    void theVerdictOnThePretrainedModelFollowsTheIntervals() {
        assertThat(ReportMarkdown.pretrainedVersusSft(win(0.414, 0.029), win(0.422, 0.032)))
                .startsWith("**The pretrained model falls behind**: GPT wins 41.4% [38.5, 44.3], GPT-prompted 42.2% [39.0, 45.4]. In the paper");
        assertThat(ReportMarkdown.pretrainedVersusSft(win(0.414, 0.029), win(0.49, 0.032)))
                .startsWith("**The pretrained model falls behind** only partly in this run: GPT loses to SFT, 41.4%")
                .contains("while GPT-prompted's 49.0% [45.8, 52.2] against SFT is not distinguishable from 50%");
        assertThat(ReportMarkdown.pretrainedVersusSft(win(0.48, 0.029), win(0.49, 0.032)))
                .startsWith("**The pretrained model does not fall behind** SFT in this run: GPT's 48.0%");
    }

    @Test
    void heldOutLabelersMatchTheTrainingLabelersOnlyWhereTheIntervalsSaySo() {
        assertThat(ReportMarkdown.heldOutLabelers(win(0.490, 0.030), win(0.492, 0.032)))
                .startsWith("**Held-out labelers** give PPO-ptx a win rate of 49.0% [46.0, 52.0] against SFT, the training labelers 49.2%")
                .endsWith("at about the same rate as the training labelers, as here.");
        assertThat(ReportMarkdown.heldOutLabelers(win(0.55, 0.02), win(0.64, 0.02)))
                .endsWith("while here the held-out labelers' rate is 9.0 points lower.");
    }

    @Test
    void theAlignmentTaxVerdictHoldsForEverySignOfTheRegressions() {
        assertThat(ReportMarkdown.alignmentTax(5.5, 2.6)).isEqualTo("as here, where PPO-ptx keeps less than half of PPO's regression");
        assertThat(ReportMarkdown.alignmentTax(0.152, 0.122)).isEqualTo("while here PPO-ptx keeps 80% of PPO's regression");
        assertThat(ReportMarkdown.alignmentTax(0.1, 0.2)).isEqualTo("which this run does not show");
        assertThat(ReportMarkdown.alignmentTax(0.1, -0.01)).isEqualTo("as here, where PPO-ptx does not regress at all");
        // PPO improving on GPT once read "as here, where PPO-ptx keeps less than half of PPO's regression".
        assertThat(ReportMarkdown.alignmentTax(-0.05, -0.2)).isEqualTo("which this run cannot show: here PPO does not regress");
    }

    /** A win rate over 600 prompts with the given rate and 95% half-width. */
    private static WinRate win(double rate, double halfWidth) {
        int n = 600;
        double variance = n * Math.pow(halfWidth / 1.959964, 2);
        return new WinRate(n, n * rate, (n - 1) * variance + n * rate * rate);
    }
}
