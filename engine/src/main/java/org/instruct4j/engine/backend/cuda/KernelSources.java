package org.instruct4j.engine.backend.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads kernel sources from the classpath (org/instruct4j/kernels/NAME.cu, packaged by the kernels module) with
 * the headers they include by quoted name, which NVRTC receives as in-memory headers.
 */
public final class KernelSources {
    static final String ROOT = "org/instruct4j/kernels/";
    /** The kernel files the CUDA backend loads (launched through Launches, attention through AttentionPlan). */
    public static final List<String> MODULES = List.of(
            "adamw", "attention", "crossentropy", "elementwise", "embedding", "gelu", "layernorm", "reduce", "softmax");
    private static final Pattern INCLUDE = Pattern.compile("^\\s*#\\s*include\\s+\"([^\"]+)\"", Pattern.MULTILINE);

    /** One kernel file and its headers (name to text). */
    public record Source(String module, String text, Map<String, String> headers) {}

    private KernelSources() {}

    public static Source load(String module) {
        String text = read(module + ".cu");
        Map<String, String> headers = new LinkedHashMap<>();
        collectHeaders(text, headers);
        return new Source(module, text, headers);
    }

    /** The quoted includes of text, and of those headers in turn. */
    static void collectHeaders(String text, Map<String, String> headers) {
        for (String name : includes(text)) {
            if (headers.containsKey(name)) continue;
            String header = read(name);
            headers.put(name, header);
            collectHeaders(header, headers);
        }
    }

    static List<String> includes(String text) {
        Matcher m = INCLUDE.matcher(text);
        java.util.ArrayList<String> out = new java.util.ArrayList<>();
        while (m.find()) out.add(m.group(1));
        return out;
    }

    static String read(String file) {
        try (InputStream in = KernelSources.class.getClassLoader().getResourceAsStream(ROOT + file)) {
            if (in == null) throw new CudaException("kernel source " + ROOT + file + " is not on the classpath (is instruct4j-kernels a dependency?)");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new CudaException("could not read kernel source " + ROOT + file + ": " + e.getMessage());
        }
    }
}
