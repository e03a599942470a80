package org.instruct4j.engine.backend.cuda;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Compiled kernels on disk: <dir>/<sha256 of source, headers, options, architecture and compiler release>.cubin,
 * so a kernel is compiled once per machine, source version and NVRTC release. The directory is $INSTRUCT4J_CACHE, else ~/.cache/instruct4j/kernels.
 * Files are written to a temporary name and renamed, so a crash never leaves half a cubin behind.
 */
public final class KernelCache {
    /** Turns CUDA C into a loadable image (NVRTC on a GPU machine, a fake in tests). */
    public interface Compiler {
        byte[] compile(String name, String source, Map<String, String> headers, List<String> options);

        /** Which compiler and version ("NVRTC 13.1"): an upgraded NVRTC must not be served another's images. */
        String release();
    }

    private final Path directory;
    private final Compiler compiler;
    private int hits, misses;

    public KernelCache(Path directory, Compiler compiler) {
        this.directory = directory;
        this.compiler = compiler;
    }

    public static Path defaultDirectory(Map<String, String> env, String userHome) {
        String override = env.get("INSTRUCT4J_CACHE");
        if (override != null && !override.isBlank()) return Path.of(override);
        return Path.of(userHome, ".cache", "instruct4j", "kernels");
    }

    public static Path defaultDirectory() { return defaultDirectory(System.getenv(), System.getProperty("user.home")); }

    /** NVRTC options for an architecture such as "sm_90": a cubin for exactly that GPU. */
    public static List<String> options(String arch) {
        return List.of("--gpu-architecture=" + arch, "-std=c++17", "-default-device");
    }

    /** The cache key: changes when any input of the compile changes, the compiler's release included. */
    public static String key(String source, Map<String, String> headers, List<String> options, String arch, String release) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (String part : List.of("source", source, "arch", arch, "compiler", release)) update(sha, part);
            for (var e : new TreeMap<>(headers).entrySet()) { update(sha, "header " + e.getKey()); update(sha, e.getValue()); }
            for (String o : options) update(sha, "option " + o);
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void update(MessageDigest sha, String part) {
        byte[] bytes = part.getBytes(StandardCharsets.UTF_8);
        sha.update(HexFormat.of().formatHex(java.nio.ByteBuffer.allocate(4).putInt(bytes.length).array()).getBytes(StandardCharsets.US_ASCII));
        sha.update(bytes);  // length-prefixed, so ("ab","c") and ("a","bc") differ
    }

    public Path fileFor(KernelSources.Source source, String arch) {
        return directory.resolve(key(source.text(), source.headers(), options(arch), arch, compiler.release()) + ".cubin");
    }

    /** The compiled image of source for arch, from disk when present, else compiled and stored. */
    public synchronized byte[] image(KernelSources.Source source, String arch) {
        Path file = fileFor(source, arch);
        if (Files.isRegularFile(file)) {
            try {
                byte[] cached = Files.readAllBytes(file);
                hits++;
                return cached;
            } catch (IOException e) {
                // an unreadable cache entry is compiled again
            }
        }
        misses++;
        byte[] image = compiler.compile(source.module() + ".cu", source.text(), source.headers(), options(arch));
        try {
            Files.createDirectories(directory);
            Path tmp = Files.createTempFile(directory, source.module(), ".tmp");
            Files.write(tmp, image);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            System.err.println("instruct4j: could not write the kernel cache " + file + ": " + e.getMessage());
        }
        return image;
    }

    public synchronized int hits() { return hits; }

    public synchronized int misses() { return misses; }
}
