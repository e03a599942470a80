package org.instruct4j.rlhf.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * OutputLock across processes: a run is refused an --out inside a folder another instruct4j process writes (a
 * command on a running demo's stage folder), or holding one (a demo on the folder of a command's --out); neither a
 * lock file that no process holds any more nor a folder this JVM holds refuses anything. The other process is a
 * child JVM that holds its folder as a run does (a lock that another channel of this JVM held would be this JVM's).
 */
class OutputLockTest {
    @TempDir Path dir;

    @Test
    void anOutInsideAFolderAnotherProcessWritesIsRefused() throws Exception {
        Path demo = dir.resolve("demo"), sft = demo.resolve("models/sft");
        try (Other other = Other.holding(demo)) {
            assertThatThrownBy(() -> new SftCommand().run(new String[] {"--model", "lm", "--data", "demos.jsonl", "--out", sft.toString()}))
                    .isInstanceOf(UserError.class).hasMessageStartingWith("--out " + sft + ": another instruct4j run (process " + other.pid() + ", started ")
                    .hasMessageEndingWith(" is writing to " + demo + ", which holds this folder; wait for it to end, or give another --out");
        }
    }

    /** Refused, out lets go of its own lock: once the other process is gone (killed: its lock file stays), out is free. */
    @Test
    void anOutHoldingAFolderAnotherProcessWritesIsRefused() throws Exception {
        Path demo = dir.resolve("demo"), sft = demo.resolve("models/sft");
        try (Other other = Other.holding(sft)) {
            assertThatThrownBy(() -> new SftCommand().run(new String[] {"--model", "lm", "--data", "demos.jsonl", "--out", demo.toString()}))
                    .isInstanceOf(UserError.class).hasMessageStartingWith("--out " + demo + ": another instruct4j run (process " + other.pid() + ", started ")
                    .hasMessageEndingWith(" is writing to " + sft + ", inside this folder; wait for it to end, or give another --out");
            other.kill();
        }
        assertThat(sft.resolveSibling(".sft.lock")).exists();
        OutputLock.hold(demo);
    }

    /** A killed run's lock file, above --out or inside it, is no one's: it refuses nothing and is left as it is. */
    @Test
    void lockFilesNoProcessHoldsRefuseNothing() throws Exception {
        Path above = Files.writeString(dir.resolve(".old.lock"), "process 1, started 10:00:00");
        Path inside = Files.writeString(Files.createDirectories(dir.resolve("outer/models")).resolve(".sft.lock"), "process 1, started 10:00:00");
        OutputLock.hold(dir.resolve("old/models/sft"));
        OutputLock.hold(dir.resolve("outer"));
        assertThat(above).hasContent("process 1, started 10:00:00");
        assertThat(inside).hasContent("process 1, started 10:00:00");
    }

    /**
     * Folders this JVM holds refuse nothing in it (a command run again in the same JVM, as the tests do), and stay
     * held: another process is still refused them.
     */
    @Test
    void foldersThisJvmHoldsRefuseNothingHereAndStayHeld() throws Exception {
        Path demo = dir.resolve("demo"), inner = dir.resolve("outer/models/sft");
        OutputLock.hold(demo);
        OutputLock.hold(demo.resolve("models/sft"));
        OutputLock.hold(inner);
        OutputLock.hold(dir.resolve("outer"));
        for (Path held : new Path[] {demo, inner})
            try (Other other = Other.holding(held)) {
                assertThat(other.said()).startsWith("--out " + held + ": another instruct4j run (process " + ProcessHandle.current().pid())
                        .endsWith(" is writing there; wait for it to end, or give another --out");
            }
    }

    /** A child JVM that holds a folder as a run does, until it is closed; said: "held", or the refusal it got. */
    private record Other(Process process, String said) implements AutoCloseable {
        static Other holding(Path out) throws IOException {
            Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), Holder.class.getName(), out.toString())
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            BufferedReader in = p.inputReader(StandardCharsets.UTF_8);
            return new Other(p, String.valueOf(in.readLine()));
        }

        long pid() {
            assertThat(said).as("the other process").isEqualTo("held");
            return process.pid();
        }

        /** SIGKILL: as a run killed with kill -9, its lock file left behind. */
        void kill() throws InterruptedException {
            process.destroyForcibly();
            process.waitFor();
        }

        @Override
        public void close() throws Exception {
            process.getOutputStream().close();
            if (!process.waitFor(30, TimeUnit.SECONDS)) process.destroyForcibly();
        }
    }

    /** The other process: holds args[0], says so (or its refusal) and keeps it until its stdin closes. */
    static final class Holder {
        public static void main(String[] args) throws IOException {
            try {
                OutputLock.hold(Path.of(args[0]));
                System.out.println("held");
            } catch (UserError e) {
                System.out.println(e.getMessage());
            }
            System.out.flush();
            System.in.transferTo(OutputStream.nullOutputStream());
        }
    }
}
