package org.instruct4j.rlhf.cli;

import java.nio.file.Path;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.DefaultParser;
import org.apache.commons.cli.HelpFormatter;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;
import org.apache.commons.cli.ParseException;
import org.instruct4j.engine.Device;
import org.instruct4j.rlhf.demo.Demo;
import org.instruct4j.rlhf.demo.DemoConfig;
import org.instruct4j.rlhf.demo.ShellWord;

/** `instruct4j demo`: the paper's experiment in miniature (see rlhf/demo/Demo.java). */
public final class DemoCommand implements Command {
    @Override public String name() { return "demo"; }

    @Override public String summary() { return "pretrain -> SFT -> RM -> PPO / PPO-ptx -> evaluation, with a report (4-5 minutes on 2 AVX-512 cores, an estimated 10-14 on 2 AVX2 cores)"; }

    @Override public int run(String[] args) throws Exception {
        Options o = new Options();
        o.addOption(Option.builder().longOpt("quick").desc("a small run of about 45 seconds").get());
        o.addOption(Option.builder().longOpt("size").hasArg().argName("PRESET").desc("model preset for a bigger run (gpt2, gpt2-medium, ...; best on a GPU)").get());
        o.addOption(Option.builder().longOpt("device").hasArg().argName("DEVICE").desc("cpu (default), cuda (or gpu) or cuda:N").get());
        o.addOption(Option.builder().longOpt("seed").hasArg().argName("N").desc("random seed (default 1)").get());
        o.addOption(Option.builder().longOpt("out").hasArg().argName("DIR").desc("output folder (default runs/demo)").get());
        o.addOption(Option.builder().longOpt("resume").desc("reuse the pretrained, SFT and reward models an earlier run left in the output folder, when made with the same settings, and continue a stage that was cut short from its checkpoint").get());
        o.addOption(Option.builder().longOpt("save-every").hasArg().argName("N").desc("save a checkpoint of the running stage every N steps (PPO: iterations) into the output folder's models/ (default 0: none)").get());
        o.addOption(Option.builder().longOpt("ppo-reward").hasArg().argName("FROM").desc("what PPO and PPO-ptx optimise: rm, the "
                + "reward model (default, the paper's method), or labelers, the training labelers' own scores of each answer: an "
                + "experiment that shows what a reward model that saw everything they see would give (with --resume it reuses "
                + "the pretrained, SFT and reward models and runs PPO again)").get());
        o.addOption(Option.builder("h").longOpt("help").desc("this help").get());
        CommandLine cl;
        try {
            cl = new DefaultParser().parse(o, args);
        } catch (ParseException e) {
            throw CliOptions.parseError(name(), o, e);
        }
        if (cl.hasOption("help")) {
            HelpFormatter.builder().get().printHelp("instruct4j demo", summary(), o, "", true);
            return 0;
        }
        CliOptions.checked(name(), cl, java.util.Set.of());
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
