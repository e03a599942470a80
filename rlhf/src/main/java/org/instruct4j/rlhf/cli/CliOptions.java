package org.instruct4j.rlhf.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.DefaultParser;
import org.apache.commons.cli.HelpFormatter;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;
import org.apache.commons.cli.ParseException;
import org.instruct4j.engine.Device;
import org.instruct4j.rlhf.data.ReadOptions;

/** What the training commands share: option parsing with --help, --device, --seed, --skip-bad, typed getters. */
final class CliOptions {
    private CliOptions() {}

    static Options common() {
        Options o = new Options();
        o.addOption("h", "help", false, "show this help");
        o.addOption(null, "device", true, "cpu (default), cuda or cuda:N");
        o.addOption(null, "seed", true, "random seed (default 1)");
        o.addOption(null, "skip-bad", false, "skip malformed JSONL lines (reported) instead of stopping");
        return o;
    }

    static Option opt(String name, String arg, String description) {
        return Option.builder().longOpt(name).hasArg(arg != null).argName(arg).desc(description).build();
    }

    /** Parses args; returns null (after printing the help) when --help was given. */
    static CommandLine parse(String command, String summary, Options options, String[] args) {
        return parse(command, summary, options, args, "");
    }

    /** As {@link #parse(String, String, Options, String[])}, with a footer below the options in the help. */
    static CommandLine parse(String command, String summary, Options options, String[] args, String helpFooter) {
        try {
            CommandLine cl = new DefaultParser().parse(options, args);
            if (cl.hasOption("help")) {
                new HelpFormatter().printHelp("instruct4j " + command + " [options]", summary, options, helpFooter);
                return null;
            }
            return cl;
        } catch (ParseException e) {
            throw new UserError(e.getMessage() + " (see instruct4j " + command + " --help)");
        }
    }

    static Device device(CommandLine cl) {
        try {
            return Device.parse(cl.getOptionValue("device", "cpu"));
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
    }

    static ReadOptions read(CommandLine cl) { return cl.hasOption("skip-bad") ? ReadOptions.skipping() : ReadOptions.strict(); }

    static Path existing(CommandLine cl, String name) {
        String v = cl.getOptionValue(name);
        if (v == null) throw new UserError("--" + name + " is required");
        Path p = Path.of(v);
        if (!Files.exists(p)) throw new UserError("--" + name + " " + v + ": no such file or folder");
        return p;
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

    static long seed(CommandLine cl) { return integer(cl, "seed", 1); }
}
