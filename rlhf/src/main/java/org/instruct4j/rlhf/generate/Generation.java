package org.instruct4j.rlhf.generate;

/**
 * One sampled response: its new tokens (the end-of-text token included when it stopped there), each token's
 * log-probability under softmax(logits / temperature), and whether it ended with end-of-text.
 */
public record Generation(int[] tokens, float[] logProbs, boolean endedWithEot) {
    public int length() { return tokens.length; }
}
