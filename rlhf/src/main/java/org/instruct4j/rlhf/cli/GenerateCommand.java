package org.instruct4j.rlhf.cli;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;
import org.instruct4j.engine.Rng;
import org.instruct4j.rlhf.data.DataException;
import org.instruct4j.rlhf.data.Jsonl;
import org.instruct4j.rlhf.data.PromptRecord;
import org.instruct4j.rlhf.generate.Generation;
import org.instruct4j.rlhf.generate.Generator;
import org.instruct4j.rlhf.generate.SamplingConfig;
import org.instruct4j.rlhf.train.ModelFolder;
import org.instruct4j.rlhf.world.WorldFormat;

/**
 * `instruct4j generate`: samples responses from an LM folder for --instruction texts (put into the demo's prompt
 * template), --prompt texts (as they are), a --prompts JSONL file, or instructions typed one per line (--interactive).
 */
public final class GenerateCommand implements Command {
    static final String PROMPT_FORMAT = """
            The demo's models, and models fine-tuned on its data, answer prompts of the form
              Instruction: <what to do>
              Response:
            (two lines), for example --prompt "Instruction: Reverse the order of these words: red green blue\\nResponse:",
            which --instruction "Reverse the order of these words: red green blue" writes for you.""";

    @Override public String name() { return "generate"; }

    @Override public String summary() { return "sample responses from a model"; }

    @Override public int run(String[] args) throws Exception {
        Options o = CliOptions.common();
        o.addOption(CliOptions.opt("model", "DIR", "model folder (required)"));
        o.addOption(Option.builder().longOpt("instruction").hasArgs().argName("TEXT")
                .desc("an instruction (repeatable), asked in the demo's prompt form \"Instruction: TEXT\\nResponse:\"").get());
        o.addOption(Option.builder().longOpt("prompt").hasArgs().argName("TEXT")
                .desc("a prompt (repeatable); a written \\n becomes a newline and \\\\ a backslash").get());
        o.addOption(CliOptions.opt("prompts", "FILE", "prompts JSONL, one {\"prompt\": \"...\"} per line"));
        o.addOption(CliOptions.opt("interactive", null, "then read instructions from standard input, one per line, "
                + "and answer each as it comes, until the input ends"));
        o.addOption(CliOptions.opt("max-new", "N", "maximum new tokens (default 64)"));
        o.addOption(CliOptions.opt("temperature", "T", "sampling temperature (default 1)"));
        o.addOption(CliOptions.opt("top-k", "K", "keep the K most likely tokens (default 0: all)"));
        o.addOption(CliOptions.opt("top-p", "P", "nucleus sampling mass (default 1)"));
        o.addOption(CliOptions.opt("greedy", null, "take the most likely token"));
        CommandLine cl = CliOptions.parse(name(), summary(), o, args, "\n" + PROMPT_FORMAT);
        if (cl == null) return 0;
        boolean interactive = cl.hasOption("interactive");
        List<String> texts = prompts(cl, interactive);
        ModelFolder.Lm lm = ModelFiles.lm(cl, "model", CliOptions.device(cl), 0f);
        SamplingConfig cfg;
        try {
            cfg = new SamplingConfig(CliOptions.integer(cl, "max-new", 64), CliOptions.number(cl, "temperature", 1f),
                    CliOptions.integer(cl, "top-k", 0), CliOptions.number(cl, "top-p", 1f), cl.hasOption("greedy"));
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
        Generator generator = new Generator(lm.model(), lm.tokenizer().pad(), lm.tokenizer().endOfText());
        Rng rng = new Rng(CliOptions.seed(cl));
        if (!texts.isEmpty()) answer(texts, lm, generator, cfg, rng);
        if (interactive) {
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            System.err.println("Type an instruction and press Enter; end with Ctrl-D.");
            for (String line; (line = in.readLine()) != null; )
                if (!line.isBlank()) answer(List.of(WorldFormat.prompt(line.strip())), lm, generator, cfg, rng);
        }
        return 0;
    }

    /** Samples a response to each prompt and prints the prompt with it, then a --- line. */
    private static void answer(List<String> texts, ModelFolder.Lm lm, Generator generator, SamplingConfig cfg, Rng rng) {
        List<int[]> prompts = new ArrayList<>();
        int room = generator.promptRoom(cfg);
        for (String t : texts) {
            int[] ids = lm.tokenizer().encode(t);
            // The generator keeps a prompt's end; say so rather than answer a prompt cut short in silence.
            if (ids.length > room)
                System.err.printf("instruct4j generate: prompt %d is %d tokens; the model reads its last %d (context %d less --max-new %d), "
                        + "the first %d are left out%n", prompts.size() + 1, ids.length, room, lm.model().config().contextLength(),
                        lm.model().config().contextLength() - room, ids.length - room);
            prompts.add(ids.length == 0 ? new int[] {lm.tokenizer().endOfText()} : ids);
        }
        List<Generation> gens = generator.generate(prompts, cfg, rng);
        for (int i = 0; i < gens.size(); i++) {
            int[] ids = gens.get(i).tokens();
            int n = gens.get(i).endedWithEot() ? ids.length - 1 : ids.length;
            System.out.println(texts.get(i) + lm.tokenizer().decode(ids, 0, n));
            System.out.println("---");
        }
        System.out.flush();
    }

    /**
     * The --instruction prompts, the --prompt texts (unescaped) and then the --prompts file's, in order; at least one
     * unless the instructions come from standard input.
     */
    private static List<String> prompts(CommandLine cl, boolean interactive) {
        List<String> texts = new ArrayList<>();
        if (cl.getOptionValues("instruction") != null)
            for (String t : cl.getOptionValues("instruction")) texts.add(WorldFormat.prompt(t.strip()));
        if (cl.getOptionValues("prompt") != null) for (String t : cl.getOptionValues("prompt")) texts.add(unescape(t));
        if (cl.hasOption("prompts")) {
            try {
                for (PromptRecord p : Jsonl.read(CliOptions.existing(cl, "prompts"), PromptRecord.class, CliOptions.read(cl))) texts.add(p.prompt());
            } catch (DataException e) {
                throw new UserError(e.getMessage(), e);
            }
        }
        if (texts.isEmpty() && !interactive)
            throw new UserError("give --instruction TEXT, --prompt TEXT, --prompts FILE or --interactive (see instruct4j generate --help)");
        return texts;
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
