package org.instruct4j.rlhf.data;

import java.util.function.ToIntFunction;

/**
 * How strictly to read a JSONL file.
 *
 * @param skipBad         skip bad lines (and count them) instead of failing on the first one
 * @param promptTokens    measures a prompt in tokens (usually the tokenizer's encode(...).length); null: no limit
 * @param maxPromptTokens the longest prompt accepted, in the units of promptTokens
 */
public record ReadOptions(boolean skipBad, ToIntFunction<String> promptTokens, int maxPromptTokens) {

    /** Fail on the first bad line; no prompt-length limit. */
    public static ReadOptions strict() { return new ReadOptions(false, null, Integer.MAX_VALUE); }

    /** Skip bad lines; no prompt-length limit. */
    public static ReadOptions skipping() { return new ReadOptions(true, null, Integer.MAX_VALUE); }

    /** The same options with a prompt-length limit: prompts longer than maxTokens are bad lines. */
    public ReadOptions withMaxPromptTokens(ToIntFunction<String> tokens, int maxTokens) {
        if (maxTokens <= 0) throw new IllegalArgumentException("maxPromptTokens must be positive, got " + maxTokens);
        return new ReadOptions(skipBad, tokens, maxTokens);
    }

    /** Null when the prompt is acceptable, else why not. */
    String checkPrompt(String prompt) {
        if (promptTokens == null) return null;
        int n = promptTokens.applyAsInt(prompt);
        return n > maxPromptTokens ? "prompt has " + n + " tokens, more than the limit of " + maxPromptTokens : null;
    }
}
