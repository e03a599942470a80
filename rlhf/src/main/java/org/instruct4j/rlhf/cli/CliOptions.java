package org.instruct4j.rlhf.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.apache.commons.cli.AmbiguousOptionException;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.DefaultParser;
import org.apache.commons.cli.HelpFormatter;
import org.apache.commons.cli.MissingArgumentException;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;
import org.apache.commons.cli.ParseException;
import org.apache.commons.cli.UnrecognizedOptionException;
import org.instruct4j.engine.Device;
import org.instruct4j.engine.io.IoErrors;
import org.instruct4j.engine.nn.Pretrained;
import org.instruct4j.engine.text.BpeTokenizer;
import org.instruct4j.rlhf.data.DataException;
import org.instruct4j.rlhf.data.Jsonl;
import org.instruct4j.rlhf.data.ReadOptions;
import org.instruct4j.rlhf.data.ReadResult;
import org.instruct4j.rlhf.plot.ChartSupport;
import org.instruct4j.rlhf.train.Checkpoint;
import org.instruct4j.rlhf.train.CheckpointPlan;
import org.instruct4j.rlhf.train.MetricsLog;
import org.instruct4j.rlhf.train.TrainState;
import org.instruct4j.rlhf.world.WorldFormat;

/** What the training commands share: option parsing with --help, --device, --seed, --skip-bad, typed getters. */
final class CliOptions {
    private CliOptions() {}

    /** The names GptConfig.preset takes, for the help of --size (HelpCliTest checks they are its names). */
    static final String MODEL_PRESETS = "tiny, gpt2, gpt2-medium, gpt2-large or gpt2-xl";

    static Options common() {
        Options o = new Options();
        o.addOption("h", "help", false, "show this help");
        // Through opt, as every option with a value: its placeholder in the help then says what it takes, not "<arg>".
        o.addOption(opt("device", "DEVICE", "cpu (default), cuda (or gpu) or cuda:N"));
        o.addOption(opt("seed", "N", "random seed (default 1)"));
        return o;
    }

    /** --skip-bad, for the commands that read JSONL files. */
    static Options withJsonl(Options o) {
        o.addOption(null, "skip-bad", false, "skip malformed JSONL lines (reported) instead of stopping");
        return o;
    }

    /** --save-every and --resume, for the commands that train; unit: what the command counts ("steps", ppo's "iterations"). */
    static Options withCheckpoints(Options o, String unit) {
        o.addOption(opt("save-every", "N", "save a checkpoint (the model folder with the training state) into --out every N "
                + unit + "; default 0: none"));
        o.addOption(opt("resume", null, "continue the run whose checkpoint is in --out, with the same settings; ends as the run "
                + "would have ended uninterrupted"));
        return o;
    }

    /** Checkpoints into out every --save-every steps, recording the run's settings. */
    static CheckpointPlan checkpoints(CommandLine cl, Path out, BpeTokenizer tok, Map<String, String> settings) {
        int every = integer(cl, "save-every", 0);
        if (every < 0) throw new UserError("--save-every: expected a number >= 0, got " + every);
        return new CheckpointPlan(out, every, tok, settings);
    }

    /**
     * With --resume, restores the trainer from the checkpoint in the plan's folder (resume is the trainer's resume
     * method) and returns its state; without, null. A missing checkpoint or one made with other settings is a
     * UserError naming the setting.
     */
    static TrainState resume(String command, CommandLine cl, CheckpointPlan plan, Function<CheckpointPlan, TrainState> resume) {
        if (!cl.hasOption("resume")) return null;
        try {
            TrainState state = resume.apply(plan);
            System.err.println(command + ": resuming " + plan.folder() + " after step " + state.step());
            return state;
        } catch (IllegalArgumentException | java.io.UncheckedIOException e) {
            throw new UserError(e.getMessage(), e);
        }
    }

    /** The metrics file of a command that trains: beside out, named after it (runs/sft-metrics.jsonl for --out runs/sft). */
    static Path metricsFile(Path out) { return out.resolveSibling(out.getFileName() + "-metrics.jsonl"); }

    /** The command's metrics file beside out: new, or for a resumed run cut back to its checkpoint. */
    static MetricsLog metrics(Path out, TrainState resumed) {
        Path file = metricsFile(out);
        if (resumed == null) return MetricsLog.fresh(file);
        if (resumed.metricsBytes() < 0) throw new UserError("--resume: the checkpoint in " + out + " kept no metrics position");
        try {
            return MetricsLog.resume(file, resumed.metricsBytes());
        } catch (java.io.UncheckedIOException e) {
            throw new UserError("--resume: " + e.getMessage(), e);
        }
    }

    /**
     * The run's charts beside out, named as its metrics file is (out's name, a dash, the metric: sft-loss.png for
     * --out runs/sft), and a line that says where both went.
     */
    static void charts(String command, MetricsLog log, Path out, String... metrics) throws java.io.IOException {
        charts(command, log, out, Map.of(), metrics);
    }

    /** {@link #charts(String, MetricsLog, Path, String...)} with the axis titles of metrics this command means its own way. */
    static void charts(String command, MetricsLog log, Path out, Map<String, String> axisTitles, String... metrics) throws java.io.IOException {
        String name = out.getFileName().toString();
        Path dir = out.toAbsolutePath().getParent();
        ChartSupport.metrics(log, dir, name, axisTitles, metrics);
        System.out.println(command + ": metrics in " + dir.resolve(name + "-metrics.jsonl") + ", charts in " + dir.resolve(name + "-*.png"));
    }

    static Option opt(String name, String arg, String description) {
        return Option.builder().longOpt(name).hasArg(arg != null).argName(arg).desc(description).build();
    }

    /** Parses args; returns null (after printing the help) when --help was given. */
    static CommandLine parse(String command, String summary, Options options, String[] args) {
        return parse(command, summary, options, args, "", Set.of());
    }

    /**
     * As {@link #parse(String, String, Options, String[])}, with a footer below the options in the help, and the
     * options that may be given more than once. Any other option given twice, and any word that belongs to no
     * option (an instruction not in quotes), is an error: taking the first or the last value in silence runs
     * something the user did not ask for.
     */
    static CommandLine parse(String command, String summary, Options options, String[] args, String helpFooter,
                             Set<String> repeatable) {
        CommandLine cl;
        try {
            cl = new DefaultParser().parse(options, args);
        } catch (ParseException e) {
            throw parseError(command, options, e);
        }
        if (cl.hasOption("help")) {
            new HelpFormatter().printHelp("instruct4j " + command + " [options]", summary, options, helpFooter);
            return null;
        }
        return checked(command, cl, repeatable);
    }

    /**
     * What a user reads when args do not parse, in the words of the other option errors: an unknown option with the
     * one most likely meant when it was mistyped, an option without its value, an abbreviation of more than one.
     */
    static UserError parseError(String command, Options options, ParseException e) {
        String says = switch (e) {
            case AmbiguousOptionException a -> a.getOption() + " could be any of "
                    + String.join(", ", a.getMatchingOptions().stream().map(n -> "--" + n).toList()) + ": write it out";
            case UnrecognizedOptionException u -> unknownOption(u.getOption(), options);
            case MissingArgumentException m -> "--" + m.getOption().getLongOpt() + " needs a value"
                    + (m.getOption().getArgName() == null ? "" : ": --" + m.getOption().getLongOpt() + " " + m.getOption().getArgName());
            default -> e.getMessage();
        };
        return new UserError(says + " (see instruct4j " + command + " --help)");
    }

    /** "unknown option --epocs; did you mean --epochs?" for --epocs=3, the suggestion where one is near. */
    private static String unknownOption(String given, Options options) {
        String option = given.split("=", 2)[0];
        String meant = !option.startsWith("--") ? null
                : Suggestion.closest(option.substring(2), options.getOptions().stream().map(Option::getLongOpt).filter(n -> n != null).toList());
        return "unknown option " + option + (meant == null ? "" : "; did you mean --" + meant + "?");
    }

    /** cl, after the checks {@link #parse(String, String, Options, String[], String, Set)} describes. */
    static CommandLine checked(String command, CommandLine cl, Set<String> repeatable) {
        String seeHelp = " (see instruct4j " + command + " --help)";
        if (!cl.getArgList().isEmpty())
            throw new UserError("unexpected argument '" + cl.getArgList().get(0) + "': every value belongs to an option, "
                    + "and a text with spaces needs quotes" + seeHelp);
        Set<String> seen = new HashSet<>();
        for (Option given : cl.getOptions())
            if (!seen.add(given.getLongOpt()) && !repeatable.contains(given.getLongOpt()))
                throw new UserError("--" + given.getLongOpt() + " is given more than once" + seeHelp);
        return cl;
    }

    static Device device(CommandLine cl) {
        try {
            return Device.parse(cl.getOptionValue("device", "cpu"));
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
    }

    static ReadOptions read(CommandLine cl) { return cl.hasOption("skip-bad") ? ReadOptions.skipping() : ReadOptions.strict(); }

    /**
     * The records of a JSONL file a model of the given context length will read: a prompt must leave room for at
     * least one response token. With --skip-bad, the skipped lines are counted by kind on stderr (the first few
     * named by file:line); without it the first bad line stops the command.
     */
    static <T> List<T> readJsonl(String command, CommandLine cl, Path file, BpeTokenizer tok, int context,
                                 BiFunction<Path, ReadOptions, ReadResult<T>> reader) {
        ReadOptions options = read(cl).withMaxPromptTokens(s -> tok.encode(s).length, context - 1,
                "the model's context is " + context + " tokens and the response needs at least one");
        try {
            return reported(command, file, reader.apply(file, options));
        } catch (DataException e) {
            throw new UserError(e.getMessage(), e);
        }
    }

    /** The records read, after the lines --skip-bad left out are counted by kind on stderr (the first few named). */
    static <T> List<T> reported(String command, Path file, ReadResult<T> r) {
        if (r.skipped() > 0) {
            System.err.println("instruct4j " + command + ": --skip-bad: " + file + ": " + r.summary());
            r.problems().stream().limit(SHOWN_PROBLEMS).forEach(p -> System.err.println("  " + p));
            if (r.skipped() > SHOWN_PROBLEMS) System.err.println("  ... and " + (r.skipped() - SHOWN_PROBLEMS) + " more");
        }
        return r.records();
    }

    private static final int SHOWN_PROBLEMS = 5;

    /**
     * A note on stderr when no prompt of a file ends as the demo's template does ("Response:"): such a file was most
     * likely meant as instructions, and the demo's models answer prompts read as written only in that form.
     */
    static void notePromptForm(String command, Path file, List<String> prompts, String remedy) {
        if (prompts.stream().anyMatch(p -> p.strip().endsWith(WorldFormat.RESPONSE_CUE))) return;
        System.err.println("instruct4j " + command + ": note: no prompt in " + file + " ends with \"" + WorldFormat.RESPONSE_CUE
                + "\"; each is read as written, and the demo's models answer only the form \"Instruction: ...\\n"
                + WorldFormat.RESPONSE_CUE + "\" (" + remedy + ")");
    }

    /**
     * A text file's documents, separated by blank lines or by GPT-2's end-of-text token (the form of the demo's
     * world/pretrain.txt); invalid UTF-8 is named by file:line and byte offset, and Windows line ends (CRLF) read
     * as LF (Jsonl.readText).
     */
    static List<String> documents(Path file) {
        String text;
        try {
            text = Jsonl.readText(file);
        } catch (DataException e) {
            throw new UserError(e.getMessage(), e);
        }
        List<String> docs = new ArrayList<>();
        for (String d : text.split("\\n\\s*\\n|" + Pattern.quote(BpeTokenizer.END_OF_TEXT))) if (!d.isBlank()) docs.add(d.strip());
        return docs;
    }

    static Path existing(CommandLine cl, String name) {
        String v = cl.getOptionValue(name);
        if (v == null) throw new UserError("--" + name + " is required");
        return existing(name, v);
    }

    /** The path v given to --name (one of its values, for an option given more than once), which must exist. */
    static Path existing(String name, String v) {
        Path p = Path.of(v);
        if (!Files.exists(p)) throw new UserError("--" + name + " " + v + ": no such file or folder");
        return p;
    }

    /**
     * The --out folder of a command that trains (pretrain, sft, rm, ppo), checked before any training, so that a run
     * is not lost at its end for a path that cannot take a model folder, and replaces nothing the user meant to keep:
     * not a folder the command reads (inputs: the options that name them), and not the checkpoint of an unfinished
     * run unless --resume goes on with it (a fresh run would write over it). A finished run's folder holds no
     * checkpoint and is replaced as before.
     */
    static Path outFolder(String command, CommandLine cl, String... inputs) throws IOException {
        Path out = required(cl, "out");
        for (String input : inputs) {
            String v = cl.getOptionValue(input);
            if (v != null && sameFolder(out, Path.of(v)))
                throw new UserError("--out " + out + " is the same folder as --" + input + " " + v + ": the run would replace what "
                        + "it reads; give another --out");
        }
        outFolder(out);   // after the lock: a checkpoint that another run is writing is that run's, and said so
        Pretrained.settle(out);   // a checkpoint whose save a crash cut short is still one (and is refused below without --resume)
        if (!cl.hasOption("resume") && Files.isRegularFile(out.resolve(Pretrained.TRAINING_STATE)))
            throw unfinished(out, "an unfinished run", out, command.equals("ppo"));
        if (Files.isDirectory(metricsFile(out)))
            throw new UserError("--out " + out + ": its metrics file " + metricsFile(out) + " is a folder; give another --out");
        return out;
    }

    /**
     * The refusal of an --out that holds the checkpoint of a run that was cut short (what: "an unfinished run", or a
     * demo's stage): a fresh run would start over and drop it. The checkpoint's step, or PPO's iteration, when it says.
     */
    static UserError unfinished(Path out, String what, Path checkpoint, boolean iterations) throws IOException {
        OptionalLong step = Checkpoint.savedStep(checkpoint);
        String at = step.isPresent() ? (iterations ? "iteration " : "step ") + step.getAsLong() : "";
        String detail = checkpoint.equals(out) ? (at.isEmpty() ? "" : " (" + at + ")") : " (" + checkpoint + (at.isEmpty() ? "" : ", " + at) + ")";
        return new UserError("--out " + out + " holds the checkpoint of " + what + detail
                + ": add --resume to go on with it, or give another --out (or remove the folder to start afresh)");
    }

    /** Whether a and b are one existing folder (however each is written: relative, with "..", through a link). */
    private static boolean sameFolder(Path a, Path b) {
        try {
            return Files.isDirectory(a) && Files.isDirectory(b) && Files.isSameFile(a, b);
        } catch (java.io.IOException e) {
            return false;   // one that cannot be read is not the other; reading it later says why
        }
    }

    /** out, when it can be a model folder (see {@link #writable}) and no other instruct4j run writes there. */
    static Path outFolder(Path out) {
        writable("out", out, true);
        OutputLock.hold(out);
        return out;
    }

    /**
     * path, given to --option for a file (or, with folder, a folder) the command writes at its end, when it can be
     * written there: checked before any work, so that a run is not lost at its end, and said in the terms of the
     * option with the real reason: a folder where a file goes (or a file where a folder goes), a file above it where a
     * folder must be, a folder that takes no new files. The folders above it are made (they would be at the end).
     */
    static Path writable(String option, Path path, boolean folder) {
        String given = "--" + option + " " + path;
        if (folder && Files.exists(path) && !Files.isDirectory(path)) throw new UserError(given + ": exists and is not a folder");
        if (!folder && Files.isDirectory(path)) throw new UserError(given + ": is a folder; give the name of a file to write");
        Path parent = path.getParent() != null ? path.getParent() : path.toAbsolutePath().getParent();
        if (parent == null) return path;   // the root folder itself
        for (Path above = parent; above != null; above = above.getParent())
            if (Files.exists(above)) {
                if (!Files.isDirectory(above)) throw new UserError(given + ": " + above + " is a file, not a folder");
                break;
            }
        try {
            Files.createDirectories(parent);
            Files.delete(Files.createTempFile(parent, ".instruct4j-", ".probe"));   // what a permission check may not tell
        } catch (java.io.IOException e) {
            throw new UserError(given + ": cannot write in " + parent + " (" + IoErrors.reason(e) + ")", e);
        }
        return path;
    }

    static Path required(CommandLine cl, String name) {
        String v = cl.getOptionValue(name);
        if (v == null) throw new UserError("--" + name + " is required");
        return Path.of(v);
    }

    static int integer(CommandLine cl, String name, int fallback) {
        String v = cl.getOptionValue(name);
        if (v == null) return fallback;
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new UserError("--" + name + ": expected an integer, got '" + v + "'");
        }
    }

    static float number(CommandLine cl, String name, float fallback) {
        String v = cl.getOptionValue(name);
        if (v == null) return fallback;
        try {
            return Float.parseFloat(v.trim());
        } catch (NumberFormatException e) {
            throw new UserError("--" + name + ": expected a number, got '" + v + "'");
        }
    }

    /** --micro-batch N (N >= 1), or 0 when not given: the whole batch at once. */
    static int microBatch(CommandLine cl) { return cl.hasOption("micro-batch") ? integerAtLeast(cl, "micro-batch", 1, 1) : 0; }

    /** An integer option of at least min (the fallback when it is not given). */
    static int integerAtLeast(CommandLine cl, String name, int fallback, int min) {
        int v = integer(cl, name, fallback);
        if (v < min) throw new UserError("--" + name + ": expected " + (min == 1 ? "a positive integer" : "an integer >= " + min)
                + ", got " + v);
        return v;
    }

    /** A number option above 0 (a learning rate, a temperature). */
    static float positive(CommandLine cl, String name, float fallback) {
        float v = number(cl, name, fallback);
        if (!(v > 0) || Float.isInfinite(v)) throw new UserError("--" + name + ": expected a number above 0, got " + v);
        return v;
    }

    /** A number option of 0 or more (a coefficient). */
    static float nonNegative(CommandLine cl, String name, float fallback) {
        float v = number(cl, name, fallback);
        if (!(v >= 0) || Float.isInfinite(v)) throw new UserError("--" + name + ": expected a number >= 0, got " + v);
        return v;
    }

    /** A probability option in [0, 1) (dropout). */
    static float fraction(CommandLine cl, String name, float fallback) {
        float v = number(cl, name, fallback);
        if (!(v >= 0 && v < 1)) throw new UserError("--" + name + ": expected a number in [0, 1), got " + v);
        return v;
    }

    static long seed(CommandLine cl) { return integer(cl, "seed", 1); }
}
