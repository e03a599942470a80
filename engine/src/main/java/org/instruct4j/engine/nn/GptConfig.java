package org.instruct4j.engine.nn;

/**
 * The shape of a GPT-2 model. Presets follow the released GPT-2 sizes; {@link #tiny()} is a model that
 * trains on a laptop CPU in seconds.
 */
public record GptConfig(int vocabSize, int contextLength, int layers, int heads, int dim, float dropout, float layerNormEps) {
    public GptConfig {
        positive("vocabSize", vocabSize);
        positive("contextLength", contextLength);
        positive("layers", layers);
        positive("heads", heads);
        positive("dim", dim);
        if (dim % heads != 0)
            throw new IllegalArgumentException("GPT config: dim " + dim + " is not a multiple of heads " + heads);
        if (!(dropout >= 0 && dropout < 1))
            throw new IllegalArgumentException("GPT config: dropout must be in [0, 1), got " + dropout);
        if (!(layerNormEps > 0))
            throw new IllegalArgumentException("GPT config: layerNormEps must be positive, got " + layerNormEps);
    }

    public static GptConfig tiny() { return new GptConfig(512, 128, 2, 2, 64, 0f, 1e-5f); }

    public static GptConfig gpt2() { return new GptConfig(50257, 1024, 12, 12, 768, 0.1f, 1e-5f); }

    public static GptConfig gpt2Medium() { return new GptConfig(50257, 1024, 24, 16, 1024, 0.1f, 1e-5f); }

    public static GptConfig gpt2Large() { return new GptConfig(50257, 1024, 36, 20, 1280, 0.1f, 1e-5f); }

    public static GptConfig gpt2Xl() { return new GptConfig(50257, 1024, 48, 25, 1600, 0.1f, 1e-5f); }

    /** "tiny", "gpt2", "gpt2-medium", "gpt2-large" or "gpt2-xl". */
    public static GptConfig preset(String name) {
        return switch (name) {
            case "tiny" -> tiny();
            case "gpt2" -> gpt2();
            case "gpt2-medium" -> gpt2Medium();
            case "gpt2-large" -> gpt2Large();
            case "gpt2-xl" -> gpt2Xl();
            default -> throw new IllegalArgumentException("unknown model preset '" + name
                    + "': expected tiny, gpt2, gpt2-medium, gpt2-large or gpt2-xl");
        };
    }

    public GptConfig withVocab(int vocab) { return new GptConfig(vocab, contextLength, layers, heads, dim, dropout, layerNormEps); }

    public GptConfig withContext(int context) { return new GptConfig(vocabSize, context, layers, heads, dim, dropout, layerNormEps); }

    public GptConfig withDropout(float p) { return new GptConfig(vocabSize, contextLength, layers, heads, dim, p, layerNormEps); }

    public int headDim() { return dim / heads; }

    private static void positive(String what, int value) {
        if (value <= 0) throw new IllegalArgumentException("GPT config: " + what + " must be positive, got " + value);
    }
}
