package org.instruct4j.engine.nn;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.instruct4j.engine.DType;
import org.instruct4j.engine.Device;
import org.instruct4j.engine.Rng;
import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.ops.Arith;
import org.instruct4j.engine.ops.Dropout;
import org.instruct4j.engine.ops.MatMul;

/**
 * GPT-2: token and learned position embeddings, pre-LayerNorm blocks, a final LayerNorm, and the language-model
 * head tied to the token embedding (logits = h wte^T). Parameter names are Hugging Face GPT2Model's.
 *
 * <p>Init as GPT-2: weights N(0, 0.02), the two projections that write into the residual stream (attn.c_proj,
 * mlp.c_proj) N(0, 0.02 / sqrt(2 * layers)), biases 0, LayerNorm weights 1.
 */
public final class Gpt extends Module {
    static final float INIT_STD = 0.02f;

    private final GptConfig config;
    private final Device device;
    private final DType dtype;
    private final Embedding wte, wpe;
    private final List<Block> blocks = new ArrayList<>();
    private final LayerNorm lnF;

    /**
     * An F32 GPT with GPT-2's init drawn from rng. Its parameters belong to the {@link org.instruct4j.engine.Scope}
     * open when it is built, so build it outside a training step's scope. Several threads may run forward on one
     * model at once (no grad, as generation does); train it on one thread at a time.
     */
    public Gpt(GptConfig config, Rng rng, Device device) { this(config, rng, device, DType.F32); }

    /**
     * A GPT whose parameters, and so its activations, are in dtype: F32, or BF16 on a GPU (mixed precision:
     * AdamW keeps F32 master weights and moments, losses and LayerNorm statistics stay F32). The same rng gives
     * the same values, rounded.
     */
    public Gpt(GptConfig config, Rng rng, Device device, DType dtype) {
        if (dtype != DType.F32 && !(dtype == DType.BF16 && device.kind() == Device.Kind.CUDA))
            throw new IllegalArgumentException("a GPT's parameters are F32, or BF16 on a CUDA device; not " + dtype + " on " + device);
        this.config = config;
        this.device = device;
        this.dtype = dtype;
        wte = child("wte", new Embedding(config.vocabSize(), config.dim(), INIT_STD, rng, device, dtype));
        wpe = child("wpe", new Embedding(config.contextLength(), config.dim(), INIT_STD, rng, device, dtype));
        for (int i = 0; i < config.layers(); i++) blocks.add(child("h." + i, new Block(config, rng, device, dtype)));
        lnF = child("ln_f", new LayerNorm(config.dim(), config.layerNormEps(), device, dtype));
    }

    /** An independent copy: the same values, device and dtype, its own parameters (a frozen reference, an average). */
    public Gpt copy() { return copy(config.dropout()); }

    /** {@link #copy()} with another dropout in its config (SFT trains with it, RL without). */
    public Gpt copy(float dropout) {
        Gpt c = new Gpt(config.withDropout(dropout), new Rng(0), device, dtype);   // its draw is overwritten at once
        c.copyFrom(this);
        return c;
    }

    static float residualStd(GptConfig c) { return (float) (INIT_STD / Math.sqrt(2.0 * c.layers())); }

    public GptConfig config() { return config; }

    public Device device() { return device; }

    /** The parameters' dtype (F32, or BF16 on a GPU). */
    public DType dtype() { return dtype; }

    /** A cache for batch rows of up to capacity tokens (at most the context length). */
    public KvCache newCache(int batch, int capacity) {
        if (capacity > config.contextLength())
            throw new IllegalArgumentException("KV cache capacity " + capacity + " exceeds the context length " + config.contextLength());
        return new KvCache(config.layers(), batch, capacity, config.heads(), config.headDim(), device);
    }

    /**
     * The final LayerNorm output (B, T, C) for I32 tokens (B, T).
     *
     * @param start  per row, the number of left-pad tokens (null: none). Real tokens get positions 0, 1, ...
     *               from start[b]; pad positions get 0 and are never attended to.
     * @param cache  null, or the cache of the tokens before these: positions continue after cache.length()
     *               and the cache grows by T.
     * @param train  enables dropout (residual branches and embeddings; none on the attention probabilities, which
     *               the fused attention never holds as a tensor) with seeds drawn from dropoutRng.
     */
    public Tensor hidden(Tensor tokens, int[] start, KvCache cache, boolean train, Rng dropoutRng) {
        if (tokens.rank() != 2 || tokens.dtype() != DType.I32)
            throw new IllegalArgumentException("GPT input must be I32 tokens (B, T), got " + tokens.describe());
        int b = tokens.dim(0), t = tokens.dim(1), past = cache == null ? 0 : cache.length();
        if (past + t > config.contextLength())
            throw new IllegalArgumentException("sequence of " + (past + t) + " tokens (" + past + " cached + " + t
                    + " new) exceeds the context length " + config.contextLength());
        if (cache != null) cache.checkRoom(b, t);
        checkTokens(tokens);
        checkStart(start, b, past + t);

        Tensor x = Arith.add(wte.apply(tokens), wpe.apply(positions(b, t, past, start)));
        UnaryOperator<Tensor> dropout = dropout(train, dropoutRng);
        x = dropout.apply(x);
        for (int i = 0; i < blocks.size(); i++) x = blocks.get(i).apply(x, start, cache, i, dropout);
        if (cache != null) cache.advance(t);
        return lnF.apply(x);
    }

    /** (B, T, C) -> (B, T, V) through the tied token embedding. */
    public Tensor logits(Tensor hidden) { return MatMul.matmul(hidden, wte.weight(), false, true); }

    /** Logits (B, T, V) of a plain forward: no cache, no dropout. */
    public Tensor forward(Tensor tokens, int[] start) { return logits(hidden(tokens, start, null, false, null)); }

    /** Position ids (B, T): absolute position minus the row's left padding, 0 on the padding itself. */
    private Tensor positions(int b, int t, int past, int[] start) {
        int[] pos = new int[b * t];
        for (int r = 0; r < b; r++) {
            int s = start == null ? 0 : start[r];
            for (int j = 0; j < t; j++) pos[r * t + j] = Math.max(0, past + j - s);
        }
        return Tensor.ofInts(pos, device, b, t);
    }

    private UnaryOperator<Tensor> dropout(boolean train, Rng rng) {
        float p = config.dropout();
        if (!train || rng == null || p == 0f) return x -> x;
        return x -> Dropout.apply(x, p, rng.nextLong());
    }

    private void checkTokens(Tensor tokens) {
        int[] ids = tokens.toIntArray();
        for (int i = 0; i < ids.length; i++)
            if (ids[i] < 0 || ids[i] >= config.vocabSize())
                throw new IllegalArgumentException("token " + ids[i] + " at row " + i / tokens.dim(1) + ", position "
                        + i % tokens.dim(1) + " is outside the vocabulary [0, " + config.vocabSize() + ")");
    }

    private static void checkStart(int[] start, int b, int total) {
        if (start == null) return;
        if (start.length != b) throw new IllegalArgumentException(start.length + " start offsets for a batch of " + b);
        for (int i = 0; i < b; i++)
            if (start[i] < 0 || start[i] > total)
                throw new IllegalArgumentException("start offset " + start[i] + " of row " + i + " outside [0, " + total + "]");
    }
}
