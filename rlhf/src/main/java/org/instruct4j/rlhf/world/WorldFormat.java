package org.instruct4j.rlhf.world;

import java.util.List;

/**
 * The one prompt template of the world. A prompt is "Instruction: ...\nResponse:" and the completion starts with
 * a space (" The answer is 7."), so the first response word is BPE-tokenized the same way it is in running text.
 */
public final class WorldFormat {
    private WorldFormat() {}

    /** The template's last line, after which the model answers. */
    public static final String RESPONSE_CUE = "Response:";

    /** The template; %s is the instruction. */
    public static final String TEMPLATE = "Instruction: %s\n" + RESPONSE_CUE;

    /** GPT-2's document separator; pretrain.txt puts it after every document. */
    public static final String END_OF_TEXT = "<|endoftext|>";

    /** Prepended to an instruction to ask for politeness (the paper's "respectful" toxicity prompts). */
    public static final String POLITE_PREFIX = "Please be polite. ";

    /** The prompt for an instruction. */
    public static String prompt(String instruction) { return TEMPLATE.formatted(instruction); }

    /** A response as it follows the prompt in training data: with its leading space. */
    public static String completion(String response) { return " " + response.strip(); }

    /** The heading an answer key may start with (in the pretraining text and in GPT-prompted's prefix). */
    public static final String ANSWER_KEY_HEADING = "Answers to the exercises.";

    /** One exercise of an answer key, without its newline: "3. Add 4 and 4. Answer: The answer is 8." */
    public static String answerKeyLine(int number, String instruction, String answer) {
        return number + ". " + instruction + " Answer:" + completion(answer);
    }

    /** One solved example for a few-shot prefix. */
    public record Example(String instruction, String response) {}

    /**
     * The "GPT-prompted" baseline's prompt: an answer key, the form in which the pretraining text shows solved
     * exercises, with the examples solved and the instruction left open after "Answer:". A pretrained model never
     * sees the instruction template, so a prefix in that template teaches it nothing (measured: docs/REPRODUCTION.md);
     * one in a form it knows puts it into answering, as a few-shot prefix does for GPT-3.
     */
    public static String fewShotPrompt(List<Example> examples, String instruction) {
        StringBuilder sb = new StringBuilder(ANSWER_KEY_HEADING).append('\n');
        for (int i = 0; i < examples.size(); i++)
            sb.append(answerKeyLine(i + 1, examples.get(i).instruction(), examples.get(i).response())).append('\n');
        return sb.append(examples.size() + 1).append(". ").append(instruction).append(" Answer:").toString();
    }
}
