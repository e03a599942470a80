package org.instruct4j.engine.nn;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.instruct4j.engine.DType;
import org.instruct4j.engine.Device;
import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.io.IoErrors;
import org.instruct4j.engine.io.SafeTensors;

/**
 * The tensors of a Hugging Face GPT-2 folder, sorted out: the model's parameters (by our name, without the
 * "transformer." prefix GPT2LMHeadModel puts before them), and the extra tensors that are not GPT-2's (a reward
 * or value head, "score.weight"). Buffers transformers stores beside the weights (attn.bias, attn.masked_bias)
 * are dropped, lm_head.weight is accepted only when it is tied (equal) to wte.weight, and every weight kept must
 * be finite.
 *
 * <p>Weights come from model.safetensors, or from the shards listed in model.safetensors.index.json.
 */
final class PretrainedWeights {
    static final String FILE = "model.safetensors";
    static final String INDEX = "model.safetensors.index.json";
    static final String PREFIX = "transformer.";

    /** A tensor with the file it came from and its name there, for error messages. */
    private record Stored(Tensor tensor, Path file, String name) {
        String where() { return file + ": tensor '" + name + "'"; }
    }

    final Map<String, Tensor> parameters = new LinkedHashMap<>();
    final Map<String, Tensor> extras = new LinkedHashMap<>();

    private PretrainedWeights() {}

    /** Reads the folder's weights for a model of this config (tensors on the CPU). */
    static PretrainedWeights read(Path folder, GptConfig config) throws IOException {
        Map<String, Stored> stored = readAll(folder);
        PretrainedWeights w = new PretrainedWeights();
        try {
            Map<String, int[]> expected = expectedShapes(config);
            for (Map.Entry<String, int[]> e : expected.entrySet()) {
                Stored s = stored.get(e.getKey());
                if (s == null) throw missing(folder, e.getKey());
                if (!Arrays.equals(s.tensor.shape(), e.getValue())) throw misshaped(s, e.getValue(), config);
                if (s.tensor.dtype() != DType.F32)
                    throw new IOException(s.where() + " is " + s.tensor.dtype() + ", a floating (F32 or BF16) tensor is needed");
                requireFinite(s);
                w.parameters.put(e.getKey(), s.tensor);
            }
            stored.keySet().removeAll(expected.keySet());
            Stored head = stored.remove("lm_head.weight");
            if (head != null) {
                checkTied(head, w.parameters.get("wte.weight"));
                head.tensor.free();
            }
            for (Map.Entry<String, Stored> e : stored.entrySet()) {
                String name = e.getKey();
                Stored s = e.getValue();
                if (isBuffer(name)) {
                    s.tensor.free();
                } else if (looksLikeGpt2(name)) {
                    throw new IOException(s.where() + " is not a parameter of the GPT-2 that " + HfConfig.FILE + " describes ("
                            + config.layers() + " layers, n_embd " + config.dim() + "): the config and the weights disagree");
                } else {
                    if (s.tensor.dtype() == DType.F32) requireFinite(s);
                    w.extras.put(s.name, s.tensor);
                }
            }
            return w;
        } catch (IOException | RuntimeException e) {
            w.free(); // freeing twice is harmless
            for (Stored s : stored.values()) s.tensor.free();
            throw e;
        }
    }

    void free() {
        for (Tensor t : parameters.values()) t.free();
        for (Tensor t : extras.values()) t.free();
    }

    /** Every tensor of the folder's weight files, by name with any "transformer." prefix removed. */
    private static Map<String, Stored> readAll(Path folder) throws IOException {
        Map<String, Stored> out = new LinkedHashMap<>();
        for (Path file : weightFiles(folder)) {
            for (Map.Entry<String, Tensor> e : SafeTensors.read(file, Device.CPU).entrySet()) {
                String name = e.getKey().startsWith(PREFIX) ? e.getKey().substring(PREFIX.length()) : e.getKey();
                Stored previous = out.put(name, new Stored(e.getValue(), file, e.getKey()));
                if (previous != null)
                    throw new IOException(file + ": tensor '" + e.getKey() + "' is given twice (also as '" + previous.name
                            + "' in " + previous.file.getFileName() + ")");
            }
        }
        return out;
    }

    /** model.safetensors, or else the shards named by model.safetensors.index.json. */
    private static Iterable<Path> weightFiles(Path folder) throws IOException {
        Path single = folder.resolve(FILE), index = folder.resolve(INDEX);
        if (Files.isRegularFile(single)) return List.of(single);
        if (Files.isRegularFile(index)) return shards(index);
        String hint = Files.isRegularFile(folder.resolve("pytorch_model.bin"))
                ? ": the folder has only pytorch_model.bin; convert it with transformers' save_pretrained(folder, safe_serialization=True)"
                : ": a Hugging Face GPT-2 folder holds config.json and model.safetensors";
        throw new NoSuchFileException(single.toString(), null, "no " + FILE + " (nor " + INDEX + ")" + hint);
    }

    private static Iterable<Path> shards(Path index) throws IOException {
        JsonNode map;
        try {
            map = new ObjectMapper().readTree(Files.readAllBytes(index)).path("weight_map");
        } catch (JsonProcessingException e) {
            throw IoErrors.notJson(index, e);
        }
        if (!map.isObject() || map.isEmpty()) throw new IOException(index + ": no \"weight_map\" object of tensor name -> file");
        TreeSet<String> files = new TreeSet<>();
        for (Iterator<JsonNode> it = map.elements(); it.hasNext(); ) files.add(it.next().asText());
        List<Path> paths = new ArrayList<>();
        for (String f : files) {
            Path p = index.resolveSibling(f);
            if (!Files.isRegularFile(p)) throw new NoSuchFileException(p.toString(), null, "shard named by " + index.getFileName() + " is missing");
            paths.add(p);
        }
        return paths;
    }

    private static Map<String, int[]> expectedShapes(GptConfig c) {
        Map<String, int[]> out = new LinkedHashMap<>();
        int d = c.dim();
        out.put("wte.weight", new int[] {c.vocabSize(), d});
        out.put("wpe.weight", new int[] {c.contextLength(), d});
        for (int i = 0; i < c.layers(); i++) {
            String h = "h." + i + ".";
            out.put(h + "ln_1.weight", new int[] {d});
            out.put(h + "ln_1.bias", new int[] {d});
            out.put(h + "attn.c_attn.weight", new int[] {d, 3 * d});
            out.put(h + "attn.c_attn.bias", new int[] {3 * d});
            out.put(h + "attn.c_proj.weight", new int[] {d, d});
            out.put(h + "attn.c_proj.bias", new int[] {d});
            out.put(h + "ln_2.weight", new int[] {d});
            out.put(h + "ln_2.bias", new int[] {d});
            out.put(h + "mlp.c_fc.weight", new int[] {d, 4 * d});
            out.put(h + "mlp.c_fc.bias", new int[] {4 * d});
            out.put(h + "mlp.c_proj.weight", new int[] {4 * d, d});
            out.put(h + "mlp.c_proj.bias", new int[] {d});
        }
        out.put("ln_f.weight", new int[] {d});
        out.put("ln_f.bias", new int[] {d});
        return out;
    }

    private static boolean isBuffer(String name) {
        return name.matches("h\\.\\d+\\.attn\\.(bias|masked_bias)");
    }

    private static boolean looksLikeGpt2(String name) {
        return name.startsWith("h.") || name.startsWith("wte.") || name.startsWith("wpe.") || name.startsWith("ln_f.");
    }

    private static IOException missing(Path folder, String name) throws IOException {
        String files = Files.isRegularFile(folder.resolve(FILE)) ? folder.resolve(FILE).toString() : folder.resolve(INDEX) + " shards";
        return new IOException(files + ": missing tensor '" + PREFIX + name + "' (or '" + name + "') that a GPT-2 of this "
                + HfConfig.FILE + " needs");
    }

    private static IOException misshaped(Stored s, int[] expected, GptConfig c) {
        int[] got = s.tensor.shape();
        String hint = got.length == 2 && expected.length == 2 && got[0] == expected[1] && got[1] == expected[0] && got[0] != got[1]
                ? " (it looks transposed: GPT-2 stores Conv1D weights as (in, out), not nn.Linear's (out, in))"
                : " (" + HfConfig.FILE + ": n_embd " + c.dim() + ", vocab_size " + c.vocabSize() + ", n_positions " + c.contextLength() + ")";
        return new IOException(s.where() + " has shape " + Tensor.shapeString(got) + ", expected "
                + Tensor.shapeString(expected) + hint);
    }

    /**
     * A NaN or infinite weight loads without complaint and then makes every output it touches NaN (generation
     * prints garbage), so it is refused here, where the file and tensor are known. The scan only reads.
     */
    private static void requireFinite(Stored s) throws IOException {
        float[] values = s.tensor.toFloatArray();
        int bad = 0;
        for (float v : values) if (!Float.isFinite(v)) bad++;
        if (bad > 0)
            throw new IOException(s.where() + " has " + bad + " of its " + values.length
                    + " values NaN or infinite: the weights are damaged");
    }

    /** An lm_head.weight that differs from wte.weight would be silently replaced by it: refuse instead. */
    private static void checkTied(Stored head, Tensor wte) throws IOException {
        if (!Arrays.equals(head.tensor.shape(), wte.shape()) || !Arrays.equals(head.tensor.toFloatArray(), wte.toFloatArray()))
            throw new IOException(head.where() + " differs from the token embedding wte.weight: instruct4j's GPT-2 ties"
                    + " the language-model head to the embedding, so an untied head cannot load");
    }
}
