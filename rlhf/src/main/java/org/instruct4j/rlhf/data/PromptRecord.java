package org.instruct4j.rlhf.data;

/** A prompt alone (PPO and evaluation prompts). JSONL: {"prompt": ...}. */
public record PromptRecord(String prompt) implements HasPrompt {}
