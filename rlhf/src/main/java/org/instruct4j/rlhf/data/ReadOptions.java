package org.instruct4j.rlhf.data;

import java.util.function.ToIntFunction;

/**
 * How strictly to read a JSONL file.
 *
 * @param skipBad         skip bad lines (and count them) instead of failing on the first one
 * @param promptTokens    measures a prompt in tokens (usually the tokenizer's encode(...).length); null: no limit
 * @param maxPromptTokens the longest prompt accepted, in the units of promptTokens
 * @param promptLimitWhy  why the prompt limit is what it is, appended to the message of a prompt over it; may be null
 * @param maxLineBytes    the longest line accepted, in bytes without the line end ({@link #MAX_LINE_BYTES} by default)
 */
public record ReadOptions(boolean skipBad, ToIntFunction<String> promptTokens, int maxPromptTokens, String promptLimitWhy,
                          long maxLineBytes) {

    /** The default line limit, 1 MiB: far above any real record, low enough that a stray binary file fails fast. */
    public static final long MAX_LINE_BYTES = 1L << 20;

    public ReadOptions {
        if (maxLineBytes <= 0) throw new IllegalArgumentException("maxLineBytes must be positive, got " + maxLineBytes);
    }

    /** Fail on the first bad line; no prompt-length limit. */
    public static ReadOptions strict() { return new ReadOptions(false, null, Integer.MAX_VALUE, null, MAX_LINE_BYTES); }

    /** Skip bad lines; no prompt-length limit. */
    public static ReadOptions skipping() { return new ReadOptions(true, null, Integer.MAX_VALUE, null, MAX_LINE_BYTES); }

    /** The same options with a prompt-length limit: prompts longer than maxTokens are bad lines. */
    public ReadOptions withMaxPromptTokens(ToIntFunction<String> tokens, int maxTokens) {
        return withMaxPromptTokens(tokens, maxTokens, null);
    }

    /** {@link #withMaxPromptTokens(ToIntFunction, int)}, saying why in the message (e.g. the model's context). */
    public ReadOptions withMaxPromptTokens(ToIntFunction<String> tokens, int maxTokens, String why) {
        if (maxTokens <= 0) throw new IllegalArgumentException("maxPromptTokens must be positive, got " + maxTokens);
        return new ReadOptions(skipBad, tokens, maxTokens, why, maxLineBytes);
    }

    public ReadOptions withMaxLineBytes(long bytes) {
        return new ReadOptions(skipBad, promptTokens, maxPromptTokens, promptLimitWhy, bytes);
    }

    /** Null when the prompt is acceptable, else why not. */
    String checkPrompt(String prompt) {
        if (promptTokens == null) return null;
        int n = promptTokens.applyAsInt(prompt);
        if (n <= maxPromptTokens) return null;
        return "prompt has " + n + " tokens, more than the limit of " + maxPromptTokens + (promptLimitWhy == null ? "" : " (" + promptLimitWhy + ")");
    }
}
