package org.instruct4j.rlhf.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.function.IntSupplier;
import org.junit.jupiter.api.Test;

/** What a user reads when a command fails: one line naming the command and what to do, with the exit code. */
class MainTest {
    /** A command that fails with the given throwable. */
    private record Failing(String name, Throwable failure) implements Command {
        @Override public String summary() { return "fails"; }

        @Override public int run(String[] args) throws Exception {
            if (failure instanceof Exception e) throw e;
            throw (Error) failure;
        }
    }

    private record Outcome(int exitCode, String stderr) {}

    private static Outcome run(Throwable failure) { return run("failing", failure); }

    /** As the command of that name would fail. */
    private static Outcome run(String command, Throwable failure) {
        return outcome(() -> Main.run(new Failing(command, failure), new String[0]));
    }

    /** The exit code main returns and what it wrote to stderr. */
    private static Outcome outcome(IntSupplier main) {
        PrintStream saved = System.err;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        System.setErr(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try {
            return new Outcome(main.getAsInt(), bytes.toString(StandardCharsets.UTF_8));
        } finally {
            System.setErr(saved);
        }
    }

    @Test
    void aMistypedCommandIsNamedWithTheOneMeant() {
        Outcome o = outcome(() -> Main.run(new String[] {"demoo"}));
        assertThat(o.exitCode()).isEqualTo(2);
        assertThat(o.stderr()).isEqualTo("instruct4j: unknown command 'demoo'; did you mean 'demo'?" + System.lineSeparator());
    }

    /** --version (and the word version) says the code's version as the demo's report names it: the launcher's git describe. */
    @Test
    void versionSaysTheCodesVersionAsTheReportNamesIt() throws Exception {
        String saved = System.getProperty("instruct4j.version");
        try {
            System.setProperty("instruct4j.version", "v1.2-3-gabc1234-dirty");
            assertThat(CommandOutput.stdout(() -> Main.run(new String[] {"--version"}))).isEqualTo("instruct4j v1.2-3-gabc1234-dirty\n");
            assertThat(CommandOutput.stdout(() -> Main.run(new String[] {"version"}))).isEqualTo("instruct4j v1.2-3-gabc1234-dirty\n");
            System.clearProperty("instruct4j.version");   // run without the launcher, or outside a git clone
            assertThat(CommandOutput.stdout(() -> Main.run(new String[] {"--version"}))).startsWith("instruct4j, version unknown: ");
        } finally {
            if (saved == null) System.clearProperty("instruct4j.version");
            else System.setProperty("instruct4j.version", saved);
        }
        Outcome extra = outcome(() -> Main.run(new String[] {"--version", "now"}));
        assertThat(extra.exitCode()).isEqualTo(2);
        assertThat(extra.stderr()).isEqualTo("instruct4j: --version takes no arguments, got 'now'" + System.lineSeparator());
    }

    @Test
    void aUserErrorIsOneLineAndExitCode2() {
        Outcome o = run(new UserError("--steps: expected a positive integer, got 0"));
        assertThat(o.exitCode()).isEqualTo(2);
        assertThat(o.stderr()).isEqualTo("instruct4j failing: --steps: expected a positive integer, got 0" + System.lineSeparator());
    }

    @Test
    void runningOutOfHeapSaysHowToGiveTheJvmMoreWithoutATrace() {
        Outcome o = run(new OutOfMemoryError("Java heap space"));
        assertThat(o.exitCode()).isEqualTo(1);
        // What the advice says depends on this machine's memory (HeapAdviceTest covers its cases), so the line is
        // checked for this machine's advice: a machine with little more memory than the tests' heap has no more to give.
        String advice = HeapAdvice.afterOutOfMemory("sft", Runtime.getRuntime().maxMemory(), HeapAdvice.machineBytes());
        Outcome sft = run("sft", new OutOfMemoryError("Java heap space"));
        assertThat(sft.stderr()).isEqualTo("instruct4j sft: out of memory (Java heap space), " + advice
                + ". Checkpoints and finished stages written before are kept." + System.lineSeparator());
        assertThat(o.stderr()).startsWith("instruct4j failing: out of memory (Java heap space), ").doesNotContain("\tat ").hasLineCount(1);
        // eval writes no checkpoints, and has --batch, not --micro-batch
        assertThat(run("eval", new OutOfMemoryError("Java heap space")).stderr()).contains("a smaller --batch N")
                .doesNotContain("--micro-batch").doesNotContain("Checkpoints");
    }

    /** A CUDA library that did not load: one line that says which, and where the places tried are listed (doctor), not all ten. */
    @Test
    void aMissingCudaDriverIsOneShortLinePointingToDoctor() {
        // A real failure of the loader, for a library no machine has: as many places tried as this machine's folders give.
        var notLoaded = org.assertj.core.api.Assertions.catchThrowableOfType(org.instruct4j.engine.backend.cuda.CudaException.class,
                () -> org.instruct4j.engine.backend.cuda.NativeLibraries.load("the CUDA driver (libcuda)", java.util.List.of("libinstruct4j-absent.so.1"), null));
        int places = notLoaded.notLoaded().tried().size();
        Outcome o = run("generate", notLoaded);
        assertThat(o.exitCode()).isEqualTo(1);
        assertThat(o.stderr()).isEqualTo("instruct4j generate: could not load the CUDA driver (libcuda) from any of the " + places + " places tried "
                + "(" + org.instruct4j.rlhf.demo.ShellWord.launcher() + " doctor lists them). Install the CUDA toolkit or driver, or set "
                + "CUDA_HOME / LD_LIBRARY_PATH." + System.lineSeparator());
        // another CUDA failure is said as it was
        assertThat(run(new org.instruct4j.engine.backend.cuda.CudaException("cuInit failed: CUDA_ERROR_NO_DEVICE")).stderr())
                .isEqualTo("instruct4j failing: cuInit failed: CUDA_ERROR_NO_DEVICE" + System.lineSeparator());
    }

    @Test
    void aPathTheLocaleCannotNameIsOneLineSayingWhichLocaleWould() {
        Outcome o = run(new java.nio.file.InvalidPathException("runs/ordner-\u00fc", "Malformed input or input contains unmappable characters"));
        assertThat(o.exitCode()).isEqualTo(2);
        assertThat(o.stderr()).isEqualTo("instruct4j failing: cannot use the path 'runs/ordner-\u00fc': this JVM names files in "
                + System.getProperty("sun.jnu.encoding") + ", which cannot write it; start it in a UTF-8 locale (LC_ALL=C.UTF-8)"
                + System.lineSeparator());
    }

    @Test
    void aFullDiskIsOneLineNamingTheFileWithoutATrace() {
        Outcome o = run(new java.io.UncheckedIOException("cannot write metrics file runs/x-metrics.jsonl",
                new java.io.IOException("No space left on device")));
        assertThat(o.exitCode()).isEqualTo(1);
        assertThat(o.stderr()).isEqualTo("instruct4j failing: cannot write metrics file runs/x-metrics.jsonl: No space left on device."
                + System.lineSeparator());
        // only a command that trains has checkpoints or finished stages to keep
        for (String command : new String[] {"pretrain", "sft", "rm", "ppo", "demo"})
            assertThat(run(command, new java.io.UncheckedIOException("cannot write x", new java.io.IOException("No space left on device"))).stderr())
                    .isEqualTo("instruct4j " + command + ": cannot write x: No space left on device. "
                            + "Checkpoints and finished stages written before are kept." + System.lineSeparator());
    }
}
