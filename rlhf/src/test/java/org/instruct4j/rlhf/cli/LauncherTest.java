package org.instruct4j.rlhf.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher (./instruct4j) runs each build from a copy of its jars in .builds/, holds a lock on that copy while its
 * JVM runs, and removes the copies no JVM holds, with flock(1) and, where it is missing, through perl. It runs here in a
 * checkout of its own whose build is a stand-in CLI (Main prints "ran", and with an argument waits for its input to end),
 * so that no Maven build is needed.
 */
class LauncherTest {
    @TempDir Path root;
    private Path copies;

    @BeforeEach void checkout() throws Exception {
        assumeTrue(found("bash") && found("flock"), "needs bash and flock(1) (util-linux) to run the launcher and probe its locks");
        Path repo = Path.of("..").toAbsolutePath().normalize();
        Files.copy(repo.resolve("instruct4j"), root.resolve("instruct4j"));
        Files.createDirectories(root.resolve(".mvn"));
        Files.copy(repo.resolve(".mvn/jdk25.sh"), root.resolve(".mvn/jdk25.sh"));
        Path target = root.resolve("rlhf/target");
        Files.createDirectories(target.resolve("lib"));
        standInCli(target.resolve("instruct4j-rlhf.jar"));
        Files.copy(target.resolve("instruct4j-rlhf.jar"), target.resolve("lib/dependency.jar"));
        Files.writeString(target.resolve(".launcher-built"), "");   // the build is current: no source is newer
        copies = root.resolve(".builds");
    }

    @Test void aBuildRunsFromItsCopyAndCopiesNoJvmHoldsAreRemoved() throws Exception {
        launchersRemoveWhatNoOneHolds(System.getenv("PATH"));
    }

    @Test void withoutFlockPerlTakesTheSameLocks() throws Exception {
        assumeTrue(found("perl"), "needs perl, the launcher's way to lock where flock(1) is missing");
        launchersRemoveWhatNoOneHolds(pathWithout("flock").toString());
    }

    @Test void aRunningJvmHoldsItsCopy() throws Exception {
        for (String path : List.of(System.getenv("PATH"), pathWithout("flock").toString())) {
            if (!path.equals(System.getenv("PATH"))) assumeTrue(found("perl"), "needs perl");
            Process jvm = launcher(path, "wait").start();
            try {
                assertThat(new String(jvm.getInputStream().readNBytes(4), StandardCharsets.UTF_8)).isEqualTo("ran\n");
                Path copy = theCopy();
                assertThat(exclusiveLockFree(copy)).as("the copy a running JVM reads, PATH %s", path).isFalse();
                jvm.getOutputStream().close();
                assertThat(jvm.waitFor(30, TimeUnit.SECONDS)).isTrue();
                assertThat(exclusiveLockFree(copy)).as("the copy once its JVM has ended").isTrue();
            } finally {
                jvm.destroyForcibly();
            }
        }
    }

    private void launchersRemoveWhatNoOneHolds(String path) throws Exception {
        assertThat(run(path)).isEqualTo("ran\n");
        Path current = theCopy();
        Path stale = Files.createDirectories(copies.resolve("123")), held = Files.createDirectories(copies.resolve("456"));
        Path halfMade = Files.createDirectories(copies.resolve(".copy.abc"));
        Process holder = new ProcessBuilder("bash", "-c", "exec 7<\"$1\"; flock -s 7; echo held; exec sleep 60", "-", held.toString()).start();
        try {
            assertThat(new String(holder.getInputStream().readNBytes(5), StandardCharsets.UTF_8)).isEqualTo("held\n");
            assertThat(run(path)).isEqualTo("ran\n");
            assertThat(current).isDirectory();
            assertThat(held).as("a copy another process holds").isDirectory();
            assertThat(stale).as("a copy no one holds").doesNotExist();
            assertThat(halfMade).as("a copy a killed launcher left half made").doesNotExist();
        } finally {
            holder.destroyForcibly().waitFor();
        }
        assertThat(run(path)).isEqualTo("ran\n");
        assertThat(held).as("the copy once its holder has ended").doesNotExist();
        assertThat(current).isDirectory();
    }

    /** The one copy of the build in .builds/ (besides the lock files). */
    private Path theCopy() throws IOException {
        try (Stream<Path> s = Files.list(copies)) {
            List<Path> dirs = s.filter(Files::isDirectory).toList();
            assertThat(dirs).hasSize(1);
            Path copy = dirs.getFirst();
            assertThat(copy.resolve("instruct4j-rlhf.jar")).isRegularFile();
            assertThat(copy.resolve("lib/dependency.jar")).isRegularFile();
            return copy;
        }
    }

    private String run(String path) throws Exception {
        Process p = launcher(path).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out.replaceAll("(?m)^WARNING: .*\n", "");
    }

    private ProcessBuilder launcher(String path, String... args) {
        List<String> command = new ArrayList<>(List.of("bash", root.resolve("instruct4j").toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).directory(root.toFile());
        pb.environment().put("PATH", path);
        pb.environment().remove("INSTRUCT4J_JAVA_OPTS");
        return pb;
    }

    private static boolean exclusiveLockFree(Path dir) throws Exception {
        return new ProcessBuilder("bash", "-c", "exec 7<\"$1\"; flock -n -x 7", "-", dir.toString()).start().waitFor() == 0;
    }

    /** A folder of links to every program on the PATH but one. */
    private Path pathWithout(String program) throws IOException {
        Path bin = Files.createDirectories(root.resolve("bin-without-" + program));
        for (String dir : System.getenv("PATH").split(":")) {
            if (dir.isEmpty() || !Files.isDirectory(Path.of(dir))) continue;
            try (Stream<Path> files = Files.list(Path.of(dir))) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    Path link = bin.resolve(f.getFileName().toString());
                    if (!f.getFileName().toString().equals(program) && !Files.exists(link, LinkOption.NOFOLLOW_LINKS))
                        Files.createSymbolicLink(link, f);
                }
            }
        }
        return bin;
    }

    private static boolean found(String program) throws Exception {
        return new ProcessBuilder("bash", "-c", "command -v \"$1\"", "-", program).start().waitFor() == 0;
    }

    /** A jar whose Main prints "ran" and, given an argument, waits for its input to end. */
    private void standInCli(Path jar) throws IOException {
        Path src = Files.createDirectories(root.resolve("stand-in/org/instruct4j/rlhf/cli")).resolve("Main.java");
        Files.writeString(src, """
                package org.instruct4j.rlhf.cli;
                public class Main {
                    public static void main(String[] args) throws Exception {
                        System.out.println("ran");
                        if (args.length > 0) System.in.readAllBytes();
                    }
                }
                """);
        Path classes = Files.createDirectories(root.resolve("stand-in/classes"));
        int rc = ToolProvider.getSystemJavaCompiler().run(null, null, null, "-d", classes.toString(), src.toString());
        assertThat(rc).isZero();
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out)) {
            j.putNextEntry(new JarEntry("org/instruct4j/rlhf/cli/Main.class"));
            j.write(Files.readAllBytes(classes.resolve("org/instruct4j/rlhf/cli/Main.class")));
            j.closeEntry();
        }
    }
}
