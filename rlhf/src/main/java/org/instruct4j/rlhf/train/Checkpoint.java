package org.instruct4j.rlhf.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.instruct4j.engine.Device;
import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.io.SafeTensors;

/**
 * A training checkpoint is one folder:
 * <pre>
 *   weights.safetensors    the model(s), by parameter name (several models: "policy.", "value." prefixes)
 *   optimizer.safetensors  optimizer moments (absent when there is no optimizer state)
 *   config.json            what the caller needs to rebuild the model (GPT config, token ids, ...)
 *   state.json             step, RNG state, named scalars
 * </pre>
 * The folder is written next to the target under a temporary name and then renamed into place; the previous
 * checkpoint is moved aside first and deleted only after the new one is in place, so a crash leaves either the
 * old or the new checkpoint (the old one under ".NAME.old" if the crash hit between the two renames, which
 * {@link #load} finds).
 */
public final class Checkpoint {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public static final String WEIGHTS = "weights.safetensors", OPTIMIZER = "optimizer.safetensors",
            CONFIG = "config.json", STATE = "state.json";

    private Checkpoint() {}

    /** What a checkpoint holds once loaded. */
    public record Loaded(Map<String, Tensor> weights, Map<String, Tensor> optimizer, JsonNode config, TrainState state) {
        /** The weights whose names start with prefix, with the prefix removed. */
        public Map<String, Tensor> weights(String prefix) { return unprefixed(prefix, weights); }

        public Map<String, Tensor> optimizer(String prefix) { return unprefixed(prefix, optimizer); }
    }

    public static void save(Path dir, Map<String, Tensor> weights, Map<String, Tensor> optimizer, Object config, TrainState state) {
        Path target = dir.toAbsolutePath().normalize();
        Path parent = target.getParent();
        String name = target.getFileName().toString();
        Path tmp = parent.resolve("." + name + ".tmp-" + ProcessHandle.current().pid() + "-" + System.nanoTime());
        Path old = parent.resolve("." + name + ".old");
        try {
            Files.createDirectories(tmp);
            SafeTensors.write(tmp.resolve(WEIGHTS), weights, Map.of("format", "pt"));
            if (optimizer != null && !optimizer.isEmpty()) SafeTensors.write(tmp.resolve(OPTIMIZER), optimizer, null);
            JSON.writeValue(tmp.resolve(CONFIG).toFile(), config == null ? Map.of() : config);
            Map<String, Object> st = new LinkedHashMap<>();
            st.put("step", state.step());
            st.put("rng", state.rngState());
            st.put("scalars", state.scalars());
            JSON.writeValue(tmp.resolve(STATE).toFile(), st);
            deleteTree(old);
            if (Files.exists(target)) move(target, old);
            move(tmp, target);
            deleteTree(old);
        } catch (IOException e) {
            try { deleteTree(tmp); } catch (IOException ignored) { /* the original error matters more */ }
            throw new UncheckedIOException("cannot write checkpoint " + dir + ": " + e.getMessage(), e);
        }
    }

    public static Loaded load(Path dir, Device device) {
        Path target = dir.toAbsolutePath().normalize();
        if (!Files.isDirectory(target)) {
            Path old = target.getParent().resolve("." + target.getFileName() + ".old");
            if (Files.isDirectory(old)) target = old;   // a crash between the two renames of save
            else throw new UncheckedIOException(new NoSuchFileException(dir + ": no checkpoint folder there"));
        }
        try {
            Path w = target.resolve(WEIGHTS);
            if (!Files.exists(w)) throw new IOException(dir + ": not a checkpoint (no " + WEIGHTS + ")");
            Map<String, Tensor> weights = SafeTensors.read(w, device);
            Path o = target.resolve(OPTIMIZER);
            Map<String, Tensor> optimizer = Files.exists(o) ? SafeTensors.read(o, device) : Map.of();
            Path c = target.resolve(CONFIG);
            JsonNode config = Files.exists(c) ? JSON.readTree(c.toFile()) : JSON.createObjectNode();
            Path s = target.resolve(STATE);
            TrainState state = new TrainState(0, 0, Map.of());
            if (Files.exists(s)) {
                JsonNode st = JSON.readTree(s.toFile());
                Map<String, Double> scalars = new HashMap<>();
                st.path("scalars").fields().forEachRemaining(e -> scalars.put(e.getKey(), e.getValue().asDouble()));
                state = new TrainState(st.path("step").asLong(), st.path("rng").asLong(), scalars);
            }
            return new Loaded(weights, optimizer, config, state);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read checkpoint " + dir + ": " + e.getMessage(), e);
        }
    }

    public static JsonNode toJson(Object value) { return JSON.valueToTree(value); }

    public static <T> T fromJson(JsonNode node, Class<T> type) {
        try {
            return JSON.treeToValue(node, type);
        } catch (IOException e) {
            throw new IllegalArgumentException("bad checkpoint config: " + e.getMessage(), e);
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

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to);
        }
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(q);
        }
    }
}
