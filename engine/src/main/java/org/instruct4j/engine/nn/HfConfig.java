package org.instruct4j.engine.nn;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.instruct4j.engine.io.IoErrors;

/**
 * Hugging Face's config.json for GPT-2 (transformers' GPT2Config) to and from {@link GptConfig}.
 *
 * <p>Reading follows GPT2Config: a field that is absent takes GPT2Config's default (n_embd 768, n_layer 12,
 * n_head 12, n_positions 1024, vocab_size 50257, layer_norm_epsilon 1e-5, activation_function gelu_new,
 * resid_pdrop 0.1), because that is what transformers itself would build. Only what our GPT-2 computes
 * differently is refused: another architecture, another activation, a non-standard MLP width, cross-attention
 * or per-layer attention scaling. Dropout is taken from resid_pdrop for the residual branches and the embeddings;
 * our attention has none (training a Hugging Face folder here ignores its attn_pdrop), so written folders say 0.
 */
final class HfConfig {
    static final String FILE = "config.json";
    /** The key of our own metadata in config.json. */
    static final String OURS = "instruct4j";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final List<String> GPT2_ARCHITECTURES = List.of("GPT2LMHeadModel", "GPT2Model");
    /** Both names denote the tanh approximation of GELU that GPT-2 was trained with. */
    private static final List<String> TANH_GELU = List.of("gelu_new", "gelu_pytorch_tanh");

    private HfConfig() {}

    /** Reads folder/config.json; dropout null takes the file's resid_pdrop. */
    static GptConfig read(Path folder, Float dropout) throws IOException {
        Path file = folder.resolve(FILE);
        JsonNode root = root(file);
        checkArchitecture(file, root);

        String activation = text(file, root, "activation_function", "gelu_new");
        if (!TANH_GELU.contains(activation))
            throw bad(file, "activation_function '" + activation + "' is not supported: instruct4j's GPT-2 uses the tanh GELU (gelu_new)");
        if (bool(file, root, "add_cross_attention", false)) throw bad(file, "add_cross_attention is true: only decoder-only GPT-2 loads");
        if (bool(file, root, "scale_attn_by_inverse_layer_idx", false))
            throw bad(file, "scale_attn_by_inverse_layer_idx is true: not supported (attention is scaled by 1/sqrt(head dim) only)");
        if (!bool(file, root, "scale_attn_weights", true)) throw bad(file, "scale_attn_weights is false: not supported");

        int dim = integer(file, root, "n_embd", 768);
        int layers = integer(file, root, "n_layer", 12);
        int heads = integer(file, root, "n_head", 12);
        int vocab = integer(file, root, "vocab_size", 50257);
        int context = root.hasNonNull("n_positions") ? integer(file, root, "n_positions", 0) : integer(file, root, "n_ctx", 1024);
        if (root.hasNonNull("n_inner") && integer(file, root, "n_inner", 0) != 4 * dim)
            throw bad(file, "n_inner " + root.get("n_inner") + " is not 4 * n_embd = " + 4 * dim + ": not supported");
        float eps = (float) number(file, root, "layer_norm_epsilon", 1e-5);
        float p = dropout != null ? dropout : (float) number(file, root, "resid_pdrop", 0.1);
        // Said in config.json's own names; GptConfig's checks below stay for what these do not name.
        if (dim % heads != 0) throw bad(file, "n_embd " + dim + " is not a multiple of n_head " + heads);
        if (!(eps > 0)) throw bad(file, "layer_norm_epsilon must be positive, got " + root.get("layer_norm_epsilon"));
        if (dropout == null && !(p >= 0 && p < 1)) throw bad(file, "resid_pdrop must be in [0, 1), got " + root.get("resid_pdrop"));
        try {
            return new GptConfig(vocab, context, layers, heads, dim, p, eps);
        } catch (IllegalArgumentException e) {
            throw bad(file, e.getMessage());
        }
    }

    /** What the folder's model is for: {@value #OURS}.kind, {@link ModelKind#LM} when absent (a transformers folder). */
    static ModelKind kind(Path folder) throws IOException {
        Path file = folder.resolve(FILE);
        JsonNode v = root(file).path(OURS).path("kind");
        if (v.isMissingNode() || v.isNull()) return ModelKind.LM;
        ModelKind k = ModelKind.of(v.asText());
        if (!v.isTextual() || k == null) throw bad(file, OURS + ".kind must be \"lm\", \"reward\" or \"value\", got " + v);
        return k;
    }

    private static JsonNode root(Path file) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(file.toString(), null,
                    "no " + FILE + ": a Hugging Face GPT-2 folder holds config.json and model.safetensors");
        } catch (JsonProcessingException e) {
            throw IoErrors.notJson(file, e);
        }
        if (root == null || !root.isObject()) throw bad(file, "is not a JSON object");
        return root;
    }

    /** model_type "gpt2", or (for configs without one) a GPT-2 class among architectures. */
    private static void checkArchitecture(Path file, JsonNode root) throws IOException {
        String modelType = root.hasNonNull("model_type") ? root.get("model_type").asText() : null;
        List<String> architectures = new ArrayList<>();
        if (root.path("architectures").isArray()) root.get("architectures").forEach(a -> architectures.add(a.asText()));
        if ("gpt2".equals(modelType)) return;
        // transformers builds the model from model_type when there is one: architectures decides only without it.
        if (modelType == null) for (String a : architectures) if (GPT2_ARCHITECTURES.contains(a)) return;
        throw bad(file, "model_type " + (modelType == null ? "(none)" : "'" + modelType + "'") + " with architectures "
                + architectures + " is not GPT-2: only model_type 'gpt2' (GPT2LMHeadModel, GPT2Model) loads");
    }

    /**
     * The config.json that transformers' GPT2Config.save_pretrained would write for this model (keys sorted as
     * it sorts them), with our metadata under {@value #OURS}. eos is the end-of-text id (bos and eos in GPT-2),
     * null when unknown.
     */
    static byte[] write(GptConfig c, Integer eos, ModelKind kind) throws JsonProcessingException {
        Map<String, Object> m = new TreeMap<>();
        m.put(OURS, Map.of("kind", kind.id()));
        m.put("activation_function", "gelu_new");
        m.put("architectures", List.of("GPT2LMHeadModel"));
        m.put("attn_pdrop", decimal(0f));   // our GPT has no dropout on the attention probabilities (Gpt#hidden)
        m.put("bos_token_id", eos);
        m.put("embd_pdrop", decimal(c.dropout()));
        m.put("eos_token_id", eos);
        m.put("initializer_range", decimal(Gpt.INIT_STD));
        m.put("layer_norm_epsilon", decimal(c.layerNormEps()));
        m.put("model_type", "gpt2");
        m.put("n_ctx", c.contextLength());
        m.put("n_embd", c.dim());
        m.put("n_head", c.heads());
        m.put("n_inner", null);
        m.put("n_layer", c.layers());
        m.put("n_positions", c.contextLength());
        m.put("reorder_and_upcast_attn", false);
        m.put("resid_pdrop", decimal(c.dropout()));
        m.put("scale_attn_by_inverse_layer_idx", false);
        m.put("scale_attn_weights", true);
        m.put("torch_dtype", "float32");
        m.put("use_cache", true);
        m.put("vocab_size", c.vocabSize());
        return JSON.writeValueAsBytes(m);
    }

    /** The float as its shortest decimal (1e-5f becomes 1.0E-5, not 9.99999974737875E-6). */
    private static double decimal(float f) { return Double.parseDouble(Float.toString(f)); }

    private static int integer(Path file, JsonNode root, String key, int fallback) throws IOException {
        JsonNode v = root.get(key);
        if (v == null || v.isNull()) return fallback;
        if (!v.canConvertToInt() || !v.isIntegralNumber() || v.asInt() <= 0)
            throw bad(file, key + " must be a positive integer, got " + v);
        return v.asInt();
    }

    private static double number(Path file, JsonNode root, String key, double fallback) throws IOException {
        JsonNode v = root.get(key);
        if (v == null || v.isNull()) return fallback;
        if (!v.isNumber()) throw bad(file, key + " must be a number, got " + v);
        return v.asDouble();
    }

    private static String text(Path file, JsonNode root, String key, String fallback) throws IOException {
        JsonNode v = root.get(key);
        if (v == null || v.isNull()) return fallback;
        if (!v.isTextual()) throw bad(file, key + " must be a string, got " + v);
        return v.asText();
    }

    private static boolean bool(Path file, JsonNode root, String key, boolean fallback) throws IOException {
        JsonNode v = root.get(key);
        if (v == null || v.isNull()) return fallback;
        if (!v.isBoolean()) throw bad(file, key + " must be true or false, got " + v);
        return v.asBoolean();
    }

    private static IOException bad(Path file, String what) { return new IOException(file + ": " + what); }
}
