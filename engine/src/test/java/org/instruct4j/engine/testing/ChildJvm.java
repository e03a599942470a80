package org.instruct4j.engine.testing;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A main class run in a JVM of its own, on the tests' classpath, with flags this JVM cannot change for itself
 * (another vector width, no Vector API module, a small heap, no type profile): how it ended and what it printed.
 */
public record ChildJvm(int exitCode, String out, String err) {
    private static final long TIMEOUT_SECONDS = 120;

    public static ChildJvm run(Class<?> main, String... jvmFlags) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(List.of(jvmFlags));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        Path err = Files.createTempFile("child-jvm", ".err");   // a file, so a chatty stderr cannot block the child
        try {
            Process child = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
            String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!child.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                child.destroyForcibly();
                throw new AssertionError("the child JVM running " + main.getName() + " did not end in " + TIMEOUT_SECONDS + " s");
            }
            return new ChildJvm(child.exitValue(), out, Files.readString(err));
        } finally {
            Files.deleteIfExists(err);
        }
    }
}
