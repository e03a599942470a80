package org.instruct4j.rlhf.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * generate with --model given twice: each prompt printed once, each model's answer under it after the model's name,
 * and each model answering as it does alone with the same seed (its own random stream, not one shared with the other).
 */
class GenerateSideBySideCliTest {
    @TempDir Path dir;

    @Test
    void eachModelAnswersUnderThePromptAsItWouldAlone() throws Exception {
        Files.writeString(dir.resolve("corpus.txt"), CatCorpus.documents(40));
        String d = dir.toString();
        for (String[] model : new String[][] {{"first", "4"}, {"second", "6"}})
            assertThat(Main.run(new String[] {"pretrain", "--text", d + "/corpus.txt", "--out", d + "/" + model[0], "--vocab", "280",
                    "--context", "32", "--steps", model[1], "--batch", "4"})).isZero();
        String[] asked = {"the cat", "number 3", "sat on the"};
        List<String> ask = new ArrayList<>();
        for (String p : asked) { ask.add("--prompt"); ask.add(p); }
        ask.addAll(List.of("--max-new", "5", "--seed", "7", "--batch", "2"));

        String first = alone(d + "/first", ask), second = alone(d + "/second", ask);
        String both = CommandOutput.stdout(() -> Main.run(with(ask, "generate", "--model", d + "/first", "--model", d + "/second")));

        String[] blocks = both.split("---\n");
        String[] firstAlone = first.split("---\n"), secondAlone = second.split("---\n");
        assertThat(blocks).hasSize(asked.length);
        for (int i = 0; i < asked.length; i++) {
            String[] lines = blocks[i].split("\n");
            assertThat(lines).as("the prompt, then one line per model: %s", blocks[i]).hasSize(3);
            assertThat(lines[0]).isEqualTo(asked[i]);
            assertThat(lines[1]).isEqualTo("  first:  " + firstAlone[i].substring(asked[i].length()).strip());
            assertThat(lines[2]).isEqualTo("  second: " + secondAlone[i].substring(asked[i].length()).strip());
        }
        assertThat(first).isNotEqualTo(second);   // two different models, or the check above could not tell them apart
    }

    /** Folders of the same name are told apart by the shortest ending of their paths; one given twice is numbered. */
    @Test
    void modelsOfTheSameFolderNameAreLabelledApart() throws Exception {
        assertThat(GenerateCommand.labels(List.of("runs/sft", "runs/ppo-ptx"))).containsExactly("sft", "ppo-ptx");
        assertThat(GenerateCommand.labels(List.of("/x/runA/models/ppo-ptx", "/x/runB/models/ppo-ptx", "/x/runA/models/sft")))
                .containsExactly("runA/models/ppo-ptx", "runB/models/ppo-ptx", "sft");
        String here = Path.of("m").toAbsolutePath().toString();
        assertThat(GenerateCommand.labels(List.of("m", here + "/", "./m"))).containsExactly("m (1)", "m (2)", "m (3)");

        Files.writeString(dir.resolve("corpus.txt"), CatCorpus.documents(20));
        String model = dir.resolve("ppo-ptx").toString();
        assertThat(Main.run(new String[] {"pretrain", "--text", dir + "/corpus.txt", "--out", model, "--vocab", "270",
                "--context", "16", "--steps", "1", "--batch", "2"})).isZero();
        String both = CommandOutput.stdout(() -> Main.run(new String[] {"generate", "--model", model, "--model", model, "--prompt", "the cat",
                "--max-new", "2"}));
        assertThat(both.split("\n")).hasSize(4);
        assertThat(both.split("\n")[1]).startsWith("  ppo-ptx (1): ");
        assertThat(both.split("\n")[2]).startsWith("  ppo-ptx (2): ");
    }

    private String alone(String model, List<String> ask) throws Exception {
        return CommandOutput.stdout(() -> Main.run(with(ask, "generate", "--model", model)));
    }

    private static String[] with(List<String> ask, String... first) {
        List<String> all = new ArrayList<>(List.of(first));
        all.addAll(ask);
        return all.toArray(String[]::new);
    }
}
