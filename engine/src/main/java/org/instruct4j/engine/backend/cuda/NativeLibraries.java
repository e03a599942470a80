package org.instruct4j.engine.backend.cuda;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Finds a native library by soname, newest CUDA major first (e.g. libnvrtc.so.13, then .so.12), so one jar runs
 * on CUDA 12 and 13. For each soname it tries the dynamic loader's own search (LD_LIBRARY_PATH, ldconfig), then
 * CUDA_HOME, CUDA_PATH, /usr/local/cuda and the distribution's library folders. The error names the library and
 * every place it looked.
 *
 * <p>A library opened by full path may dlopen a companion by soname later (NVRTC opens libnvrtc-builtins.so.13.1
 * when it compiles). The dynamic loader would not look in the folder the library came from, so the companions
 * in that folder are opened first: once loaded, a later dlopen of their soname finds them.
 */
public final class NativeLibraries {
    /** A loaded library and where it came from (a path, or the soname when the dynamic loader found it). */
    public record Loaded(String name, SymbolLookup symbols, String from) {}

    /**
     * A library that did not load, carried by the {@link CudaException} that says so ({@link CudaException#notLoaded}),
     * so that doctor can list the places tried a line each and a one-line error can leave them out.
     *
     * @param what   the library ("the CUDA driver (libcuda)")
     * @param tried  each place tried, in order, with why it failed
     * @param advice what to do about it
     */
    public record NotLoaded(String what, List<String> tried, String advice) {
        /** "could not load the CUDA driver (libcuda)": the failure without the places tried. */
        public String headline() { return "could not load " + what; }

        /** The whole failure in one line, as the exception's message. */
        String message() { return headline() + "; tried, in order: " + String.join(", ", tried) + ". " + advice; }
    }

    private static final List<String> SYSTEM_DIRS = List.of(
            "/usr/local/cuda/lib64", "/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib/wsl/lib");

    private NativeLibraries() {}

    /**
     * A CUDA library's sonames worth trying under a driver: base.MAJOR for each of majors (newest first) that the
     * driver's own major version runs, then the unversioned base (checked once loaded by whoever needs to).
     */
    static List<String> forDriver(String base, List<Integer> majors, int driverVersion) {
        List<String> out = new ArrayList<>();
        for (int major : majors) if (major <= driverVersion / 1000) out.add(base + "." + major);
        out.add(base);
        return out;
    }

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
        return load(name, sonames, null, System.getenv());
    }

    /**
     * As {@link #load(String, List)}; a candidate opened by full path first gets the files of its folder named
     * companion + the candidate's version suffix (companion "libnvrtc-builtins" and libnvrtc.so.13 give
     * libnvrtc-builtins.so.13*).
     */
    public static Loaded load(String name, List<String> sonames, String companion) {
        return load(name, sonames, companion, System.getenv());
    }

    static Loaded load(String name, List<String> sonames, String companion, Map<String, String> env) {
        return loadFirst(name, candidates(sonames, env), companion);
    }

    /** The first of sonames found in folder (and only there), with its companions. */
    public static Loaded loadFrom(Path folder, String name, List<String> sonames, String companion) {
        return loadFirst(name, sonames.stream().map(s -> folder.resolve(s).toString()).toList(), companion);
    }

    private static Loaded loadFirst(String name, List<String> candidates, String companion) {
        List<String> tried = new ArrayList<>();
        for (String candidate : candidates) {
            boolean bare = !candidate.contains("/");
            if (!bare && !Files.exists(Path.of(candidate))) {
                tried.add(candidate + " (absent)");
                continue;
            }
            try {
                if (bare) return new Loaded(name, SymbolLookup.libraryLookup(candidate, Arena.global()), candidate);
                Path file = Path.of(candidate);
                if (companion != null) for (Path c : companions(file, companion)) SymbolLookup.libraryLookup(c, Arena.global());
                return new Loaded(name, SymbolLookup.libraryLookup(file, Arena.global()), candidate);
            } catch (IllegalArgumentException | IllegalCallerException e) {
                tried.add(candidate + (bare ? " (dynamic loader search: " + e.getMessage() + ")" : " (" + e.getMessage() + ")"));
            }
        }
        throw new CudaException(new NotLoaded(name, List.copyOf(tried),
                "Install the CUDA toolkit or driver, or set CUDA_HOME / LD_LIBRARY_PATH."));
    }

    /** The files beside library named companion + its version suffix (".so.13" of libnvrtc.so.13), in name order. */
    static List<Path> companions(Path library, String companion) {
        String file = library.getFileName().toString();
        int so = file.indexOf(".so");
        String prefix = companion + (so < 0 ? ".so" : file.substring(so));
        try (Stream<Path> siblings = Files.list(library.toAbsolutePath().getParent())) {
            return siblings.filter(p -> p.getFileName().toString().startsWith(prefix)).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }
}
