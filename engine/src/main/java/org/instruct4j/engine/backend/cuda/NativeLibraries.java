package org.instruct4j.engine.backend.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * Finds a native library by soname, newest CUDA major first (e.g. libnvrtc.so.13, then .so.12), so one jar runs
 * on CUDA 12 and 13. For each soname it tries the dynamic loader's own search (LD_LIBRARY_PATH, ldconfig), then
 * CUDA_HOME, CUDA_PATH, /usr/local/cuda and the distribution's library folders. The error names the library and
 * every place it looked.
 */
public final class NativeLibraries {
    /** A loaded library and where it came from (a path, or the soname when the dynamic loader found it). */
    public record Loaded(String name, SymbolLookup symbols, String from) {}

    private static final List<String> SYSTEM_DIRS = List.of(
            "/usr/local/cuda/lib64", "/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib/wsl/lib");

    private NativeLibraries() {}

    /** Every place tried, in order: "soname" alone means the dynamic loader's search. */
    static List<String> candidates(List<String> sonames, Map<String, String> env) {
        List<String> dirs = new ArrayList<>();
        for (String var : List.of("CUDA_HOME", "CUDA_PATH")) {
            String home = env.get(var);
            if (home != null && !home.isBlank()) {
                dirs.add(Path.of(home, "lib64").toString());
                dirs.add(Path.of(home, "lib").toString());
            }
        }
        dirs.addAll(SYSTEM_DIRS);
        LinkedHashSet<String> out = new LinkedHashSet<>();
        for (String soname : sonames) {
            out.add(soname);
            for (String dir : dirs) out.add(Path.of(dir, soname).toString());
        }
        return List.copyOf(out);
    }

    /** Loads the first candidate that opens, for the life of the JVM. */
    public static Loaded load(String name, List<String> sonames) {
        Loaded emulated = EmulatedDevice.standIn(name, sonames);  // only when chosen explicitly
        if (emulated != null) return emulated;
        return load(name, sonames, System.getenv());
    }

    static Loaded load(String name, List<String> sonames, Map<String, String> env) {
        List<String> tried = new ArrayList<>();
        for (String candidate : candidates(sonames, env)) {
            boolean bare = !candidate.contains("/");
            if (!bare && !Files.exists(Path.of(candidate))) {
                tried.add(candidate + " (absent)");
                continue;
            }
            try {
                SymbolLookup lookup = bare ? SymbolLookup.libraryLookup(candidate, Arena.global())
                        : SymbolLookup.libraryLookup(Path.of(candidate), Arena.global());
                return new Loaded(name, lookup, candidate);
            } catch (IllegalArgumentException | IllegalCallerException e) {
                tried.add(candidate + (bare ? " (dynamic loader search: " + e.getMessage() + ")" : " (" + e.getMessage() + ")"));
            }
        }
        throw new CudaException("could not load " + name + "; tried, in order: " + String.join(", ", tried)
                + ". Install the CUDA toolkit or driver, or set CUDA_HOME / LD_LIBRARY_PATH.");
    }
}
