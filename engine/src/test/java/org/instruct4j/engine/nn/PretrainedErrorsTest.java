package org.instruct4j.engine.nn;

import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.instruct4j.engine.nn.PretrainedTestFolders.CONFIG;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.instruct4j.engine.Device;
import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.text.BpeTokenizer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every way a folder can be wrong gives an error that names the file and what is wrong with it. */
class PretrainedErrorsTest {
    @TempDir Path dir;
    Gpt model;
    Map<String, Tensor> tensors;

    @BeforeEach void setUp() {
        model = PretrainedTestFolders.randomModel(21);
        tensors = PretrainedTestFolders.hfTensors(model);
    }

    private Path folder(Consumer<Map<String, Object>> editConfig) throws IOException {
        return PretrainedTestFolders.write(dir, PretrainedTestFolders.configJson(CONFIG, editConfig), tensors, false);
    }

    private Path folder() throws IOException { return folder(m -> {}); }

    @Test void unknownModelType() throws IOException {
        Path f = folder(m -> {
            m.put("model_type", "llama");
            m.put("architectures", new String[] {"LlamaForCausalLM"});
        });
        assertThatThrownBy(() -> Pretrained.load(f, Device.CPU)).isInstanceOf(IOException.class)
                .hasMessageContaining(f.resolve("config.json").toString())
                .hasMessageContaining("model_type 'llama'").hasMessageContaining("LlamaForCausalLM").hasMessageContaining("is not GPT-2");
    }

    /** transformers builds from model_type when there is one, so a GPT-2 class among architectures does not outvote it. */
    @Test void anotherModelTypeWithGpt2Architectures() throws IOException {
        Path f = folder(m -> {
            m.put("model_type", "llama");
            m.put("architectures", new String[] {"GPT2LMHeadModel"});
        });
        assertThatThrownBy(() -> Pretrained.load(f, Device.CPU)).hasMessageContaining("model_type 'llama'").hasMessageContaining("is not GPT-2");
    }

    @Test void layerNormEpsilonIsNamedAsInTheFile() throws IOException {
        Path f = folder(m -> m.put("layer_norm_epsilon", 0));
        assertThatThrownBy(() -> Pretrained.load(f, Device.CPU)).hasMessageContaining("config.json: layer_norm_epsilon must be positive, got 0");
    }

    @Test void wrongActivation() throws IOException {
        Path f = folder(m -> m.put("activation_function", "relu"));
        assertThatThrownBy(() -> Pretrained.load(f, Device.CPU))
                .hasMessageContaining(f.resolve("config.json").toString())
                .hasMessageContaining("activation_function 'relu' is not supported").hasMessageContaining("gelu_new");
    }

    @Test void unsupportedMlpWidth() throws IOException {
        Path f = folder(m -> m.put("n_inner", 100));
        assertThatThrownBy(() -> Pretrained.load(f, Device.CPU)).hasMessageContaining("config.json: n_inner 100 is not 4 * n_embd = 128");
    }

    @Test void headsThatDoNotDivideTheWidth() throws IOException {
        Path f = folder(m -> m.put("n_head", 5));
        assertThatThrownBy(() -> Pretrained.load(f, Device.CPU)).hasMessageContaining("config.json: n_embd 32 is not a multiple of n_head 5");
    }

    @Test void badFieldType() throws IOException {
        Path f = folder(m -> m.put("n_layer", "two"));
        assertThatThrownBy(() -> Pretrained.load(f, Device.CPU)).hasMessageContaining("config.json: n_layer must be a positive integer, got \"two\"");
    }

    @Test void configIsNotJson() throws IOException {
        Path f = folder();
        Files.writeString(f.resolve("config.json"), "{\"model_type\": \"gpt2\",\n \"n_layer\" 2}");
        assertThatThrownBy(() -> Pretrained.load(f, Device.CPU)).hasMessageContaining(f.resolve("config.json") + ":2:12: not valid JSON");
    }

    @Test void missingTensor() throws IOException {
        tensors.remove("transformer.h.1.mlp.c_fc.weight");
        Path f = folder();
        assertThatThrownBy(() -> Pretrained.load(f, Device.CPU))
                .hasMessageContaining(f.resolve("model.safetensors").toString())
                .hasMessageContaining("missing tensor 'transformer.h.1.mlp.c_fc.weight'");
    }

    @Test void transposedWeight() throws IOException {
        Tensor w = tensors.get("transformer.h.0.attn.c_attn.weight");
        tensors.put("transformer.h.0.attn.c_attn.weight", w.transpose(0, 1).reshape(3 * CONFIG.dim(), CONFIG.dim()));
        Path f = folder();
        assertThatThrownBy(() -> Pretrained.load(f, Device.CPU))
                .hasMessageContaining(f.resolve("model.safetensors") + ": tensor 'transformer.h.0.attn.c_attn.weight' has shape [96,32], expected [32,96]")
                .hasMessageContaining("looks transposed");
    }

    @Test void configAndWeightsOfDifferentSizes() throws IOException {
        Path f = folder(m -> m.put("n_positions", 32));
        assertThatThrownBy(() -> Pretrained.load(f, Device.CPU))
                .hasMessageContaining("tensor 'transformer.wpe.weight' has shape [16,32], expected [32,32]")
                .hasMessageContaining("n_positions 32");
    }

    @Test void moreLayersThanTheConfigSays() throws IOException {
        Path f = folder(m -> m.put("n_layer", 1));
        assertThatThrownBy(() -> Pretrained.load(f, Device.CPU))
                .hasMessageContaining("tensor 'transformer.h.1.")
                .hasMessageContaining("is not a parameter of the GPT-2 that config.json describes (1 layers");
    }

    @Test void untiedHead() throws IOException {
        tensors.put("lm_head.weight", Tensor.zeros(CONFIG.vocabSize(), CONFIG.dim()));
        Path f = folder();
        assertThatThrownBy(() -> Pretrained.load(f, Device.CPU))
                .hasMessageContaining(f.resolve("model.safetensors") + ": tensor 'lm_head.weight' differs from the token embedding");
    }

    @Test void integerWeights() throws IOException {
        tensors.put("transformer.ln_f.bias", Tensor.ofInts(new int[CONFIG.dim()], CONFIG.dim()));
        Path f = folder();
        assertThatThrownBy(() -> Pretrained.load(f, Device.CPU))
                .hasMessageContaining("tensor 'transformer.ln_f.bias' is I32, a floating (F32 or BF16) tensor is needed");
    }

    @Test void nonFiniteWeights() throws IOException {
        float[] v = tensors.get("transformer.ln_f.weight").toFloatArray();
        v[3] = Float.NaN;
        v[7] = Float.NEGATIVE_INFINITY;
        tensors.put("transformer.ln_f.weight", Tensor.of(v, v.length));
        Path f = folder();
        assertThatThrownBy(() -> Pretrained.load(f, Device.CPU)).isInstanceOf(IOException.class)
                .hasMessage(f.resolve("model.safetensors") + ": tensor 'transformer.ln_f.weight' has 2 of its 32 values NaN or infinite:"
                        + " the weights are damaged");
    }

    @Test void tokenizerBiggerThanTheModel() throws IOException {
        Path f = folder(); // CONFIG embeds 64 tokens, fewer than the 256 byte tokens of any tokenizer
        BpeTokenizer.train(List.of("the cat sat on the mat"), 270, List.of()).save(f.resolve("vocab.json"), f.resolve("merges.txt"));
        assertThatThrownBy(() -> Pretrained.tokenizer(f)).isInstanceOf(IOException.class)
                .hasMessage(f.resolve("vocab.json") + ": the tokenizer has 270 tokens but the model embeds only 64"
                        + " (config.json: vocab_size 64): vocab.json and merges.txt belong to another model");
    }

    @Test void missingConfig() throws IOException {
        Path f = folder();
        Files.delete(f.resolve("config.json"));
        assertThatThrownBy(() -> Pretrained.load(f, Device.CPU)).isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining(f.resolve("config.json") + ": no config.json");
    }

    @Test void missingWeights() throws IOException {
        Path f = folder();
        Files.delete(f.resolve("model.safetensors"));
        assertThatThrownBy(() -> Pretrained.load(f, Device.CPU)).isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining(f.resolve("model.safetensors") + ": no model.safetensors");
    }

    @Test void onlyPytorchWeights() throws IOException {
        Path f = folder();
        Files.move(f.resolve("model.safetensors"), f.resolve("pytorch_model.bin"));
        assertThatThrownBy(() -> Pretrained.load(f, Device.CPU))
                .hasMessageContaining("only pytorch_model.bin").hasMessageContaining("safe_serialization=True");
    }

    @Test void missingShard() throws IOException {
        Path f = folder();
        Files.move(f.resolve("model.safetensors"), f.resolve("model-00001-of-00002.safetensors"));
        Files.writeString(f.resolve("model.safetensors.index.json"), "{\"metadata\": {}, \"weight_map\": {"
                + "\"transformer.wte.weight\": \"model-00001-of-00002.safetensors\","
                + "\"transformer.ln_f.bias\": \"model-00002-of-00002.safetensors\"}}");
        assertThatThrownBy(() -> Pretrained.load(f, Device.CPU)).isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining("model-00002-of-00002.safetensors: shard named by model.safetensors.index.json is missing");
    }

    @Test void missingFolder() {
        Path f = dir.resolve("nowhere");
        assertThatThrownBy(() -> Pretrained.load(f, Device.CPU)).isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining(f + ": no such model folder");
    }

    @Test void missingTokenizerFile() throws IOException {
        Path f = folder();
        assertThatThrownBy(() -> Pretrained.tokenizer(f)).isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining(f.resolve("vocab.json") + ": no vocab.json");
    }

    @Test void extraTensorWithAGpt2Name() {
        assertThatThrownBy(() -> Pretrained.save(dir.resolve("out"), model, Map.of("h.0.ln_1.weight", Tensor.zeros(4)), null))
                .hasMessageContaining("extra tensor 'h.0.ln_1.weight' would clash with GPT-2's own names");
    }
}
