package org.instruct4j.rlhf.train;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.instruct4j.engine.Tensor;

/**
 * A short digest of what a run reads: its token sequences and the model files it starts from. A checkpoint records
 * it among the run's settings, so that --resume with other data of the same size, or another reward model, is
 * refused by name instead of going on with inputs the first part of the run never saw.
 */
public final class Fingerprint {
    private final MessageDigest sha256;

    public Fingerprint() {
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java has SHA-256", e);
        }
    }

    /** Adds a token sequence, its length first, so that [1, 2] + [3] and [1] + [2, 3] differ. */
    public Fingerprint add(int[] tokens) {
        ByteBuffer b = ByteBuffer.allocate(4 * (tokens.length + 1)).putInt(tokens.length);
        for (int t : tokens) b.putInt(t);
        sha256.update(b.array());
        return this;
    }

    public Fingerprint addAll(List<int[]> sequences) {
        add(new int[] {sequences.size()});
        for (int[] s : sequences) add(s);
        return this;
    }

    /** The first 12 hex digits of the SHA-256: enough to tell inputs apart, short enough to read in a message. */
    public String hex() { return HexFormat.of().formatHex(sha256.digest()).substring(0, 12); }

    public static String of(List<int[]> sequences) { return new Fingerprint().addAll(sequences).hex(); }

    public static String of(int[] tokens) { return new Fingerprint().add(tokens).hex(); }

    /** The digest of a model's weights as loaded (names, shapes, values), whichever files they came from. */
    public static String ofWeights(Map<String, Tensor> parameters) {
        Fingerprint f = new Fingerprint();
        parameters.forEach((name, p) -> {
            f.sha256.update(name.getBytes(StandardCharsets.UTF_8));
            f.add(p.shape());
            float[] v = p.toFloatArray();
            ByteBuffer b = ByteBuffer.allocate(4 * v.length);
            for (float x : v) b.putInt(Float.floatToRawIntBits(x));
            f.sha256.update(b.array());
        });
        return f.hex();
    }

    /** The SHA-256 of a file's bytes, all 64 hex digits. */
    public static String sha256(Path file) {
        Fingerprint f = new Fingerprint();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[1 << 16];
            for (int n = in.read(buffer); n > 0; n = in.read(buffer)) f.sha256.update(buffer, 0, n);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        return HexFormat.of().formatHex(f.sha256.digest());
    }
}
