package org.instruct4j.engine.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.instruct4j.engine.nn.PretrainedTestFolders.CONFIG;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.instruct4j.engine.Device;
import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.io.SafeTensors;
import org.instruct4j.engine.text.BpeTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** load -> save -> load is bit-identical, the saved folder is in transformers' form, and saving is atomic. */
class PretrainedRoundTripTest {
    @TempDir Path dir;

    @Test void loadSaveLoadIsBitIdentical() throws IOException {
        Gpt original = PretrainedTestFolders.randomModel(7);
        Path first = PretrainedTestFolders.write(dir.resolve("hf"), original, true); // BF16 in, F32 out: exact
        Gpt loaded = Pretrained.load(first, Device.CPU);
        Map<String, Tensor> heads = new LinkedHashMap<>();
        heads.put("score.weight", Tensor.of(new float[] {1.5f, -2f, 0.125f, 3f}, 4, 1));
        heads.put("score.bias", Tensor.of(new float[] {-0.75f}, 1));

        Path second = dir.resolve("saved");
        Pretrained.save(second, loaded, heads, null);
        PretrainedModel again = Pretrained.loadWithExtras(second, Device.CPU, null);

        assertThat(again.gpt().config()).isEqualTo(loaded.config());
        for (Map.Entry<String, Tensor> e : loaded.parameters().entrySet())
            assertThat(again.gpt().parameters().get(e.getKey()).toFloatArray()).as(e.getKey()).containsExactly(e.getValue().toFloatArray());
        assertThat(again.extras().keySet()).containsExactly("score.weight", "score.bias");
        for (Map.Entry<String, Tensor> e : heads.entrySet()) {
            assertThat(again.extras().get(e.getKey()).shape()).isEqualTo(e.getValue().shape());
            assertThat(again.extras().get(e.getKey()).toFloatArray()).containsExactly(e.getValue().toFloatArray());
        }
    }

    /** What GPT2LMHeadModel.from_pretrained expects: prefixed names, no tied head, format pt, GPT2Config's fields. */
    @Test void savedFolderIsInTransformersForm() throws IOException {
        BpeTokenizer tok = tokenizer();
        GptConfig config = CONFIG.withVocab(tok.vocabSize() - 1); // the pad token is past the last row, as with GPT-2's files
        Gpt model = PretrainedTestFolders.randomModel(config, 8);
        Path folder = dir.resolve("out");
        Pretrained.save(folder, model, Map.of(), tok);

        try (Stream<Path> files = Files.list(folder)) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .containsExactlyInAnyOrder("config.json", "model.safetensors", "vocab.json", "merges.txt");
        }
        Path weights = folder.resolve("model.safetensors");
        assertThat(SafeTensors.metadata(weights)).containsExactly(Map.entry("format", "pt"));
        List<String> expected = new ArrayList<>();
        for (String name : model.parameters().keySet()) expected.add("transformer." + name);
        assertThat(SafeTensors.read(weights, Device.CPU).keySet()).containsExactlyElementsOf(expected);

        JsonNode c = new ObjectMapper().readTree(folder.resolve("config.json").toFile());
        assertThat(c.get("model_type").asText()).isEqualTo("gpt2");
        assertThat(c.get("architectures").get(0).asText()).isEqualTo("GPT2LMHeadModel");
        assertThat(c.get("activation_function").asText()).isEqualTo("gelu_new");
        assertThat(c.get("n_embd").asInt()).isEqualTo(config.dim());
        assertThat(c.get("n_layer").asInt()).isEqualTo(config.layers());
        assertThat(c.get("n_head").asInt()).isEqualTo(config.heads());
        assertThat(c.get("n_positions").asInt()).isEqualTo(config.contextLength());
        assertThat(c.get("n_ctx").asInt()).isEqualTo(config.contextLength());
        assertThat(c.get("vocab_size").asInt()).isEqualTo(config.vocabSize());
        assertThat(c.get("layer_norm_epsilon").asDouble()).isEqualTo(1e-5); // the decimal, not the float's widening
        assertThat(c.get("resid_pdrop").asDouble()).isEqualTo(0.0);
        assertThat(c.get("eos_token_id").asInt()).isEqualTo(tok.endOfText());
        assertThat(c.get("bos_token_id").asInt()).isEqualTo(tok.endOfText());
        assertThat(Pretrained.load(folder, Device.CPU).config()).isEqualTo(config);
        assertThat(Pretrained.tokenizer(folder)).isEqualTo(tok); // the pad id past the last row is no mismatch
    }

    /** transformers would fine-tune with dropout where ours has it, and none on the attention, where ours has none. */
    @Test void dropoutIsWrittenWhereTheModelHasIt() throws IOException {
        Path folder = dir.resolve("dropout");
        Pretrained.save(folder, PretrainedTestFolders.randomModel(CONFIG.withDropout(0.1f), 3), null, null);
        JsonNode c = new ObjectMapper().readTree(folder.resolve("config.json").toFile());
        assertThat(c.get("resid_pdrop").asDouble()).isEqualTo(0.1);
        assertThat(c.get("embd_pdrop").asDouble()).isEqualTo(0.1);
        assertThat(c.get("attn_pdrop").asDouble()).isEqualTo(0.0);
        assertThat(Pretrained.load(folder, Device.CPU).config().dropout()).isEqualTo(0.1f);
    }

    @Test void tokenizerFromTheFolderRoundTrips() throws IOException {
        BpeTokenizer tok = tokenizer();
        Pretrained.save(dir.resolve("out"), PretrainedTestFolders.randomModel(CONFIG.withVocab(tok.vocabSize()), 9), null, tok);
        BpeTokenizer back = Pretrained.tokenizer(dir.resolve("out"));

        assertThat(back).isEqualTo(tok);
        assertThat(back.mergeCount()).isGreaterThan(10);
        String text = "the cat sat on the mat, then the dog sat again" + BpeTokenizer.END_OF_TEXT;
        assertThat(back.encodeWithSpecials(text)).containsExactly(tok.encodeWithSpecials(text));
        assertThat(back.decode(back.encodeWithSpecials(text))).isEqualTo(text);
    }

    @Test void aTokenizerBiggerThanTheModelIsRefused() {
        BpeTokenizer tok = tokenizer();
        Gpt model = PretrainedTestFolders.randomModel(CONFIG.withVocab(tok.vocabSize() - 2), 9);
        assertThatThrownBy(() -> Pretrained.save(dir.resolve("out"), model, null, tok))
                .hasMessageContaining("the tokenizer has " + tok.vocabSize() + " tokens but the model embeds only " + (tok.vocabSize() - 2));
        assertThat(dir.resolve("out")).doesNotExist();
    }

    /** Saving over a folder replaces the model files and keeps everything else that was there. */
    @Test void savingOverAFolderKeepsItsOtherContent() throws IOException {
        Path folder = dir.resolve("model");
        Pretrained.save(folder, PretrainedTestFolders.randomModel(10), null, null);
        Files.writeString(folder.resolve("README.md"), "notes");
        Files.createDirectories(folder.resolve("runs/1"));
        Files.writeString(folder.resolve("runs/1/log.txt"), "log");

        Gpt second = PretrainedTestFolders.randomModel(11);
        Pretrained.save(folder, second, null, null);

        assertThat(PretrainedLoadTest.logits(Pretrained.load(folder, Device.CPU))).containsExactly(PretrainedLoadTest.logits(second));
        assertThat(Files.readString(folder.resolve("README.md"))).isEqualTo("notes");
        assertThat(Files.readString(folder.resolve("runs/1/log.txt"))).isEqualTo("log");
        try (Stream<Path> siblings = Files.list(dir)) {
            assertThat(siblings.map(p -> p.getFileName().toString())).containsExactly("model"); // no temp or old folder left
        }
    }

    /**
     * A training state describes the weights it was saved with: a save without one drops the old one, a save
     * with one writes it in the same replacement; the kind and head tensors round-trip; files are readable by all.
     */
    @Test void trainingStateIsReplacedWithTheWeightsAndKindRoundTrips() throws IOException {
        Path folder = dir.resolve("model");
        Gpt trunk = PretrainedTestFolders.randomModel(14);
        Map<String, Tensor> head = Map.of("score.weight", Tensor.of(new float[trunk.config().dim()], trunk.config().dim(), 1),
                "score.bias", Tensor.of(new float[] {0.5f}, 1));
        Pretrained.save(folder, new PretrainedModel(trunk, ModelKind.REWARD, head), null,
                fresh -> Files.writeString(fresh.resolve(Pretrained.TRAINING_STATE), "{\"step\": 3}"));
        assertThat(Files.readString(folder.resolve(Pretrained.TRAINING_STATE))).contains("3");
        PretrainedModel back = Pretrained.loadWithExtras(folder, Device.CPU, null);
        assertThat(back.kind()).isEqualTo(ModelKind.REWARD);
        assertThat(back.extras().get("score.bias").toFloatArray()).containsExactly(0.5f);
        assertThat(Files.readString(folder.resolve("config.json"))).contains("\"instruct4j\" : {", "\"kind\" : \"reward\"", "\"model_type\" : \"gpt2\"");
        if (folder.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(folder))).isEqualTo("rwxr-xr-x");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(folder.resolve("model.safetensors")))).isEqualTo("rw-r--r--");
        }

        Pretrained.save(folder, trunk, null, null);
        assertThat(folder.resolve(Pretrained.TRAINING_STATE)).doesNotExist();
        assertThat(Pretrained.kind(folder)).isEqualTo(ModelKind.LM);
    }

    /** A failure while writing (a crash, a full disk) leaves the old folder exactly as it was, and says which folder. */
    @Test void aFailedSaveLeavesTheOldFolder() throws IOException {
        Path folder = dir.resolve("model");
        Gpt first = PretrainedTestFolders.randomModel(12);
        Pretrained.save(folder, first, null, null);
        byte[] before = Files.readAllBytes(folder.resolve("model.safetensors"));

        assertThatThrownBy(() -> PretrainedFolder.replace(folder, java.util.Set.of(), fresh -> {
            Files.writeString(fresh.resolve("model.safetensors"), "half a file");
            throw new IOException("No space left on device");
        })).hasMessage("could not save " + folder.toAbsolutePath().normalize() + " (No space left on device)");

        assertThat(Files.readAllBytes(folder.resolve("model.safetensors"))).isEqualTo(before);
        try (Stream<Path> siblings = Files.list(dir)) {
            assertThat(siblings.map(p -> p.getFileName().toString())).containsExactly("model");
        }
    }

    /** A crash between the two renames leaves the content in ".NAME.old-*"; loading says where it is. */
    @Test void aMissingFolderPointsToWhatAnInterruptedSaveLeft() throws IOException {
        Path folder = dir.resolve("model");
        Pretrained.save(folder, PretrainedTestFolders.randomModel(13), null, null);
        Files.move(folder, dir.resolve(".model.old-1f"));

        assertThatThrownBy(() -> Pretrained.load(folder, Device.CPU))
                .hasMessageContaining(folder.toString()).hasMessageContaining("no such model folder")
                .hasMessageContaining(".model.old-1f");
    }

    /** A small tokenizer trained here (its last ids are end-of-text and pad). */
    static BpeTokenizer tokenizer() {
        List<String> corpus = List.of("the cat sat on the mat", "the dog sat on the log", "a cat and a dog",
                "then again the cat sat", "on and on the dog sat on the mat again");
        return BpeTokenizer.train(corpus, 300, List.of());
    }
}
