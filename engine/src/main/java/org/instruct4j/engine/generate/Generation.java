package org.instruct4j.engine.generate;

/**
 * One sampled response: its new tokens (the end-of-text token included when it stopped there), each token's
 * log-probability under softmax(logits / temperature), and whether it ended with end-of-text.
 */
public record Generation(int[] tokens, float[] logProbs, boolean endedWithEot) {
    public int length() { return tokens.length; }

    /** The answer's tokens, tokens[0, answerLength()): all but the end-of-text it stopped at. */
    public int answerLength() { return endedWithEot ? tokens.length - 1 : tokens.length; }
}
