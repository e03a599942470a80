package org.instruct4j.rlhf.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.InvalidPathException;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.instruct4j.engine.backend.cuda.CudaException;
import org.instruct4j.engine.backend.cuda.NativeLibraries;
import org.instruct4j.engine.io.IoErrors;
import org.instruct4j.rlhf.demo.RunIdentity;
import org.instruct4j.rlhf.demo.ShellWord;
import org.instruct4j.rlhf.train.NonFiniteGuard;

/** `instruct4j <command> [options]`: routes to one {@link Command}; each has its own --help. */
public final class Main {
    private Main() {}

    static List<Command> commands() {
        return List.of(
                new PretrainCommand(),
                new SftCommand(),
                new RmCommand(),
                new PpoCommand(),
                new GenerateCommand(),
                new EvalCommand(),
                new DemoCommand(),
                new DoctorCommand());
    }

    /** The commands that train: what they wrote before a failure (checkpoints, the demo's finished stages) is kept. */
    private static final Set<String> TRAINING = Set.of("pretrain", "sft", "rm", "ppo", "demo");

    public static void main(String[] args) {
        System.exit(run(args));
    }

    public static int run(String[] args) {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help")) {
            usage();
            return args.length == 0 ? 2 : 0;
        }
        if (args[0].equals("--version") || args[0].equals("version")) {
            if (args.length > 1) {
                System.err.println("instruct4j: " + args[0] + " takes no arguments, got '" + args[1] + "'");
                return 2;
            }
            System.out.println(version());
            return 0;
        }
        for (Command c : commands())
            if (c.name().equals(args[0])) return run(c, Arrays.copyOfRange(args, 1, args.length));
        String meant = Suggestion.closest(args[0], commands().stream().map(Command::name).toList());
        System.err.println("instruct4j: unknown command '" + args[0] + "'" + (meant == null ? "" : "; did you mean '" + meant + "'?"));
        usage();
        return 2;
    }

    /** Runs one command; what can go wrong is said in one line (a trace only for what nobody foresaw). */
    static int run(Command c, String[] args) {
        try {
            return c.run(args);
        } catch (UserError e) {
            System.err.println("instruct4j " + c.name() + ": " + e.getMessage());
            return 2;
        } catch (NonFiniteGuard.NonFiniteLossException e) {   // a diverged run: the message names the stage and what was kept
            System.err.println("instruct4j: " + e.getMessage());
            return 1;
        } catch (CudaException e) {   // no GPU, driver or library here: what went wrong, not a trace
            System.err.println("instruct4j " + c.name() + ": " + cudaFailure(e));
            return 1;
        } catch (InvalidPathException e) {   // a name the locale's charset cannot hold (the C locale's is ASCII)
            System.err.println("instruct4j " + c.name() + ": cannot use the path '" + e.getInput() + "': this JVM names files in "
                    + System.getProperty("sun.jnu.encoding") + ", which cannot write it; start it in a UTF-8 locale (LC_ALL=C.UTF-8)");
            return 2;
        } catch (OutOfMemoryError e) {   // a model or batch too large for the heap: how to give it more, not a trace
            System.err.println("instruct4j " + c.name() + ": out of memory (" + e.getMessage() + "), "
                    + HeapAdvice.afterOutOfMemory(c.name(), Runtime.getRuntime().maxMemory(), HeapAdvice.machineBytes())
                    + (!TRAINING.contains(c.name()) ? "."
                    : ". Checkpoints and finished stages written before are kept"
                    + (c.name().equals("demo") ? ": the same command with --resume reuses them." : ".")));
            return 1;
        } catch (IOException | UncheckedIOException e) {   // a full disk, a folder not writable: the file and the reason
            System.err.println("instruct4j " + c.name() + ": " + IoErrors.describe(e)
                    + (TRAINING.contains(c.name()) ? ". Checkpoints and finished stages written before are kept." : "."));
            return 1;
        } catch (Exception e) {
            System.err.println("instruct4j " + c.name() + " failed: " + e);
            e.printStackTrace();
            return 1;
        }
    }

    /**
     * The code's version as the demo's report and doctor name it (RunIdentity: the launcher's `git describe`), or why
     * there is none.
     */
    static String version() {
        String code = RunIdentity.codeVersion();
        return code != null ? "instruct4j " + code
                : "instruct4j, version unknown: the launcher names it by git describe, and this was not started by the launcher from a git clone";
    }

    /**
     * A CUDA failure in one line: a library that did not load is named with the number of places tried, which doctor
     * lists one a line (all of them here made a line of 700 characters).
     */
    static String cudaFailure(CudaException e) {
        NativeLibraries.NotLoaded missing = e.notLoaded();
        if (missing == null) return e.getMessage();
        return missing.headline() + " from any of the " + missing.tried().size() + " places tried (" + ShellWord.launcher()
                + " doctor lists them)" + (missing.advice().isEmpty() ? "" : ". " + missing.advice());
    }

    private static void usage() {
        System.out.println("usage: instruct4j <command> [options]   (instruct4j <command> --help for its options; instruct4j --version)");
        System.out.println();
        for (Command c : commands()) System.out.printf("  %-10s %s%n", c.name(), c.summary());
    }
}
