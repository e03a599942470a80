package org.instruct4j.engine.nn;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalInt;
import org.instruct4j.engine.DType;
import org.instruct4j.engine.Device;
import org.instruct4j.engine.Rng;
import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.io.AtomicFiles;
import org.instruct4j.engine.io.SafeTensors;
import org.instruct4j.engine.text.BpeTokenizer;

/**
 * Hugging Face GPT-2 folders in and out: the entry point for starting from a released GPT-2 (or any checkpoint
 * of transformers' GPT2LMHeadModel / GPT2Model) and for handing a trained model back to transformers.
 *
 * <p>A folder holds config.json (GPT2Config), model.safetensors (or shards listed in
 * model.safetensors.index.json; F32 or BF16, names with or without the "transformer." prefix, Conv1D weights
 * stored (in, out) exactly as {@link Linear} keeps them) and, for the tokenizer, vocab.json and merges.txt.
 *
 * <pre>{@code
 * Gpt gpt = Pretrained.load(Path.of("gpt2"), Device.CPU);          // folder from save_pretrained or the Hub
 * BpeTokenizer tok = Pretrained.tokenizer(Path.of("gpt2"));
 * Pretrained.save(Path.of("out/sft"), gpt, Map.of(), tok);         // GPT2LMHeadModel.from_pretrained("out/sft") loads it
 * }</pre>
 *
 * <p>Like any module, the model's parameters belong to the {@link org.instruct4j.engine.Scope} open when it is
 * loaded: load it with none open, or in one that lives as long as the model.
 */
public final class Pretrained {
    private static final String VOCAB = "vocab.json", MERGES = "merges.txt";

    private Pretrained() {}

    /** The GPT-2 of a Hugging Face folder on device, with config.json's resid_pdrop as its dropout. */
    public static Gpt load(Path folder, Device device) throws IOException {
        return unwrap(loadWithExtras(folder, device, null));
    }

    /** As {@link #load(Path, Device)}, with this dropout instead of config.json's (fine-tuning often wants 0). */
    public static Gpt load(Path folder, Device device, float dropout) throws IOException {
        return unwrap(loadWithExtras(folder, device, dropout));
    }

    /**
     * The GPT-2 of a Hugging Face folder and the folder's other tensors (heads saved by {@link #save}).
     *
     * @param dropout null for config.json's resid_pdrop
     * @throws IOException naming the file, and the tensor or field, of the first problem: no such folder or file,
     *                     another architecture, another activation, a missing or misshaped tensor, an untied head
     */
    public static PretrainedModel loadWithExtras(Path folder, Device device, Float dropout) throws IOException {
        requireFolder(folder);
        GptConfig config = HfConfig.read(folder, dropout);
        PretrainedWeights weights = PretrainedWeights.read(folder, config);
        Map<String, Tensor> extras = new LinkedHashMap<>();
        boolean done = false;
        try {
            Gpt gpt = new Gpt(config, new Rng(0), device);
            gpt.loadParameters(weights.parameters, true);
            for (Map.Entry<String, Tensor> e : weights.extras.entrySet()) extras.put(e.getKey(), onDevice(e.getValue(), device));
            done = true;
            return new PretrainedModel(gpt, extras);
        } finally {
            // The CPU copies read from the file go; extras already on the device are the ones handed out.
            for (Tensor t : weights.parameters.values()) t.free();
            for (Tensor t : weights.extras.values()) if (!done || !extras.containsValue(t)) t.free();
        }
    }

    /** The model shape config.json describes (with its resid_pdrop as dropout), without reading the weights. */
    public static GptConfig config(Path folder) throws IOException {
        requireFolder(folder);
        return HfConfig.read(folder, null);
    }

    /** GPT-2's byte-level BPE from the folder's vocab.json and merges.txt. */
    public static BpeTokenizer tokenizer(Path folder) throws IOException {
        requireFolder(folder);
        for (String f : new String[] {VOCAB, MERGES})
            if (!Files.isRegularFile(folder.resolve(f)))
                throw new NoSuchFileException(folder.resolve(f).toString(), null,
                        "no " + f + ": the GPT-2 tokenizer needs vocab.json and merges.txt");
        return BpeTokenizer.load(folder.resolve(VOCAB), folder.resolve(MERGES));
    }

    /**
     * Writes model as a folder transformers' GPT2LMHeadModel.from_pretrained loads: config.json in GPT2Config's
     * form, model.safetensors with "transformer."-prefixed F32 weights, no lm_head.weight (tied) and metadata
     * {"format": "pt"}, the extra tensors under their own names (for example a head's "score.weight" (C, 1) and
     * "score.bias" (1), which transformers ignores with a warning), and vocab.json + merges.txt when tokenizer is
     * not null (its end-of-text id becomes bos_token_id and eos_token_id).
     *
     * <p>The whole folder is replaced at once (see {@link PretrainedFolder}): a crash leaves either the old
     * folder or the new one, and files of the old folder that this does not write are kept.
     *
     * @param extraTensors may be null or empty
     */
    public static void save(Path folder, Gpt model, Map<String, Tensor> extraTensors, BpeTokenizer tokenizer) throws IOException {
        GptConfig c = model.config();
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : model.parameters().entrySet()) tensors.put(PretrainedWeights.PREFIX + e.getKey(), e.getValue());
        if (extraTensors != null) {
            for (Map.Entry<String, Tensor> e : extraTensors.entrySet()) {
                String name = e.getKey();
                String bare = name.startsWith(PretrainedWeights.PREFIX) ? name.substring(PretrainedWeights.PREFIX.length()) : name;
                if (model.parameters().containsKey(bare) || bare.equals("lm_head.weight") || bare.startsWith("h.")
                        || bare.startsWith("wte.") || bare.startsWith("wpe.") || bare.startsWith("ln_f."))
                    throw new IllegalArgumentException("extra tensor '" + name + "' would clash with GPT-2's own names in " + PretrainedWeights.FILE);
                tensors.put(name, e.getValue());
            }
        }
        Integer eos = endOfText(tokenizer, c);
        byte[] config = HfConfig.write(c, eos);
        PretrainedFolder.replace(folder, dir -> {
            AtomicFiles.write(dir.resolve(HfConfig.FILE), out -> out.write(config));
            SafeTensors.write(dir.resolve(PretrainedWeights.FILE), tensors, Map.of("format", "pt"));
            if (tokenizer != null) tokenizer.save(dir.resolve(VOCAB), dir.resolve(MERGES));
        });
    }

    /**
     * The end-of-text id for config.json. Tokenizer ids the model cannot embed are refused, except a trailing
     * {@value BpeTokenizer#PAD} (GPT-2's files load with one appended, id 50257, past the model's 50257 rows;
     * padding is masked, never embedded).
     */
    private static Integer endOfText(BpeTokenizer tokenizer, GptConfig c) {
        if (tokenizer == null) return c.vocabSize() == GptConfig.gpt2().vocabSize() ? c.vocabSize() - 1 : null;
        int n = tokenizer.vocabSize(), vocab = c.vocabSize();
        boolean fits = n <= vocab || (n == vocab + 1 && tokenizer.pad() == vocab);
        if (!fits)
            throw new IllegalArgumentException("the tokenizer has " + n + " tokens but the model embeds only " + vocab
                    + ": they do not belong together");
        OptionalInt eos = tokenizer.specialId(BpeTokenizer.END_OF_TEXT);
        return eos.isPresent() ? eos.getAsInt() : null;
    }

    private static void requireFolder(Path folder) throws IOException {
        if (!Files.isDirectory(folder))
            throw new NoSuchFileException(folder.toString(), null,
                    "no such model folder" + PretrainedFolder.recoveryHint(folder));
    }

    private static Tensor onDevice(Tensor t, Device device) {
        if (t.device().equals(device)) return t;
        Tensor moved = t.dtype() == DType.I32 ? Tensor.ofInts(t.toIntArray(), device, t.shape()) : Tensor.of(t.toFloatArray(), device, t.shape());
        return moved.named(t.name());
    }

    private static Gpt unwrap(PretrainedModel m) {
        for (Tensor t : m.extras().values()) t.free();
        return m.gpt();
    }
}
