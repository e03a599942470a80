package org.instruct4j.rlhf.cli;

import java.nio.file.Path;
import java.util.OptionalLong;
import java.util.function.Supplier;
import org.instruct4j.rlhf.demo.Demo;
import org.instruct4j.rlhf.train.Checkpoint;
import org.instruct4j.rlhf.train.CheckpointPlan;

/**
 * What a user reads when a long run is stopped (Ctrl-C, kill) before it ends: where its work so far is and how to
 * go on from it. A shutdown hook that speaks only while the run is under way; closing it (the run ended, or failed
 * with its own message) takes it away.
 */
final class StopNotice implements AutoCloseable {
    private final Thread hook;

    private StopNotice(Supplier<String> notice) {
        hook = new Thread(() -> System.err.println(System.lineSeparator() + notice.get()));
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** For a trainer's command (pretrain, sft, rm, ppo): the checkpoint it keeps in the plan's folder, if any (ppo counts iterations). */
    static StopNotice forTraining(String command, CheckpointPlan plan) {
        return new StopNotice(() -> {
            OptionalLong saved = Checkpoint.savedStep(plan.folder());
            String unit = command.equals("ppo") ? "iteration " : "step ";
            String where = saved.isPresent()
                    ? "The checkpoint of " + unit + saved.getAsLong() + " is in " + plan.folder() + ": the same command with --resume goes on from there."
                    : plan.every() > 0 ? "No checkpoint was saved yet."
                    : "No checkpoint was saved (--save-every N keeps one every N steps for --resume to go on from).";
            return "instruct4j " + command + ": stopped before the end. " + where;
        });
    }

    /** For the demo: the stage it was in, the finished stages kept in out/models, and how --resume reuses them. */
    static StopNotice forDemo(Demo demo, Path out, int saveEvery) {
        return new StopNotice(() -> demoNotice(demo.runningStage().orElse("(starting)"), out.resolve("models"), saveEvery));
    }

    /** The demo's notice; --resume reuses the stages before PPO, and PPO and PPO-ptx run again (Demo). */
    static String demoNotice(String stage, Path models, int saveEvery) {
        return "instruct4j demo: stopped during stage " + stage + ". The stages finished before it are kept in " + models
                + ": the same command with --resume reuses the pretrained, SFT and reward models among them and runs PPO and "
                + "PPO-ptx again" + (saveEvery > 0
                        ? ", and goes on with this stage from its last checkpoint."
                        : " (with --save-every N it would also go on with a stage from within).");
    }

    @Override public void close() {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the JVM is already stopping: the notice is being printed, as it should be
        }
    }
}
