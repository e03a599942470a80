package org.instruct4j.rlhf.train;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.instruct4j.engine.Device;
import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.io.AtomicFiles;
import org.instruct4j.engine.io.IoErrors;
import org.instruct4j.engine.io.SafeTensors;
import org.instruct4j.engine.nn.Pretrained;
import org.instruct4j.engine.nn.PretrainedModel;
import org.instruct4j.engine.text.BpeTokenizer;

/**
 * A trainer's checkpoint is a model folder (the one format, {@link Pretrained}) with the training state beside
 * the weights:
 * <pre>
 *   config.json, model.safetensors, [vocab.json, merges.txt]   the model; a trainer's other models (a value model,
 *                                                              the best weights so far) as extra tensors under a prefix
 *   training_state.json     the {@link TrainState} record as JSON: step, random stream, named numbers
 *   optimizer.safetensors   the optimizer's moments by the trainer's names (absent when there are none)
 * </pre>
 * The folder is replaced as a whole, weights and state together, so a crash leaves the old checkpoint or the new
 * one. A new field of the state is a new component of TrainState (Jackson writes and reads records as they are).
 */
public final class Checkpoint {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private Checkpoint() {}

    /** What a checkpoint holds once loaded. */
    public record Loaded(PretrainedModel model, TrainState state, Map<String, Tensor> optimizer) {
        /** The model's extra tensors whose names start with prefix, with the prefix removed. */
        public Map<String, Tensor> extras(String prefix) { return unprefixed(prefix, model.extras()); }

        public Map<String, Tensor> optimizer(String prefix) { return unprefixed(prefix, optimizer); }
    }

    /**
     * Writes the checkpoint folder.
     *
     * @param tokenizer null when the trainer has none (the folder then needs one beside it to be used by the CLI)
     * @param optimizer the optimizer's state tensors; may be empty
     */
    public static void save(Path folder, PretrainedModel model, BpeTokenizer tokenizer, TrainState state, Map<String, Tensor> optimizer) {
        byte[] json;
        try {
            json = JSON.writeValueAsBytes(state);
            Pretrained.save(folder, model, tokenizer, dir -> {
                AtomicFiles.write(dir.resolve(Pretrained.TRAINING_STATE), out -> out.write(json));
                if (!optimizer.isEmpty()) SafeTensors.write(dir.resolve(Pretrained.OPTIMIZER_STATE), optimizer, null);
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write checkpoint " + folder + ": " + e.getMessage(), e);
        }
    }

    /**
     * Reads a checkpoint that {@link #save} wrote.
     *
     * @throws UncheckedIOException naming the folder and the file: no such folder, no training state, a bad file
     */
    public static Loaded load(Path folder, Device device) {
        try {
            Path stateFile = folder.resolve(Pretrained.TRAINING_STATE), optimizerFile = folder.resolve(Pretrained.OPTIMIZER_STATE);
            PretrainedModel model = Pretrained.loadWithExtras(folder, device, null);
            if (!Files.isRegularFile(stateFile))
                throw new IOException(stateFile + ": no training state: the folder holds a model, not a trainer's checkpoint");
            TrainState state;
            try {
                state = JSON.readValue(stateFile.toFile(), TrainState.class);
            } catch (JsonProcessingException e) {   // cut short by a full disk, or edited: the file and where, in one line
                throw IoErrors.notJson(stateFile, e);
            }
            Map<String, Tensor> optimizer = Files.isRegularFile(optimizerFile) ? SafeTensors.read(optimizerFile, device) : Map.of();
            return new Loaded(model, state, optimizer);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read checkpoint " + folder + ": " + e.getMessage(), e);
        }
    }

    /** The step of the checkpoint in folder, read from its training state alone; empty when there is none to read. */
    public static java.util.OptionalLong savedStep(Path folder) {
        try {
            Path stateFile = folder.resolve(Pretrained.TRAINING_STATE);
            if (!Files.isRegularFile(stateFile)) return java.util.OptionalLong.empty();
            var step = JSON.readTree(stateFile.toFile()).get("step");
            return step != null && step.canConvertToLong() ? java.util.OptionalLong.of(step.asLong()) : java.util.OptionalLong.empty();
        } catch (IOException e) {
            return java.util.OptionalLong.empty();
        }
    }

    public static Map<String, Tensor> prefixed(String prefix, Map<String, Tensor> tensors) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) out.put(prefix + e.getKey(), e.getValue());
        return out;
    }

    public static Map<String, Tensor> unprefixed(String prefix, Map<String, Tensor> tensors) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : tensors.entrySet())
            if (e.getKey().startsWith(prefix)) out.put(e.getKey().substring(prefix.length()), e.getValue());
        return out;
    }
}
