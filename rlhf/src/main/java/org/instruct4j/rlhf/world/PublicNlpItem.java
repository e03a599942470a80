package org.instruct4j.rlhf.world;

/**
 * One example of the "public NLP" set: text from the pretraining distribution and its held-out continuation
 * (which starts with a space), to measure LM loss and next-token accuracy on the continuation.
 */
public record PublicNlpItem(String text, String continuation) {}
