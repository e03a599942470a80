package org.instruct4j.rlhf.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * generate and eval answer a prompts file a batch at a time (the KV cache of a large file at once ran out of heap):
 * every prompt is answered once, in order, and greedy answers do not depend on how the prompts are batched.
 */
class BatchesCliTest {
    @TempDir Path dir;

    @Test
    void everyPromptIsAnsweredOnceInOrderWhateverTheBatch() throws Exception {
        StringBuilder prompts = new StringBuilder();
        String[] asked = {"cat?", "the mat", "number 3", "sat on", "the cat sat on the"};
        for (String p : asked) prompts.append("{\"prompt\": \"").append(p).append("\"}\n");
        Files.writeString(dir.resolve("corpus.txt"), CatCorpus.documents(40));
        Files.writeString(dir.resolve("prompts.jsonl"), prompts);
        Files.writeString(dir.resolve("ranks.jsonl"), "{\"prompt\": \"cat?\", \"chosen\": \" the cat\", \"rejected\": \" mat mat\"}\n");
        String d = dir.toString();
        assertThat(Main.run(new String[] {"pretrain", "--text", d + "/corpus.txt", "--out", d + "/lm", "--vocab", "280",
                "--context", "32", "--steps", "4", "--batch", "4"})).isZero();
        assertThat(Main.run(new String[] {"rm", "--model", d + "/lm", "--data", d + "/ranks.jsonl", "--out", d + "/rm", "--batch", "1"})).isZero();

        String[] greedy = {"generate", "--model", d + "/lm", "--prompts", d + "/prompts.jsonl", "--greedy", "--max-new", "6"};
        String inTwos = CommandOutput.stdout(() -> Main.run(with(greedy, "--batch", "2")));
        String together = CommandOutput.stdout(() -> Main.run(greedy));
        assertThat(inTwos).isEqualTo(together);
        String[] answers = inTwos.split("---\n");
        assertThat(answers).hasSize(asked.length);
        for (int i = 0; i < asked.length; i++) assertThat(answers[i]).startsWith(asked[i]);

        String scored = CommandOutput.stdout(() -> Main.run(new String[] {"eval", "--model", d + "/lm", "--reward", d + "/rm",
                "--prompts", d + "/prompts.jsonl", "--max-new", "4", "--batch", "2"}));
        assertThat(scored).matches("mean_reward -?\\d+\\.\\d{5} over 5 prompts\\R");
    }

    private static String[] with(String[] args, String... more) {
        String[] all = java.util.Arrays.copyOf(args, args.length + more.length);
        System.arraycopy(more, 0, all, args.length, more.length);
        return all;
    }
}
