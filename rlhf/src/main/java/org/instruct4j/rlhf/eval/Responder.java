package org.instruct4j.rlhf.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;
import org.instruct4j.engine.Rng;
import org.instruct4j.engine.nn.Gpt;
import org.instruct4j.engine.text.BpeTokenizer;
import org.instruct4j.engine.generate.Generation;
import org.instruct4j.engine.generate.Generator;
import org.instruct4j.engine.generate.SamplingConfig;

/** Turns prompts into response texts with one model: encode, sample in batches, decode up to end-of-text. */
public final class Responder {
    private final Generator generator;
    private final BpeTokenizer tokenizer;
    private final SamplingConfig sampling;
    private final int batch;

    public Responder(Gpt model, BpeTokenizer tokenizer, SamplingConfig sampling, int batch) {
        this.generator = new Generator(model, tokenizer.pad(), tokenizer.endOfText()).readableBy(tokenizer.vocabSize());
        this.tokenizer = tokenizer;
        this.sampling = sampling;
        this.batch = batch;
    }

    public List<String> respond(List<String> prompts, Rng rng) { return respond(prompts, rng, answered -> {}); }

    /** As {@link #respond(List, Rng)}, telling answered how many prompts are answered after each batch. */
    public List<String> respond(List<String> prompts, Rng rng, IntConsumer answered) {
        List<int[]> ids = new ArrayList<>(prompts.size());
        for (String p : prompts) ids.add(tokenizer.encode(p));
        List<String> out = new ArrayList<>(prompts.size());
        generator.generateInBatches(ids, batch, sampling, rng, (first, gens) -> {
            gens.forEach(g -> out.add(text(g)));
            answered.accept(out.size());
        });
        return out;
    }

    /** The response text: tokens up to (not including) end-of-text. */
    private String text(Generation g) { return tokenizer.decode(g.tokens(), 0, g.answerLength()); }
}
