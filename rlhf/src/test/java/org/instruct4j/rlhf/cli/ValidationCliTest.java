package org.instruct4j.rlhf.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Held-out losses as a user reads them: `pretrain --validation` measures the loss on a text kept out of training
 * at the steps it says, without changing the training; `sft` and `rm` log their validation at each epoch's end and
 * nothing where no validation file was given; `eval --text` prints the same loss as pretraining's last validation.
 */
class ValidationCliTest {
    @TempDir Path dir;
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void pretrainMeasuresTheHeldOutLossWithoutChangingTheTraining() throws Exception {
        String corpus = write("corpus.txt", CatCorpus.documents(40)), heldOut = write("held-out.txt", CatCorpus.documents(100, 12));
        String[] plain = {"pretrain", "--text", corpus, "--vocab", "280", "--context", "32", "--steps", "10", "--batch", "4"};
        assertThat(Main.run(with(plain, "--out", path("plain")))).isZero();
        String printed = CommandOutput.stdout(() -> Main.run(with(plain, "--out", path("validated"), "--validation", heldOut, "--eval-every", "4")));

        assertThat(sha256(dir.resolve("validated/model.safetensors"))).as("the same training with a validation text")
                .isEqualTo(sha256(dir.resolve("plain/model.safetensors")));
        List<Long> steps = new ArrayList<>();
        List<Double> losses = new ArrayList<>();
        for (JsonNode line : metrics("validated"))
            if (line.has("val_loss")) {
                steps.add(line.get("step").asLong());
                losses.add(line.get("val_loss").asDouble());
            }
        assertThat(steps).as("before the first step, every 4 steps and after the last").containsExactly(0L, 4L, 8L, 10L);
        assertThat(losses.get(0)).as("an untrained model's loss is about ln(vocabulary)").isBetween(Math.log(280) - 0.5, Math.log(280) + 0.5);
        assertThat(losses.get(3)).as("training on similar text lowers the held-out loss").isLessThan(losses.get(0) - 0.5);
        assertThat(metrics("plain")).noneMatch(line -> line.has("val_loss"));
        assertThat(printed).contains(String.format("pretrain: validation loss %.4f; model in ", losses.get(3)));

        String evaluated = CommandOutput.stdout(() -> Main.run(new String[] {"eval", "--model", path("validated"), "--text", heldOut}));
        assertThat(evaluated).as("eval --text reads the held-out text as pretraining's validation did")
                .startsWith(String.format("lm_loss %.5f per token", losses.get(3)));
    }

    @Test
    void evalEveryNeedsAValidationText() throws Exception {
        String corpus = write("corpus.txt", CatCorpus.documents(10));
        assertThatThrownBy(() -> new PretrainCommand().run(new String[] {"--text", corpus, "--out", path("lm"), "--eval-every", "5"}))
                .isInstanceOf(UserError.class).hasMessage("--eval-every needs --validation FILE, the text to measure the loss on");
        String empty = write("empty.txt", "\n\n");
        assertThatThrownBy(() -> new PretrainCommand().run(new String[] {"--text", corpus, "--out", path("lm"), "--vocab", "270",
                "--context", "16", "--steps", "2", "--batch", "1", "--validation", empty}))
                .isInstanceOf(UserError.class).hasMessageContaining("empty.txt: no text to validate on");
        assertThat(dir.resolve("lm")).doesNotExist();
    }

    @Test
    void sftAndRmLogTheirValidationAtEachEpochsEndAndNothingWithoutIt() throws Exception {
        String corpus = write("corpus.txt", CatCorpus.documents(40));
        String demos = write("demos.jsonl", """
                {"prompt": "cat?", "completion": " the cat sat"}
                {"prompt": "mat?", "completion": " on the mat"}
                """);
        String ranks = write("ranks.jsonl", """
                {"prompt": "cat?", "completions": [" the cat", " mat mat", " sat"], "ranking": [0, 2, 1]}
                {"prompt": "mat?", "chosen": " on the mat", "rejected": " cat cat"}
                """);
        assertThat(Main.run(new String[] {"pretrain", "--text", corpus, "--out", path("lm"), "--vocab", "280", "--context", "32",
                "--steps", "4", "--batch", "4"})).isZero();

        String sftPrinted = CommandOutput.stdout(() -> Main.run(new String[] {"sft", "--model", path("lm"), "--data", demos,
                "--validation", demos, "--out", path("sft"), "--epochs", "3", "--batch", "1", "--lr", "1e-3"}));
        assertThat(metrics("sft").stream().filter(l -> l.has("val_loss")).map(l -> l.get("step").asLong())).containsExactly(2L, 4L, 6L);
        assertThat(sftPrinted).containsPattern("sft: validation loss \\d+\\.\\d{4} at epoch [123] of 3, the best, whose weights are kept");
        String sftPlain = CommandOutput.stdout(() -> Main.run(new String[] {"sft", "--model", path("lm"), "--data", demos,
                "--out", path("sft-plain"), "--epochs", "2", "--batch", "1", "--lr", "1e-3"}));
        assertThat(sftPlain).contains("sft: no validation demonstrations (--validation): the last epoch's weights");
        assertThat(Files.readString(dir.resolve("sft-plain-metrics.jsonl"))).doesNotContain("null").doesNotContain("val_loss");

        assertThat(Main.run(new String[] {"rm", "--model", path("sft"), "--data", ranks, "--validation", ranks, "--out", path("rm"),
                "--epochs", "3", "--batch", "1"})).isZero();
        assertThat(metrics("rm").stream().filter(l -> l.has("val_accuracy")).map(l -> l.get("step").asLong())).containsExactly(2L, 4L, 6L);
        assertThat(Main.run(new String[] {"rm", "--model", path("sft"), "--data", ranks, "--out", path("rm-plain"), "--batch", "1"})).isZero();
        assertThat(Files.readString(dir.resolve("rm-plain-metrics.jsonl"))).doesNotContain("null").doesNotContain("val_accuracy");
    }

    private String write(String name, String content) throws Exception {
        Files.writeString(dir.resolve(name), content);
        return path(name);
    }

    private String path(String name) { return dir.resolve(name).toString(); }

    private static String[] with(String[] args, String... more) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }

    private List<JsonNode> metrics(String run) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve(run + "-metrics.jsonl"))) out.add(JSON.readTree(line));
        return out;
    }

    private static String sha256(Path f) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f)));
    }
}
