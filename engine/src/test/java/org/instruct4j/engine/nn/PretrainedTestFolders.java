package org.instruct4j.engine.nn;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.instruct4j.engine.Device;
import org.instruct4j.engine.Rng;
import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.io.SafeTensors;

/**
 * Hugging Face GPT-2 folders built by hand, the way transformers lays them out: a GPT2Config config.json and a
 * model.safetensors with "transformer."-prefixed names, Conv1D weights (in, out), the attention mask buffers
 * older checkpoints carry, and the tied lm_head.weight.
 */
final class PretrainedTestFolders {
    static final GptConfig CONFIG = new GptConfig(64, 16, 2, 2, 32, 0f, 1e-5f);
    static final int[][] TOKENS = {{3, 1, 4, 1, 5, 9, 2, 6, 53, 5}, {8, 9, 7, 9, 3, 2, 3, 8, 4, 63}};

    private PretrainedTestFolders() {}

    /** A model with bigger-than-init random values everywhere (biases and LayerNorms too), so every path matters. */
    static Gpt randomModel(long seed) { return randomModel(CONFIG, seed); }

    static Gpt randomModel(GptConfig config, long seed) {
        Rng rng = new Rng(seed);
        Gpt model = new Gpt(config, rng, Device.CPU);
        Map<String, Tensor> values = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : model.parameters().entrySet()) {
            int[] shape = e.getValue().shape();
            float[] v = Tensor.randn(rng, 0.2f, shape).toFloatArray();
            if (e.getKey().contains("ln_") && e.getKey().endsWith("weight")) for (int i = 0; i < v.length; i++) v[i] += 1f;
            values.put(e.getKey(), Tensor.of(v, shape));
        }
        model.loadParameters(values, true);
        return model;
    }

    /** GPT2Config's fields for CONFIG; edit hands the map over for a test to change. */
    static Map<String, Object> configJson(GptConfig c, Consumer<Map<String, Object>> edit) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model_type", "gpt2");
        m.put("architectures", new String[] {"GPT2LMHeadModel"});
        m.put("n_embd", c.dim());
        m.put("n_layer", c.layers());
        m.put("n_head", c.heads());
        m.put("n_positions", c.contextLength());
        m.put("n_ctx", c.contextLength());
        m.put("vocab_size", c.vocabSize());
        m.put("layer_norm_epsilon", 1e-5);
        m.put("activation_function", "gelu_new");
        m.put("resid_pdrop", 0.0);
        m.put("embd_pdrop", 0.0);
        m.put("attn_pdrop", 0.0);
        edit.accept(m);
        return m;
    }

    /** The tensors as GPT2LMHeadModel names them (plus the old mask buffers and the tied head). */
    static Map<String, Tensor> hfTensors(Gpt model) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : model.parameters().entrySet()) out.put("transformer." + e.getKey(), e.getValue());
        int n = model.config().contextLength();
        float[] mask = new float[n * n];
        for (int i = 0; i < n; i++) for (int j = 0; j <= i; j++) mask[i * n + j] = 1f;
        for (int l = 0; l < model.config().layers(); l++) {
            out.put("transformer.h." + l + ".attn.bias", Tensor.of(mask, 1, 1, n, n));
            out.put("transformer.h." + l + ".attn.masked_bias", Tensor.of(new float[] {-1e4f}));
        }
        out.put("lm_head.weight", model.parameters().get("wte.weight"));
        return out;
    }

    static Path write(Path dir, Map<String, Object> config, Map<String, Tensor> tensors, boolean bf16) throws IOException {
        Files.createDirectories(dir);
        new ObjectMapper().writeValue(dir.resolve("config.json").toFile(), config);
        SafeTensors.write(dir.resolve("model.safetensors"), tensors, Map.of("format", "pt"), bf16);
        return dir;
    }

    /** A hand-built folder for model, exactly as transformers would write it (F32, or BF16 when bf16). */
    static Path write(Path dir, Gpt model, boolean bf16) throws IOException {
        return write(dir, configJson(model.config(), m -> {}), hfTensors(model), bf16);
    }

    static Tensor tokens() {
        int[] flat = new int[TOKENS.length * TOKENS[0].length];
        for (int b = 0; b < TOKENS.length; b++) System.arraycopy(TOKENS[b], 0, flat, b * TOKENS[0].length, TOKENS[0].length);
        return Tensor.ofInts(flat, TOKENS.length, TOKENS[0].length);
    }
}
