package org.instruct4j.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.instruct4j.rlhf.demo.RunIdentity;

/**
 * Where a harness runs: what it needs from there, said in one line where it is missing rather than as a stack trace,
 * and what it prints at its start about the settings that change its figures, so that a pasted output says how it was
 * run. This class names no engine or DJL class, so it loads where they are missing.
 */
public final class RunEnvironment {
    /** A harness cannot run here; the message says why and what is needed, in one line. */
    public static final class Unavailable extends RuntimeException {
        public Unavailable(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private RunEnvironment() {}

    /**
     * Exits with status 1 and one line where harness's dependencies are not on the class path (benchmarks.jar run
     * without the lib folder the build leaves beside it: instruct4j's engine, and DJL where libtorch is a side). Call it
     * first in the harness class: a static initializer before the fields that need the engine.
     */
    public static void requireLib(String harness, boolean libtorch) {
        List<String> needed = libtorch ? List.of("org.instruct4j.engine.Tensor", "ai.djl.ndarray.NDManager")
                : List.of("org.instruct4j.engine.Tensor");
        for (String name : needed) {
            try {
                Class.forName(name, false, RunEnvironment.class.getClassLoader());
            } catch (ClassNotFoundException | LinkageError e) {
                System.err.println(harness + ": class " + name + " is missing: the harness needs bench/target/lib (the"
                        + " build's copy of its dependencies) beside benchmarks.jar; looked in " + libDir());
                System.exit(1);
            }
        }
    }

    /**
     * The environment variables that change the figures: glibc's malloc keeping freed memory (libtorch's buffers), how
     * OpenMP and OpenBLAS threads wait, the kernels libtorch, MKL and OpenBLAS pick, and instruct4j's thread count.
     */
    static final List<String> SETTINGS = List.of("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_",
            "OMP_WAIT_POLICY", "OPENBLAS_THREAD_TIMEOUT", "OPENBLAS_CORETYPE", "ATEN_CPU_CAPABILITY",
            "MKL_ENABLE_INSTRUCTIONS", "INSTRUCT4J_THREADS");

    /**
     * Call from harness's main once its arguments are checked: prints the code it runs (git describe) and its JVM, and
     * each of {@link #SETTINGS} as set or unset; and makes an {@link Unavailable} that ends main print as one line,
     * "harness: message", with status 1 (any other exception keeps its stack trace).
     */
    public static void start(String harness) {
        Thread main = Thread.currentThread();
        Thread.UncaughtExceptionHandler previous = main.getUncaughtExceptionHandler();
        main.setUncaughtExceptionHandler((thread, e) -> {
            if (e instanceof Unavailable) {
                System.err.println(harness + ": " + e.getMessage());
                System.exit(1);
            }
            previous.uncaughtException(thread, e);
        });
        System.out.println("code: " + code() + "; JDK " + Runtime.version() + ", JVM options: "
                + String.join(" ", ManagementFactory.getRuntimeMXBean().getInputArguments()));
        System.out.println("environment: " + settings(System.getenv()));
    }

    /** "MALLOC_MMAP_THRESHOLD_=268435456, MALLOC_TRIM_THRESHOLD_ unset, ...": every one of SETTINGS. */
    static String settings(Map<String, String> env) {
        StringBuilder s = new StringBuilder();
        for (String name : SETTINGS) {
            if (!s.isEmpty()) s.append(", ");
            String value = env.get(name);
            s.append(name).append(value == null ? " unset" : "=" + value);
        }
        return s.toString();
    }

    /**
     * The code's version: the launcher's (-Dinstruct4j.version, {@link RunIdentity#codeVersion}) where given, else
     * {@code git describe --always --dirty} of the checkout the jar was built in (its working tree now, which is the
     * build's unless it changed since), else "unknown".
     */
    static String code() {
        String given = RunIdentity.codeVersion();
        if (given != null) return given;
        Path root = libDir().getParent();
        for (int up = 0; root != null && up < 3 && !Files.exists(root.resolve(".git")); up++) root = root.getParent();
        if (root == null || !Files.exists(root.resolve(".git"))) return "unknown (not run from a git checkout's build)";
        try {
            Process git = new ProcessBuilder("git", "-C", root.toString(), "describe", "--always", "--dirty")
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            if (git.waitFor(5, TimeUnit.SECONDS) && git.exitValue() == 0) {   // its one line fits the pipe meanwhile
                String out = new String(git.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
                if (!out.isEmpty()) return out + " (git describe in " + root + ")";
            }
            git.destroy();
        } catch (IOException e) {
            // no git: unknown
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return "unknown (git describe failed in " + root + ")";
    }

    /** The lib folder the jar this class came from names in its manifest (target/lib when it came from target/classes). */
    static Path libDir() {
        try {
            Path from = Path.of(RunEnvironment.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return from.resolveSibling("lib");
        } catch (URISyntaxException | RuntimeException e) {
            return Path.of("lib");
        }
    }
}
