package org.instruct4j.rlhf.sft;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The loss of a demonstration cut to the context starts at its completion's first kept token, never in the prompt. */
class SftExampleTest {
    /** Prompt tokens 1000.., completion tokens 1..: which is which can be read off any kept token. */
    private static SftExample example(int promptLength, int completionLength) {
        return new SftExample(IntStream.range(1000, 1000 + promptLength).toArray(), IntStream.range(1, 1 + completionLength).toArray());
    }

    private static void assertLossCoversTheCompletionOnly(SftExample e, int maxLen) {
        int[] s = e.sequence(maxLen);
        int from = e.lossFrom(maxLen);
        assertThat(s.length).isLessThanOrEqualTo(maxLen);
        assertThat(Arrays.stream(s, 0, from).allMatch(t -> t >= 1000)).as("before the loss: the prompt's end").isTrue();
        assertThat(s[from]).as("the first counted target: the completion's first token").isEqualTo(1);
        assertThat(Arrays.stream(s, from, s.length).allMatch(t -> t < 1000)).as("the counted targets: the completion's").isTrue();
    }

    @Test void aDemonstrationThatFitsCountsItsWholeCompletion() {
        assertLossCoversTheCompletionOnly(example(10, 20), 50);
        assertThat(example(10, 20).lossFrom(50)).isEqualTo(10);
    }

    @Test void aLongCompletionIsCutAtItsEndAndTheLossStillStartsWhereItBegins() {
        assertLossCoversTheCompletionOnly(example(10, 100), 50);
        assertThat(example(10, 100).lossFrom(50)).isEqualTo(10);
    }

    @Test void aLongPromptIsCutAtItsStart() {
        assertLossCoversTheCompletionOnly(example(100, 30), 50);
        assertThat(example(100, 30).lossFrom(50)).isEqualTo(25);
    }
}
