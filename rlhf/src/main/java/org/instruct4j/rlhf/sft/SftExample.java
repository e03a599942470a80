package org.instruct4j.rlhf.sft;

import java.util.Arrays;
import java.util.function.Function;
import org.instruct4j.rlhf.data.Demonstration;
import org.instruct4j.rlhf.train.Sequences;

/** A demonstration as tokens: the prompt, and the completion ending with end-of-text (the model learns to stop). */
public record SftExample(int[] prompt, int[] completion) {
    public static SftExample of(Demonstration d, Function<String, int[]> encode, int endOfText) {
        int[] c = encode.apply(d.completion());
        int[] withEot = Arrays.copyOf(c, c.length + 1);
        withEot[c.length] = endOfText;
        return new SftExample(encode.apply(d.prompt()), withEot);
    }

    /** Prompt + completion cut to maxLen tokens ({@link Sequences#fit}: the prompt loses its start, the completion its end). */
    int[] sequence(int maxLen) { return Sequences.fit(prompt, completion, maxLen); }

    /** The first position whose next token is the completion's: the loss counts from there (never position 0). */
    int lossFrom(int maxLen) { return Math.max(1, Sequences.fittedPromptLength(prompt.length, completion.length, maxLen)); }
}
