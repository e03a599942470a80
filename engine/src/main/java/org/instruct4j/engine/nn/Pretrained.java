package org.instruct4j.engine.nn;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import org.instruct4j.engine.DType;
import org.instruct4j.engine.Device;
import org.instruct4j.engine.Rng;
import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.io.AtomicFiles;
import org.instruct4j.engine.io.IoConsumer;
import org.instruct4j.engine.io.SafeTensors;
import org.instruct4j.engine.text.BpeTokenizer;

/**
 * The one model-folder format of instruct4j, read and written here and nowhere else: a Hugging Face GPT-2 folder,
 * so a released GPT-2 (or any checkpoint of transformers' GPT2LMHeadModel / GPT2Model) loads, and every model
 * instruct4j trains loads in transformers.
 *
 * <pre>
 *   config.json            GPT2Config, plus our metadata {"instruct4j": {"kind": "lm" | "reward" | "value"}}
 *   model.safetensors      F32 weights, GPT-2's names ("transformer.h.0.attn.c_attn.weight", Conv1D weights (in, out)),
 *                          and extra tensors under their own names: a head's "score.weight" (C, 1) and "score.bias" (1)
 *   vocab.json, merges.txt GPT-2's byte-level BPE (when the model was saved with its tokenizer)
 *   training_state.json    beside them, when a trainer saved one: step, random stream, named numbers
 *   optimizer.safetensors  and the optimizer's moments
 * </pre>
 *
 * <p>Reading takes model.safetensors or the shards of model.safetensors.index.json, F32 or BF16, names with or
 * without the "transformer." prefix; a folder without our metadata is a language model.
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
    /** The files of a training state; they describe the weights they were saved with, so a save without them drops them. */
    public static final String TRAINING_STATE = "training_state.json", OPTIMIZER_STATE = "optimizer.safetensors";

    private Pretrained() {}

    /**
     * Puts back the last complete content of a folder whose save a crash cut short and removes what the crash left
     * beside and in it (see PretrainedFolder.settle); a save does it first. For the one process that writes the
     * folder, before it reads it to go on (--resume).
     */
    public static void settle(Path folder) throws IOException { PretrainedFolder.settle(folder); }

    /** The GPT-2 of a Hugging Face folder on device, with config.json's resid_pdrop as its dropout. */
    public static Gpt load(Path folder, Device device) throws IOException {
        return unwrap(loadWithExtras(folder, device, null));
    }

    /** As {@link #load(Path, Device)}, with this dropout instead of config.json's (fine-tuning often wants 0). */
    public static Gpt load(Path folder, Device device, float dropout) throws IOException {
        return unwrap(loadWithExtras(folder, device, dropout));
    }

    /**
     * The GPT-2 of a model folder, what it is for, and the folder's other tensors (heads saved by {@link #save}).
     *
     * @param dropout null for config.json's resid_pdrop
     * @throws IOException naming the file, and the tensor or field, of the first problem: no such folder or file,
     *                     another architecture, another activation, a missing or misshaped tensor, a NaN or
     *                     infinite weight, an untied head
     */
    public static PretrainedModel loadWithExtras(Path folder, Device device, Float dropout) throws IOException {
        requireFolder(folder);
        GptConfig config = HfConfig.read(folder, dropout);
        ModelKind kind = HfConfig.kind(folder);
        PretrainedWeights weights = PretrainedWeights.read(folder, config);
        Map<String, Tensor> extras = new LinkedHashMap<>();
        boolean done = false;
        try {
            Gpt gpt = new Gpt(config, new Rng(0), device);
            gpt.loadParameters(weights.parameters, true);
            for (Map.Entry<String, Tensor> e : weights.extras.entrySet()) extras.put(e.getKey(), onDevice(e.getValue(), device));
            done = true;
            return new PretrainedModel(gpt, kind, extras);
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

    /** What the folder's model is for (a folder without our metadata holds a language model). */
    public static ModelKind kind(Path folder) throws IOException {
        requireFolder(folder);
        return HfConfig.kind(folder);
    }

    /**
     * GPT-2's byte-level BPE from the folder's vocab.json and merges.txt.
     *
     * @throws IOException when a file is missing, or when the folder's config.json gives the model fewer token
     *                     rows (vocab_size) than the tokenizer has ids: those ids would fail later, mid-generation
     */
    public static BpeTokenizer tokenizer(Path folder) throws IOException {
        requireFolder(folder);
        for (String f : new String[] {VOCAB, MERGES})
            if (!Files.isRegularFile(folder.resolve(f)))
                throw new NoSuchFileException(folder.resolve(f).toString(), null,
                        "no " + f + ": the GPT-2 tokenizer needs vocab.json and merges.txt");
        BpeTokenizer tokenizer = BpeTokenizer.load(folder.resolve(VOCAB), folder.resolve(MERGES));
        // Tokenizer files alone have no model to fit. A smaller tokenizer is allowed: transformers folders whose
        // added tokens live in added_tokens.json (which this does not read) have a vocab_size beyond vocab.json's.
        if (Files.isRegularFile(folder.resolve(HfConfig.FILE))) {
            int vocab = HfConfig.read(folder, null).vocabSize();
            if (!embeds(tokenizer, vocab))
                throw new IOException(folder.resolve(VOCAB) + ": the tokenizer has " + tokenizer.vocabSize() + " tokens but the"
                        + " model embeds only " + vocab + " (" + HfConfig.FILE + ": vocab_size " + vocab + "): " + VOCAB + " and "
                        + MERGES + " belong to another model");
        }
        return tokenizer;
    }

    /** A language model as a folder (see {@link #save(Path, PretrainedModel, BpeTokenizer, IoConsumer)}). */
    public static void save(Path folder, Gpt model, Map<String, Tensor> extraTensors, BpeTokenizer tokenizer) throws IOException {
        save(folder, new PretrainedModel(model, ModelKind.LM, extraTensors == null ? Map.of() : extraTensors), tokenizer, null);
    }

    /**
     * Writes a model folder that transformers' GPT2LMHeadModel.from_pretrained loads: config.json in GPT2Config's
     * form with our metadata, model.safetensors with "transformer."-prefixed F32 weights, no lm_head.weight (tied)
     * and metadata {"format": "pt"}, the extra tensors under their own names (transformers ignores them with a
     * warning), and vocab.json + merges.txt when tokenizer is not null (its end-of-text id becomes bos_token_id and
     * eos_token_id).
     *
     * <p>The whole folder is replaced at once (see {@link PretrainedFolder}): a crash leaves either the old
     * folder or the new one. Files of the old folder that this does not write are kept, except a training state
     * ({@value #TRAINING_STATE}, {@value #OPTIMIZER_STATE}), which belongs to the old weights.
     *
     * @param trainingState null, or writes a trainer's state into the new folder (given as its argument) before
     *                      it takes the old one's place, so weights and state are replaced together
     */
    public static void save(Path folder, PretrainedModel model, BpeTokenizer tokenizer, IoConsumer<Path> trainingState) throws IOException {
        Gpt gpt = model.gpt();
        GptConfig c = gpt.config();
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : gpt.parameters().entrySet()) tensors.put(PretrainedWeights.PREFIX + e.getKey(), e.getValue());
        for (Map.Entry<String, Tensor> e : model.extras().entrySet()) {
            String name = e.getKey();
            String bare = name.startsWith(PretrainedWeights.PREFIX) ? name.substring(PretrainedWeights.PREFIX.length()) : name;
            if (gpt.parameters().containsKey(bare) || bare.equals("lm_head.weight") || bare.startsWith("h.")
                    || bare.startsWith("wte.") || bare.startsWith("wpe.") || bare.startsWith("ln_f."))
                throw new IllegalArgumentException("extra tensor '" + name + "' would clash with GPT-2's own names in " + PretrainedWeights.FILE);
            tensors.put(name, e.getValue());
        }
        Integer eos = endOfText(tokenizer, c);
        byte[] config = HfConfig.write(c, eos, model.kind());
        PretrainedFolder.replace(folder, Set.of(TRAINING_STATE, OPTIMIZER_STATE), dir -> {
            AtomicFiles.write(dir.resolve(HfConfig.FILE), out -> out.write(config));
            SafeTensors.write(dir.resolve(PretrainedWeights.FILE), tensors, Map.of("format", "pt"));
            if (tokenizer != null) tokenizer.save(dir.resolve(VOCAB), dir.resolve(MERGES));
            if (trainingState != null) trainingState.accept(dir);
        });
    }

    /** The end-of-text id for config.json; a tokenizer the model cannot embed is refused (see {@link #embeds}). */
    private static Integer endOfText(BpeTokenizer tokenizer, GptConfig c) {
        if (tokenizer == null) return c.vocabSize() == GptConfig.gpt2().vocabSize() ? c.vocabSize() - 1 : null;
        if (!embeds(tokenizer, c.vocabSize()))
            throw new IllegalArgumentException("the tokenizer has " + tokenizer.vocabSize() + " tokens but the model embeds only "
                    + c.vocabSize() + ": they do not belong together");
        OptionalInt eos = tokenizer.specialId(BpeTokenizer.END_OF_TEXT);
        return eos.isPresent() ? eos.getAsInt() : null;
    }

    /**
     * Whether a model of vocab rows embeds every id of the tokenizer, but for a trailing {@value BpeTokenizer#PAD}
     * (GPT-2's files load with one appended, id 50257, past the model's 50257 rows; padding is masked, never embedded).
     */
    public static boolean embeds(BpeTokenizer tokenizer, int vocab) {
        int n = tokenizer.vocabSize();
        return n <= vocab || (n == vocab + 1 && tokenizer.pad() == vocab);
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
