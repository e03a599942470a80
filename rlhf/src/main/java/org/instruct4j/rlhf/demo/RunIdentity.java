package org.instruct4j.rlhf.demo;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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

    static RunIdentity of(Path models) throws IOException {
        Map<String, String> weights = new LinkedHashMap<>();
        for (String name : MODELS) {
            Path file = models.resolve(name).resolve("model.safetensors");
            if (Files.isRegularFile(file)) weights.put(name, sha256(file));
        }
        return new RunIdentity(codeVersion(), weights);
    }

    /** "gpt 00b564bb, sft 14c90a1f, ...": the first 8 hex digits of each, as docs/REPRODUCTION.md quotes them. */
    String shortWeights() {
        StringBuilder s = new StringBuilder();
        weights.forEach((name, hash) -> s.append(s.isEmpty() ? "" : ", ").append(name).append(' ').append(hash, 0, 8));
        return s.toString();
    }

    private static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[1 << 16];
            for (int n = in.read(buffer); n > 0; n = in.read(buffer)) digest.update(buffer, 0, n);
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java has SHA-256", e);
        }
    }
}
