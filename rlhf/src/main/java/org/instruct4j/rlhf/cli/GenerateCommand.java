package org.instruct4j.rlhf.cli;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;
import org.instruct4j.engine.Rng;
import org.instruct4j.rlhf.data.DataException;
import org.instruct4j.rlhf.data.Jsonl;
import org.instruct4j.rlhf.data.PromptRecord;
import org.instruct4j.engine.generate.Generator;
import org.instruct4j.engine.generate.SamplingConfig;
import org.instruct4j.rlhf.train.ModelFolder;
import org.instruct4j.rlhf.world.WorldFormat;

/**
 * `instruct4j generate`: samples responses from an LM folder for --instruction texts and an --instructions file's lines
 * (put into the demo's prompt template), --prompt texts and a --prompts JSONL file's (as they are), or instructions typed
 * one per line (--interactive).
 * With --model given more than once every model answers every prompt, the answers printed under the prompt side by
 * side (the demo's SFT and PPO-ptx models, say: what RLHF changed, on instructions of one's own).
 */
public final class GenerateCommand implements Command {
    static final String PROMPT_FORMAT = """
            The demo's models, and models fine-tuned on its data, answer prompts of the form
              Instruction: <what to do>
              Response:
            (two lines), for example --prompt "Instruction: Reverse the order of these words: red green blue\\nResponse:",
            which --instruction "Reverse the order of these words: red green blue" writes for you.
            A --prompts file's prompts are read as they are written, so they need that form too; \
            a text file of instructions, one per line, is asked in it with --instructions FILE.""";

    /** Prompts sampled together: a model's KV cache for all of a large --prompts file at once would not fit. */
    static final int DEFAULT_BATCH = 64;

    @Override public String name() { return "generate"; }

    @Override public String summary() { return "sample responses from a model"; }

    @Override public int run(String[] args) throws Exception {
        Options o = CliOptions.withJsonl(CliOptions.common());
        o.addOption(Option.builder().longOpt("model").hasArg().argName("DIR")
                .desc("model folder (required); repeat it to set models side by side: each answers every prompt, "
                        + "as it would alone with the same seed").get());
        o.addOption(Option.builder().longOpt("instruction").hasArg().argName("TEXT")
                .desc("an instruction (repeatable), asked in the demo's prompt form \"Instruction: TEXT\\nResponse:\"").get());
        o.addOption(Option.builder().longOpt("prompt").hasArg().argName("TEXT")
                .desc("a prompt (repeatable); a written \\n becomes a newline and \\\\ a backslash").get());
        o.addOption(CliOptions.opt("instructions", "FILE", "a text file of instructions, one per line (blank lines skipped), "
                + "each asked as --instruction asks it"));
        o.addOption(CliOptions.opt("prompts", "FILE", "prompts JSONL, one {\"prompt\": \"...\"} per line, each read as it is "
                + "(for the demo's models in the form below)"));
        o.addOption(CliOptions.opt("interactive", null, "then read instructions from standard input, one per line, "
                + "and answer each as it comes, until the input ends"));
        o.addOption(CliOptions.opt("max-new", "N", "maximum new tokens (default 64)"));
        o.addOption(CliOptions.opt("temperature", "T", "sampling temperature (default 1)"));
        o.addOption(CliOptions.opt("top-k", "K", "keep the K most likely tokens (default 0: all)"));
        o.addOption(CliOptions.opt("top-p", "P", "nucleus sampling mass (default 1)"));
        o.addOption(CliOptions.opt("greedy", null, "take the most likely token"));
        o.addOption(CliOptions.opt("batch", "N", "prompts answered together, each batch printed as it is done (default "
                + DEFAULT_BATCH + "; memory grows with it)"));
        CommandLine cl = CliOptions.parse(name(), summary(), o, args, "\n" + PROMPT_FORMAT, Set.of("instruction", "prompt", "model"));
        if (cl == null) return 0;
        // The one option here that shapes one source of prompts only: without it, it would be ignored in silence.
        if (cl.hasOption("skip-bad") && !cl.hasOption("prompts"))
            throw new UserError("--skip-bad skips bad lines of the --prompts file; without --prompts it does not apply");
        boolean interactive = cl.hasOption("interactive");
        List<String> texts = prompts(cl, interactive);
        SamplingConfig cfg = sampling(cl);
        int batch = CliOptions.integerAtLeast(cl, "batch", DEFAULT_BATCH, 1);
        List<Answerer> models = answerers(cl, cfg);
        if (!texts.isEmpty()) answer(models, texts, batch);
        if (interactive) {
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            System.err.println("Type an instruction and press Enter; end with Ctrl-D.");
            for (String line; (line = in.readLine()) != null; )
                if (!line.isBlank()) answer(models, List.of(WorldFormat.prompt(line.strip())), batch);
        }
        return 0;
    }

    /** The sampling options, each checked by its name. */
    private static SamplingConfig sampling(CommandLine cl) {
        int maxNew = CliOptions.integerAtLeast(cl, "max-new", 64, 1), topK = CliOptions.integerAtLeast(cl, "top-k", 0, 0);
        float temperature = CliOptions.number(cl, "temperature", 1f), topP = CliOptions.number(cl, "top-p", 1f);
        boolean greedy = cl.hasOption("greedy");
        if (greedy && (cl.hasOption("temperature") || cl.hasOption("top-k") || cl.hasOption("top-p")))
            throw new UserError("--greedy takes the most likely token: --temperature, --top-k and --top-p do not apply");
        if (!(temperature > 0) || Float.isInfinite(temperature))
            throw new UserError("--temperature: expected a number above 0, got " + temperature + " (--greedy is the limit at 0)");
        if (!(topP > 0 && topP <= 1)) throw new UserError("--top-p: expected a number in (0, 1], got " + topP);
        return new SamplingConfig(maxNew, temperature, topK, topP, greedy);
    }

    /** One model per --model, each with its own random stream from --seed, named as {@link #labels} says. */
    private static List<Answerer> answerers(CommandLine cl, SamplingConfig cfg) {
        String[] dirs = cl.getOptionValues("model");
        if (dirs == null) throw new UserError("--model is required");
        List<String> labels = labels(List.of(dirs));
        List<Answerer> models = new ArrayList<>();
        for (int i = 0; i < dirs.length; i++) {
            ModelFolder.Lm lm = ModelFiles.lm(CliOptions.existing("model", dirs[i]), "model", CliOptions.device(cl), 0f);
            models.add(new Answerer(dirs.length > 1 ? labels.get(i) : null, lm, cfg, new Rng(CliOptions.seed(cl))));
        }
        return models;
    }

    /**
     * The models' names in the output, one per folder: its name, or where another folder has the same name the
     * shortest ending of its path that no other has (runA/models/ppo-ptx beside runB/models/ppo-ptx); a folder given
     * more than once is numbered in order (ppo-ptx (1), ppo-ptx (2)), or its lines could not be told apart.
     */
    static List<String> labels(List<String> dirs) {
        List<Path> paths = dirs.stream().map(d -> Path.of(d).toAbsolutePath().normalize()).toList();
        List<String> labels = new ArrayList<>();
        for (Path p : paths) {
            int k = 1;
            while (k < p.getNameCount() && sharesEnding(p, paths, k)) k++;
            labels.add(ending(p, k).toString());
        }
        List<String> numbered = new ArrayList<>();
        for (int i = 0; i < labels.size(); i++) {
            String label = labels.get(i);
            int times = Collections.frequency(labels, label), nth = Collections.frequency(labels.subList(0, i), label) + 1;
            numbered.add(times == 1 ? label : label + " (" + nth + ")");
        }
        return numbered;
    }

    /** Whether another folder of paths (not p itself) ends in p's last k names. */
    private static boolean sharesEnding(Path p, List<Path> paths, int k) {
        for (Path other : paths) if (!other.equals(p) && ending(other, k).equals(ending(p, k))) return true;
        return false;
    }

    /** p's last k names (the root itself where it has none). */
    private static Path ending(Path p, int k) {
        int n = p.getNameCount();
        return n == 0 ? p : p.subpath(Math.max(0, n - k), n);
    }

    /**
     * Every model's answer to each prompt, printed a batch at a time: with one model the prompt with its response and a
     * --- line; with several the prompt, then each model's response on a line of its own after its name.
     */
    private static void answer(List<Answerer> models, List<String> texts, int batch) {
        List<Asked> asked = new ArrayList<>();
        for (Answerer m : models) asked.add(m.encode(texts));
        int width = 0;
        for (Answerer m : models) width = Math.max(width, m.name == null ? 0 : m.name.length());
        String indent = " ".repeat(width + 4);   // a response's further lines, under its first
        for (int from = 0; from < texts.size(); from += batch) {
            int to = Math.min(texts.size(), from + batch);
            List<List<String>> responses = new ArrayList<>();
            for (int i = 0; i < models.size(); i++) responses.add(models.get(i).respond(asked.get(i), from, to));
            for (int p = 0; p < to - from; p++) {
                if (models.size() == 1) {
                    System.out.println(texts.get(from + p) + responses.getFirst().get(p));
                } else {
                    System.out.println(texts.get(from + p));
                    for (int i = 0; i < models.size(); i++)
                        System.out.printf("  %-" + (width + 1) + "s %s%n", models.get(i).name + ":",
                                responses.get(i).get(p).strip().replace("\n", "\n" + indent));
                }
                System.out.println("---");
            }
            System.out.flush();
        }
    }

    /** Prompts in one model's tokens, and the sampling setting that leaves their answers room in its context. */
    private record Asked(List<int[]> prompts, SamplingConfig sampling) {}

    /**
     * Answers prompts with one model and sampling setting, one random stream through all its batches for the whole run
     * (so a seed gives the same answers for the same --batch).
     */
    private static final class Answerer {
        /** The model's name in the output; null where it is the only one. */
        final String name;
        private final ModelFolder.Lm lm;
        private final Generator generator;
        private final SamplingConfig cfg;
        private final Rng rng;
        private boolean capSaid;

        Answerer(String name, ModelFolder.Lm lm, SamplingConfig cfg, Rng rng) {
            this.name = name;
            this.lm = lm;
            this.generator = new Generator(lm.model(), lm.tokenizer().pad(), lm.tokenizer().endOfText())
                    .readableBy(lm.tokenizer().vocabSize());
            this.cfg = cfg;
            this.rng = rng;
        }

        /**
         * The prompts in this model's tokens, and the sampling setting for them. A response stops where the model's
         * context ends: --max-new is cut to the room the longest prompt that fits leaves (said once), so that prompts
         * that fit are read whole; a prompt too long for the context with an answer is read from its end, leaving
         * that room (said for each). One warning for each, in the numbers the generator goes by.
         */
        Asked encode(List<String> texts) {
            int context = lm.model().config().contextLength();
            String who = name == null ? "" : name + ": ";
            List<int[]> prompts = new ArrayList<>();
            for (String t : texts) {
                int[] ids = lm.tokenizer().encode(t);
                prompts.add(ids.length == 0 ? new int[] {lm.tokenizer().endOfText()} : ids);
            }
            MaxNew fitted = MaxNew.within("generate", who, prompts, context, cfg.maxNewTokens());
            int maxNew = fitted.tokens();
            SamplingConfig used = maxNew == cfg.maxNewTokens() ? cfg
                    : new SamplingConfig(maxNew, cfg.temperature(), cfg.topK(), cfg.topP(), cfg.greedy());
            if (fitted.warning() != null && !capSaid) {
                System.err.println(fitted.warning());
                capSaid = true;
            }
            for (int i = 0; i < prompts.size(); i++)
                if (prompts.get(i).length >= context)
                    System.err.printf("instruct4j generate: %sprompt %d is %d tokens, more than the model's context of %d holds with "
                            + "an answer: the model reads its last %d and writes at most %s%n", who, i + 1, prompts.get(i).length,
                            context, context - maxNew, newTokens(maxNew));
            return new Asked(prompts, used);
        }

        /** The responses to prompts [from, to) of asked, in order. */
        List<String> respond(Asked asked, int from, int to) {
            List<String> out = new ArrayList<>();
            for (var g : generator.generate(asked.prompts().subList(from, to), asked.sampling(), rng))
                out.add(lm.tokenizer().decode(g.tokens(), 0, g.answerLength()));
            return out;
        }
    }

    /**
     * --max-new as a model of a given context can take it with prompts: cut to the room the longest prompt that fits
     * (one that leaves room for a new token) leaves, so that every prompt that fits is read whole, not cut from the
     * left to make room for an answer that could not be that long anyway; with the line that says so, or null where
     * nothing was cut. Shared by the commands that sample (generate, ppo), so that they cut and say it alike.
     */
    record MaxNew(int tokens, String warning) {
        /** For the command's prompts; who ("ppo-ptx: ", or "") names the model where there are several. */
        static MaxNew within(String command, String who, List<int[]> prompts, int context, int maxNew) {
            int longestWhole = 0;
            for (int[] p : prompts) if (p.length < context) longestWhole = Math.max(longestWhole, p.length);
            int fitted = Math.min(maxNew, context - Math.max(1, longestWhole));
            return new MaxNew(fitted, longestWhole == 0 || fitted == maxNew ? null : String.format("instruct4j %s: %s--max-new %d: an "
                    + "answer stops at the model's context of %d tokens, so at most %s after %s-token prompt", command, who, maxNew,
                    context, newTokens(fitted), withArticle(longestWhole)));
        }
    }

    /** "1 new token", "5 new tokens". */
    static String newTokens(int n) { return n + (n == 1 ? " new token" : " new tokens"); }

    /**
     * A number with the article it is read with: "an" where it is read from "eight", "eleven" or "eighteen" (an 8-, an
     * 11-, an 18-, an 80-, an 800-, an 11000-token prompt), else "a" (a 1-, a 110-, a 414-token prompt).
     */
    static String withArticle(long n) {
        String digits = Long.toString(n);
        String lead = digits.substring(0, digits.length() % 3 == 0 ? 3 : digits.length() % 3);   // said before "thousand", "million"
        boolean an = digits.startsWith("8") || lead.equals("11") || lead.equals("18");
        return (an ? "an " : "a ") + digits;
    }

    /**
     * The --instruction prompts, the --instructions file's, the --prompt texts (unescaped) and then the --prompts file's,
     * in order; at least one unless the instructions come from standard input.
     */
    private List<String> prompts(CommandLine cl, boolean interactive) {
        List<String> texts = new ArrayList<>();
        if (cl.getOptionValues("instruction") != null)
            for (String t : cl.getOptionValues("instruction")) texts.add(WorldFormat.prompt(t.strip()));
        if (cl.hasOption("instructions")) texts.addAll(instructionsFile(CliOptions.existing(cl, "instructions")));
        if (cl.getOptionValues("prompt") != null) for (String t : cl.getOptionValues("prompt")) texts.add(unescape(t));
        if (cl.hasOption("prompts")) {
            Path file = CliOptions.existing(cl, "prompts");
            List<PromptRecord> records;
            try {
                records = CliOptions.reported("generate", file, Jsonl.readAll(file, PromptRecord.class, CliOptions.read(cl)));
            } catch (DataException e) {
                throw new UserError(e.getMessage(), e);
            }
            if (records.isEmpty()) throw new UserError(file + ": no prompts");
            List<String> fromFile = records.stream().map(PromptRecord::prompt).toList();
            CliOptions.notePromptForm(name(), file, fromFile, "a text file of instructions, one per line, is asked in it with --instructions FILE");
            texts.addAll(fromFile);
        }
        if (texts.isEmpty() && !interactive)
            throw new UserError("give --instruction TEXT, --instructions FILE, --prompt TEXT, --prompts FILE or --interactive "
                    + "(see instruct4j generate --help)");
        return texts;
    }

    /** The prompts for a text file's instructions, one a line, blank lines skipped; an empty file is an error that names it. */
    private static List<String> instructionsFile(Path file) {
        List<String> prompts = new ArrayList<>();
        try {
            for (String line : Jsonl.readText(file).split("\n")) if (!line.isBlank()) prompts.add(WorldFormat.prompt(line.strip()));
        } catch (DataException e) {
            throw new UserError(e.getMessage(), e);
        }
        if (prompts.isEmpty()) throw new UserError("--instructions " + file + ": no instructions (expected one a line)");
        return prompts;
    }

    /**
     * A shell passes "\n" inside double quotes as a backslash and an n: turn that into the newline the prompt format
     * needs (and "\\" into one backslash), so README's example works as printed.
     */
    static String unescape(String text) {
        StringBuilder s = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char ch = text.charAt(i);
            if (ch == '\\' && i + 1 < text.length() && (text.charAt(i + 1) == 'n' || text.charAt(i + 1) == '\\')) {
                s.append(text.charAt(++i) == 'n' ? '\n' : '\\');
            } else {
                s.append(ch);
            }
        }
        return s.toString();
    }
}
