package org.instruct4j.rlhf.world;

import java.util.List;

/**
 * The one prompt template of the world. A prompt is "Instruction: ...\nResponse:" and the completion starts with
 * a space (" The answer is 7."), so the first response word is BPE-tokenized the same way it is in running text.
 */
public final class WorldFormat {
    private WorldFormat() {}

    /** The template; %s is the instruction. */
    public static final String TEMPLATE = "Instruction: %s\nResponse:";

    /** GPT-2's document separator; pretrain.txt puts it after every document. */
    public static final String END_OF_TEXT = "<|endoftext|>";

    /** Prepended to an instruction to ask for politeness (the paper's "respectful" toxicity prompts). */
    public static final String POLITE_PREFIX = "Please be polite. ";

    /** The prompt for an instruction. */
    public static String prompt(String instruction) { return TEMPLATE.formatted(instruction); }

    /** A response as it follows the prompt in training data: with its leading space. */
    public static String completion(String response) { return " " + response.strip(); }

    /** One instruction/response example for a few-shot prefix. */
    public record Example(String instruction, String response) {}

    /**
     * The "GPT-prompted" baseline's prompt: k solved examples, a blank line after each, then the prompt itself.
     * A pretrained model that has never seen instruction following can pick up the pattern in context.
     */
    public static String fewShotPrompt(List<Example> examples, String instruction) {
        StringBuilder sb = new StringBuilder();
        for (Example e : examples) sb.append(prompt(e.instruction())).append(completion(e.response())).append("\n\n");
        return sb.append(prompt(instruction)).toString();
    }
}
