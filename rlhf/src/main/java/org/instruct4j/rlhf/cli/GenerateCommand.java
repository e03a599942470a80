package org.instruct4j.rlhf.cli;

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
 * template), --prompt texts (as they are) or a --prompts JSONL file.
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
        o.addOption(CliOptions.opt("max-new", "N", "maximum new tokens (default 64)"));
        o.addOption(CliOptions.opt("temperature", "T", "sampling temperature (default 1)"));
        o.addOption(CliOptions.opt("top-k", "K", "keep the K most likely tokens (default 0: all)"));
        o.addOption(CliOptions.opt("top-p", "P", "nucleus sampling mass (default 1)"));
        o.addOption(CliOptions.opt("greedy", null, "take the most likely token"));
        CommandLine cl = CliOptions.parse(name(), summary(), o, args, "\n" + PROMPT_FORMAT);
        if (cl == null) return 0;
        List<String> texts = prompts(cl);
        ModelFolder.Lm lm = ModelFiles.lm(cl, "model", CliOptions.device(cl), 0f);
        SamplingConfig cfg;
        try {
            cfg = new SamplingConfig(CliOptions.integer(cl, "max-new", 64), CliOptions.number(cl, "temperature", 1f),
                    CliOptions.integer(cl, "top-k", 0), CliOptions.number(cl, "top-p", 1f), cl.hasOption("greedy"));
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
        List<int[]> prompts = new ArrayList<>();
        for (String t : texts) {
            int[] ids = lm.tokenizer().encode(t);
            prompts.add(ids.length == 0 ? new int[] {lm.tokenizer().endOfText()} : ids);
        }
        List<Generation> gens = new Generator(lm.model(), lm.tokenizer().pad(), lm.tokenizer().endOfText())
                .generate(prompts, cfg, new Rng(CliOptions.seed(cl)));
        for (int i = 0; i < gens.size(); i++) {
            int[] ids = gens.get(i).tokens();
            int n = gens.get(i).endedWithEot() ? ids.length - 1 : ids.length;
            System.out.println(texts.get(i) + lm.tokenizer().decode(ids, 0, n));
            System.out.println("---");
        }
        return 0;
    }

    /** The --instruction prompts, the --prompt texts (unescaped) and then the --prompts file's, in order; at least one. */
    private static List<String> prompts(CommandLine cl) {
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
        if (texts.isEmpty()) throw new UserError("give --instruction TEXT, --prompt TEXT or --prompts FILE (see instruct4j generate --help)");
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
