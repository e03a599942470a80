package org.instruct4j.rlhf.cli;

import org.instruct4j.rlhf.train.ModelFolder;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Options;
import org.instruct4j.engine.Rng;
import org.instruct4j.rlhf.generate.Generation;
import org.instruct4j.rlhf.generate.Generator;
import org.instruct4j.rlhf.generate.SamplingConfig;

/** `instruct4j generate`: samples responses from an LM folder for --prompt texts. */
public final class GenerateCommand implements Command {
    @Override public String name() { return "generate"; }

    @Override public String summary() { return "sample responses from a model"; }

    @Override public int run(String[] args) throws Exception {
        Options o = CliOptions.common();
        o.addOption(CliOptions.opt("model", "DIR", "LM folder (required)"));
        o.addOption(org.apache.commons.cli.Option.builder().longOpt("prompt").hasArgs().argName("TEXT").desc("prompt (repeatable; required)").build());
        o.addOption(CliOptions.opt("max-new", "N", "maximum new tokens (default 64)"));
        o.addOption(CliOptions.opt("temperature", "T", "sampling temperature (default 1)"));
        o.addOption(CliOptions.opt("top-k", "K", "keep the K most likely tokens (default 0: all)"));
        o.addOption(CliOptions.opt("top-p", "P", "nucleus sampling mass (default 1)"));
        o.addOption(CliOptions.opt("greedy", null, "take the most likely token"));
        CommandLine cl = CliOptions.parse(name(), summary(), o, args);
        if (cl == null) return 0;
        String[] texts = cl.getOptionValues("prompt");
        if (texts == null) throw new UserError("--prompt is required");
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
            System.out.println(texts[i] + lm.tokenizer().decode(ids, 0, n));
            System.out.println("---");
        }
        return 0;
    }
}
