package org.instruct4j.rlhf.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Options;
import org.instruct4j.engine.Device;
import org.instruct4j.engine.Rng;
import org.instruct4j.rlhf.data.Jsonl;
import org.instruct4j.rlhf.data.PromptRecord;
import org.instruct4j.rlhf.eval.Responder;
import org.instruct4j.rlhf.eval.TaskAccuracy;
import org.instruct4j.rlhf.eval.TextLoss;
import org.instruct4j.engine.generate.Generator;
import org.instruct4j.engine.generate.SamplingConfig;
import org.instruct4j.rlhf.rm.RewardModel;
import org.instruct4j.rlhf.train.ModelFolder;
import org.instruct4j.rlhf.train.ProgressBar;
import org.instruct4j.rlhf.train.Sequences;
import org.instruct4j.rlhf.world.OtherWordings;
import org.instruct4j.rlhf.world.Task;

/**
 * `instruct4j eval`: the mean reward-model score of a model's samples on prompts (--reward), its right answers to
 * the built-in world's tasks (--tasks), and/or its mean LM loss on a text file (--text).
 */
public final class EvalCommand implements Command {
    @Override public String name() { return "eval"; }

    @Override public String summary() { return "mean reward of a model's samples, its right answers to the world's tasks, or its LM loss on a text"; }

    /** How many wrong answers --tasks shows, for a person to read. */
    private static final int SHOWN_MISSES = 5;

    @Override public int run(String[] args) throws Exception {
        Options o = CliOptions.withJsonl(CliOptions.common());
        o.addOption(CliOptions.opt("model", "DIR", "LM folder (required)"));
        o.addOption(CliOptions.opt("reward", "DIR", "reward-model folder (with --prompts)"));
        o.addOption(CliOptions.opt("prompts", "FILE", "prompts JSONL {prompt}"));
        o.addOption(CliOptions.opt("tasks", "FILE", "the built-in world's tasks, as the demo writes them (runs/demo/world/eval_tasks.jsonl): "
                + "each answer checked by the world's checkers, right answers per task family"));
        o.addOption(CliOptions.opt("answers", "FILE", "with --tasks: write every answer there, one JSON line each "
                + "({prompt, family, response, correct})"));
        o.addOption(CliOptions.opt("other-words", null, "with --tasks: ask each task in a wording no training data uses "
                + "(the report's rows \"in other words\"; another draw of the same wordings with each --seed)"));
        o.addOption(CliOptions.opt("greedy", null, "answer with the most likely tokens (default: sampled at temperature 1, as the demo "
                + "judges its models)"));
        o.addOption(CliOptions.opt("text", "FILE", "text file for the LM loss (documents separated by blank lines or <|endoftext|>)"));
        o.addOption(CliOptions.opt("context", "N", "tokens per chunk of --text (default: the model's context; the demo's models "
                + "were pretrained on 96)"));
        o.addOption(CliOptions.opt("max-new", "N", "maximum response tokens (default 64)"));
        o.addOption(CliOptions.opt("batch", "N", "prompts answered together (default " + GenerateCommand.DEFAULT_BATCH + "; memory grows with it)"));
        CommandLine cl = CliOptions.parse(name(), summary(), o, args);
        if (cl == null) return 0;
        Device device = CliOptions.device(cl);
        if (!cl.hasOption("text") && !cl.hasOption("tasks") && !(cl.hasOption("reward") && cl.hasOption("prompts")))
            throw new UserError("give --text FILE, --tasks FILE, or --reward DIR with --prompts FILE");
        refuseConflicts(cl);
        Path answers = cl.hasOption("answers") ? answersFile(cl) : null;
        int maxNew = CliOptions.integerAtLeast(cl, "max-new", 64, 1), batch = CliOptions.integerAtLeast(cl, "batch", GenerateCommand.DEFAULT_BATCH, 1);
        ModelFolder.Lm lm = ModelFiles.lm(cl, "model", device, 0f);
        if (cl.hasOption("text")) {
            Path f = CliOptions.existing(cl, "text");
            int modelContext = lm.model().config().contextLength(), context = CliOptions.integerAtLeast(cl, "context", modelContext, 2);
            if (context > modelContext) throw new UserError("--context " + context + ": the model reads at most " + modelContext + " tokens");
            List<int[]> chunks = TextLoss.chunks(CliOptions.documents(f), lm.tokenizer(), context);
            if (chunks.isEmpty()) throw new UserError(f + ": no text");
            ProgressBar bar = new ProgressBar("eval --text", chunks.size());
            TextLoss l = TextLoss.of(lm.model(), chunks, lm.tokenizer().pad(), done -> bar.update(done, null));
            System.out.printf("lm_loss %.5f per token, over %d tokens in %d chunks of up to %d tokens of %s%n",
                    l.loss(), l.tokens(), chunks.size(), context, f);
        }
        SamplingConfig sampling = cl.hasOption("greedy") ? SamplingConfig.greedy(maxNew) : SamplingConfig.sample(maxNew);
        if (cl.hasOption("tasks")) tasks(cl, lm, sampling, batch, answers);
        if (cl.hasOption("reward") && cl.hasOption("prompts")) {
            RewardModel rm = ModelFiles.rewardReading(cl, "reward", device, lm, "model").model();
            Path file = CliOptions.existing(cl, "prompts");
            List<String> texts = CliOptions.readJsonl(name(), cl, file, lm.tokenizer(), lm.model().config().contextLength(),
                    (f, opts) -> Jsonl.readAll(f, PromptRecord.class, opts)).stream().map(PromptRecord::prompt).toList();
            if (texts.isEmpty()) throw new UserError("--prompts: no prompts");
            CliOptions.notePromptForm(name(), file, texts, "write each prompt in that form to score the demo's models");
            List<int[]> prompts = new ArrayList<>();
            for (String t : texts) prompts.add(lm.tokenizer().encode(t));
            Generator generator = new Generator(lm.model(), lm.tokenizer().pad(), lm.tokenizer().endOfText())
                    .readableBy(lm.tokenizer().vocabSize());
            Rng rng = new Rng(CliOptions.seed(cl));
            ProgressBar bar = new ProgressBar("eval", prompts.size());
            double[] sum = {0};
            generator.generateInBatches(prompts, batch, sampling, rng, (first, gens) -> {
                List<int[]> seqs = new ArrayList<>();
                for (int i = 0; i < gens.size(); i++)
                    seqs.add(Sequences.fit(prompts.get(first + i), gens.get(i).tokens(), rm.trunk().config().contextLength()));
                for (float r : rm.scoreNoGrad(seqs, 16)) sum[0] += r;
                bar.update(first + gens.size(), Map.of("mean_reward", sum[0] / (first + gens.size())));
            });
            System.out.printf("mean_reward %.5f over %d prompts%n", sum[0] / prompts.size(), prompts.size());
        }
        return 0;
    }

    /**
     * Options that shape one kind of evaluation given without it, refused before any model is read: ignored in silence,
     * they would leave the user believing a number was measured as they asked (--greedy beside --text, a loss over
     * the text that generates nothing).
     */
    private static void refuseConflicts(CommandLine cl) {
        if (cl.hasOption("reward") && !cl.hasOption("prompts"))
            throw new UserError("--reward DIR goes with --prompts FILE: it scores the model's answers to those prompts");
        if (cl.hasOption("prompts") && !cl.hasOption("reward"))
            throw new UserError("--prompts FILE goes with --reward DIR: the reward model scores the answers to them");
        if (cl.hasOption("answers") && !cl.hasOption("tasks")) throw new UserError("--answers FILE goes with --tasks FILE: it writes the tasks' answers");
        if (cl.hasOption("other-words") && !cl.hasOption("tasks"))
            throw new UserError("--other-words goes with --tasks FILE: it asks those tasks in other words");
        boolean answers = cl.hasOption("tasks") || cl.hasOption("prompts");   // what generates: --tasks, --reward with --prompts
        for (String option : List.of("greedy", "max-new", "batch", "seed"))
            if (cl.hasOption(option) && !answers)
                throw new UserError("--" + option + " shapes the answers --tasks and --reward with --prompts judge; --text's loss generates "
                        + "nothing, so it does not apply");
        if (cl.hasOption("skip-bad") && !answers)
            throw new UserError("--skip-bad skips bad lines of the --tasks and --prompts files; --text is read whole, so it does not apply");
        if (cl.hasOption("context") && !cl.hasOption("text"))
            throw new UserError("--context sizes the chunks of --text; without --text it does not apply");
    }

    /**
     * The --answers file, checked before any task is answered: one that can be written, and not the --tasks file, which
     * the answers would replace.
     */
    private static Path answersFile(CommandLine cl) {
        Path answers = CliOptions.writable("answers", Path.of(cl.getOptionValue("answers")), false);
        Path tasks = CliOptions.existing(cl, "tasks");
        try {
            if (Files.exists(answers) && Files.isSameFile(answers, tasks))
                throw new UserError("--answers " + answers + " is the --tasks file: the answers would replace the tasks; give another file");
        } catch (java.io.IOException e) {
            // one that cannot be read is not the other; the tasks are read next, and say why
        }
        return answers;
    }

    /** --tasks: answers every task, checks each answer as the world does, and prints the right ones per family (and to answersFile, if not null). */
    private void tasks(CommandLine cl, ModelFolder.Lm lm, SamplingConfig sampling, int batch, Path answersFile) {
        Path file = CliOptions.existing(cl, "tasks");
        List<Task> tasks = CliOptions.readJsonl(name(), cl, file, lm.tokenizer(), lm.model().config().contextLength(),
                (f, opts) -> Jsonl.readAllWith(f, opts, Task::fromJson));
        if (tasks.isEmpty()) throw new UserError(file + ": no tasks");
        boolean otherWords = cl.hasOption("other-words");
        // The wordings' own stream, apart from the sampling's, which takes --seed itself.
        if (otherWords) tasks = OtherWordings.of(tasks, new Rng(CliOptions.seed(cl) + 7));
        ProgressBar bar = new ProgressBar("eval --tasks", tasks.size());
        List<String> answers = new Responder(lm.model(), lm.tokenizer(), sampling, batch)
                .respond(tasks.stream().map(Task::prompt).toList(), new Rng(CliOptions.seed(cl)), answered -> bar.update(answered, null));
        TaskAccuracy accuracy = TaskAccuracy.of(tasks, answers);
        System.out.printf("right answers by the world's checkers, %s, %d tasks of %s%s:%n",
                sampling.greedy() ? "greedy" : "sampled at temperature 1", tasks.size(), file, otherWords ? ", asked in other words" : "");
        accuracy.byFamily().forEach((family, c) -> System.out.printf("  %-14s %5d of %-5d %5.1f%%%n", family, c.right(), c.tasks(), 100 * c.share()));
        TaskAccuracy.Count all = accuracy.all();
        System.out.printf("  %-14s %5d of %-5d %5.1f%%%n", "all", all.right(), all.tasks(), 100 * all.share());
        if (answersFile != null) {
            Jsonl.write(answersFile, accuracy.answers().stream()
                    .map(a -> new AnswerLine(a.task().prompt(), a.task().family(), a.response().strip(), a.correct())).toList());
            System.out.println("every answer, with its verdict: " + answersFile);
        }
        List<TaskAccuracy.Answer> misses = accuracy.misses();
        if (misses.isEmpty()) return;
        System.out.printf("wrong answers (the first %d of %d):%n", Math.min(SHOWN_MISSES, misses.size()), misses.size());
        for (TaskAccuracy.Answer m : misses.subList(0, Math.min(SHOWN_MISSES, misses.size())))
            System.out.printf("  %s -> %s%n", m.task().instruction(), m.response().strip());
    }

    /** One line of --answers. */
    private record AnswerLine(String prompt, String family, String response, boolean correct) {}
}
