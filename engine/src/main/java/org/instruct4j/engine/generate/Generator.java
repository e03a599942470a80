package org.instruct4j.engine.generate;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.instruct4j.engine.Rng;
import org.instruct4j.engine.Scope;
import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.autograd.GradMode;
import org.instruct4j.engine.nn.Gpt;
import org.instruct4j.engine.nn.KvCache;
import org.instruct4j.engine.ops.ShapeOps;

/**
 * Batched sampling with a KV cache. The prompts are left-padded with the pad id to a common length P, and each
 * row's start offset (its padding) makes positions count from its first real token and keeps the padding out of
 * attention. One prefill forward over the P prompt tokens, then one forward of one token per step. A row that
 * emitted end-of-text stops (its later steps feed the pad token and are discarded).
 */
public final class Generator {
    private final Gpt model;
    private final int padId, endOfText;
    /** Ids below this are sampled, the others never: the ids the caller can turn back into text. */
    private final int readable;

    public Generator(Gpt model, int padId, int endOfText) { this(model, padId, endOfText, model.config().vocabSize()); }

    private Generator(Gpt model, int padId, int endOfText, int readable) {
        if (padId == endOfText) throw new IllegalArgumentException("the pad id must differ from end-of-text (" + padId + "), else the model learns never to stop");
        this.model = model;
        this.padId = padId;
        this.endOfText = endOfText;
        this.readable = readable;
    }

    /**
     * This generator, sampling only the ids a tokenizer of the given size has: a model whose vocab_size is padded
     * past its tokenizer's (nanoGPT's 50,304 rows for GPT-2's 50,257 tokens) would now and then draw an id no
     * text has.
     */
    public Generator readableBy(int tokens) {
        return new Generator(model, padId, endOfText, Math.min(tokens, model.config().vocabSize()));
    }

    /** How many tokens of a prompt the model reads with this config: the context less the room for the answer. */
    public int promptRoom(SamplingConfig cfg) { return model.config().contextLength() - maxNew(cfg); }

    /** New tokens at most: the config's, leaving at least one prompt token in the context. */
    private int maxNew(SamplingConfig cfg) { return Math.min(cfg.maxNewTokens(), model.config().contextLength() - 1); }

    /**
     * Samples one response per prompt, `batch` prompts at a time (the KV cache of a whole large file at once would
     * not fit), one random stream through the batches; each batch's responses go to done, with the index of its
     * first prompt, as soon as they are sampled.
     */
    public void generateInBatches(List<int[]> prompts, int batch, SamplingConfig cfg, Rng rng, BatchDone done) {
        for (int from = 0; from < prompts.size(); from += batch)
            done.accept(from, generate(prompts.subList(from, Math.min(prompts.size(), from + batch)), cfg, rng));
    }

    /** What {@link #generateInBatches} hands each batch to. */
    public interface BatchDone { void accept(int firstPrompt, List<Generation> generations); }

    /**
     * Samples one response per prompt. Prompts longer than the context leaves room for are cut from the left
     * (the end of a prompt matters most).
     */
    public List<Generation> generate(List<int[]> prompts, SamplingConfig cfg, Rng rng) {
        int batch = prompts.size();
        if (batch == 0) return List.of();
        int maxNew = maxNew(cfg), roomForPrompt = promptRoom(cfg);
        List<int[]> kept = new ArrayList<>();
        int promptLen = 1;
        for (int[] p : prompts) {
            if (p.length == 0) throw new IllegalArgumentException("generate: an empty prompt (give at least one token, e.g. end-of-text)");
            int[] q = p.length > roomForPrompt ? Arrays.copyOfRange(p, p.length - roomForPrompt, p.length) : p;
            kept.add(q);
            promptLen = Math.max(promptLen, q.length);
        }
        int vocab = model.config().vocabSize();
        int[] start = new int[batch];
        int[] tokens = new int[batch * promptLen];
        Arrays.fill(tokens, padId);
        for (int b = 0; b < batch; b++) {
            int[] q = kept.get(b);
            start[b] = promptLen - q.length;
            System.arraycopy(q, 0, tokens, b * promptLen + start[b], q.length);
        }
        List<List<Integer>> out = new ArrayList<>();
        List<List<Float>> logps = new ArrayList<>();
        for (int b = 0; b < batch; b++) { out.add(new ArrayList<>()); logps.add(new ArrayList<>()); }
        boolean[] done = new boolean[batch];
        int remaining = batch;

        try (GradMode g = GradMode.off(); Scope generation = Scope.open()) {
            KvCache cache = model.newCache(batch, promptLen + maxNew);
            // The prefill runs in the generation scope: the cache makes its buffers on first use, in the scope
            // open then, and they must live until the last step. Each later step frees its own temporaries.
            Tensor input0 = Tensor.ofInts(tokens, model.device(), batch, promptLen);
            Tensor h = model.hidden(input0, start, cache, false, null);
            float[] lastLogits = model.logits(ShapeOps.slice(h, 1, promptLen - 1, promptLen)).toFloatArray();
            for (int t = 0; t < maxNew && remaining > 0; t++) {
                int[] next = new int[batch];
                if (readable < vocab)
                    for (int b = 0; b < batch; b++) Arrays.fill(lastLogits, b * vocab + readable, (b + 1) * vocab, Float.NEGATIVE_INFINITY);
                TokenSampler.Pick[] picks = TokenSampler.pickRows(lastLogits, vocab, done, cfg, rng);
                for (int b = 0; b < batch; b++) {
                    if (done[b]) { next[b] = padId; continue; }
                    TokenSampler.Pick pick = picks[b];
                    next[b] = pick.token();
                    out.get(b).add(pick.token());
                    logps.get(b).add(pick.logProb());
                    if (pick.token() == endOfText) { done[b] = true; remaining--; }
                }
                if (remaining == 0 || t == maxNew - 1) break;
                try (Scope step = Scope.open()) {
                    Tensor input = Tensor.ofInts(next, model.device(), batch, 1);
                    lastLogits = model.logits(model.hidden(input, start, cache, false, null)).toFloatArray();
                }
            }
            cache.close();
        }
        List<Generation> result = new ArrayList<>();
        for (int b = 0; b < batch; b++) {
            List<Integer> ts = out.get(b);
            int[] ids = new int[ts.size()];
            float[] lp = new float[ts.size()];
            for (int i = 0; i < ids.length; i++) { ids[i] = ts.get(i); lp[i] = logps.get(b).get(i); }
            result.add(new Generation(ids, lp, done[b]));
        }
        return result;
    }

    public Gpt model() { return model; }

    public int padId() { return padId; }

    public int endOfText() { return endOfText; }
}
