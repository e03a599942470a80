package org.instruct4j.bench;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;

/**
 * What a harness needs from where it runs, said in one line where it is missing rather than as a stack trace. This
 * class names no engine or DJL class, so it loads where they are missing.
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
     * without the lib folder the build leaves beside it: instruct4j's engine, and DJL where libtorch is a side), and
     * makes an {@link Unavailable} that ends the calling thread (main) print as "harness: message" with status 1.
     * Call it first in the harness class (a static initializer before the fields that need the engine).
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
        Thread main = Thread.currentThread();
        Thread.UncaughtExceptionHandler previous = main.getUncaughtExceptionHandler();
        main.setUncaughtExceptionHandler((thread, e) -> {
            if (e instanceof Unavailable) {
                System.err.println(harness + ": " + e.getMessage());
                System.exit(1);
            }
            previous.uncaughtException(thread, e);
        });
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
