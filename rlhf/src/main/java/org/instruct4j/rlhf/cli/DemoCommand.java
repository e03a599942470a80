package org.instruct4j.rlhf.cli;

import java.nio.file.Path;
import java.util.Optional;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Options;
import org.instruct4j.engine.Device;
import org.instruct4j.rlhf.demo.Demo;
import org.instruct4j.rlhf.demo.DemoConfig;
import org.instruct4j.rlhf.demo.ShellWord;

/** `instruct4j demo`: the paper's experiment in miniature (see rlhf/demo/Demo.java). */
public final class DemoCommand implements Command {
    @Override public String name() { return "demo"; }

    @Override public String summary() { return "pretrain -> SFT -> RM -> PPO / PPO-ptx -> evaluation, with a report (4-5 minutes on 2 AVX-512 cores, an estimated 10-14 on 2 AVX2 cores)"; }

    @Override public int run(String[] args) throws Exception {
        // The options every command shares (--help, --device, --seed) and their parsing, so that its help reads as theirs.
        Options o = CliOptions.common();
        o.addOption(CliOptions.opt("quick", null, "a small run of about 45 seconds"));
        o.addOption(CliOptions.opt("size", "PRESET", "model preset for a bigger run, best on a GPU: " + CliOptions.MODEL_PRESETS
                + " (default: the demo's own small model)"));
        o.addOption(CliOptions.opt("out", "DIR", "output folder (default runs/demo)"));
        o.addOption(CliOptions.opt("resume", null, "reuse the pretrained, SFT and reward models an earlier run left in the output folder, when made with the same settings, and continue a stage that was cut short from its checkpoint"));
        o.addOption(CliOptions.opt("save-every", "N", "save a checkpoint of the running stage every N steps (PPO: iterations) into the output folder's models/ (default 0: none)"));
        o.addOption(CliOptions.opt("ppo-reward", "FROM", "what PPO and PPO-ptx optimise: rm, the "
                + "reward model (default, the paper's method), or labelers, the training labelers' own scores of each answer: an "
                + "experiment that shows what a reward model that saw everything they see would give (with --resume it reuses "
                + "the pretrained, SFT and reward models and runs PPO again)"));
        CommandLine cl = CliOptions.parse(name(), summary(), o, args);
        if (cl == null) return 0;
        long seed = parseLong(cl.getOptionValue("seed", "1"), "--seed");
        Device device = cl.hasOption("device") ? parseDevice(cl.getOptionValue("device")) : Device.CPU;
        DemoConfig cfg = cl.hasOption("quick") ? DemoConfig.quick(seed) : DemoConfig.standard(seed);
        if (cl.hasOption("size")) {
            try {
                cfg = cfg.forModel(cl.getOptionValue("size"), device);
            } catch (IllegalArgumentException e) {
                throw new UserError(e.getMessage());
            }
        } else cfg = cfg.onDevice(device);
        cfg = cfg.withPpoReward(switch (cl.getOptionValue("ppo-reward", "rm")) {
            case "rm" -> DemoConfig.PpoReward.REWARD_MODEL;
            case "labelers" -> DemoConfig.PpoReward.LABELERS;
            default -> throw new UserError("--ppo-reward takes rm or labelers, got '" + cl.getOptionValue("ppo-reward") + "'");
        });
        Path out = CliOptions.outFolder(Path.of(cl.getOptionValue("out", "runs/demo")));
        // As a training command refuses its --out: a fresh run would start the stage over and drop its checkpoint.
        Optional<Path> unfinished = cl.hasOption("resume") ? Optional.empty() : Demo.unfinishedStage(out);
        if (unfinished.isPresent())
            throw CliOptions.unfinished(out, "an unfinished stage", unfinished.get(), unfinished.get().getFileName().toString().startsWith("ppo"));
        long saveEvery = parseLong(cl.getOptionValue("save-every", "0"), "--save-every");
        if (saveEvery < 0 || saveEvery > Integer.MAX_VALUE) throw new UserError("--save-every takes a number of steps >= 0, got " + saveEvery);
        if (!cl.hasOption("quick") && !cl.hasOption("size") && device.kind() == Device.Kind.CPU) {
            String warning = HeapAdvice.beforeDemo(Runtime.getRuntime().maxMemory(), HeapAdvice.machineBytes());
            if (warning != null) System.err.println("instruct4j demo: warning: " + warning);
        }
        Demo demo = new Demo(cfg, out, System.out, cl.hasOption("resume"), (int) saveEvery);
        try (StopNotice stopped = StopNotice.forDemo(demo, out, (int) saveEvery)) {
            demo.run();
        }
        System.out.println("\nreport: " + out.resolve("report.md"));
        Path models = out.resolve("models");
        System.out.println("ask the PPO-ptx model yourself, beside the SFT model it started from: " + ShellWord.launcher()
                + " generate --model " + ShellWord.of(models.resolve("sft")) + " --model " + ShellWord.of(models.resolve("ppo-ptx"))
                + " --interactive");
        return 0;
    }

    private static long parseLong(String v, String option) {
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new UserError(option + " takes a whole number, got '" + v + "'");
        }
    }

    private static Device parseDevice(String v) {
        try {
            return Device.parse(v);
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
    }
}
