package org.instruct4j.rlhf.demo;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.instruct4j.rlhf.train.Fingerprint;

/**
 * What tells one run's bits from another's: the code it ran (the launcher's `git describe`, when it ran from a
 * clone) and the sha256 of each model's weights. Two runs whose weights hash alike made the same models, which is how
 * a reader checks a run against docs/REPRODUCTION.md.
 *
 * @param code    the code's version, or null when unknown (not started by the launcher, or not from a git clone)
 * @param weights model folder name -> sha256 of its model.safetensors, in hex, for the models present
 */
public record RunIdentity(String code, Map<String, String> weights) {
    static final List<String> MODELS = List.of("gpt", "sft", "rm", "ppo", "ppo-ptx");

    /** The code's version as the launcher read it (`git describe --always --dirty`), or null when unknown. */
    public static String codeVersion() {
        String code = System.getProperty("instruct4j.version");
        return code == null || code.isBlank() ? null : code;
    }

    static RunIdentity of(Path models) {
        Map<String, String> weights = new LinkedHashMap<>();
        for (String name : MODELS) {
            Path file = models.resolve(name).resolve("model.safetensors");
            if (Files.isRegularFile(file)) weights.put(name, Fingerprint.sha256(file));
        }
        return new RunIdentity(codeVersion(), weights);
    }

    /** "gpt 00b564bb, sft 14c90a1f, ...": the first 8 hex digits of each, as docs/REPRODUCTION.md quotes them. */
    String shortWeights() {
        StringBuilder s = new StringBuilder();
        weights.forEach((name, hash) -> s.append(s.isEmpty() ? "" : ", ").append(name).append(' ').append(hash, 0, 8));
        return s.toString();
    }
}
