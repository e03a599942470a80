package org.instruct4j.rlhf.data;

/** One SFT example: a prompt and the response a labeler wrote for it. JSONL: {"prompt": ..., "completion": ...}. */
public record Demonstration(String prompt, String completion) implements HasPrompt {}
