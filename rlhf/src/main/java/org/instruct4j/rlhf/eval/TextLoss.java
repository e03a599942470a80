package org.instruct4j.rlhf.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntConsumer;
import org.instruct4j.engine.Scope;
import org.instruct4j.engine.autograd.GradMode;
import org.instruct4j.engine.nn.Gpt;
import org.instruct4j.engine.text.BpeTokenizer;
import org.instruct4j.rlhf.pretrain.Pretrainer;
import org.instruct4j.rlhf.train.Sequences;

/**
 * A language model's loss on a text: the mean next-token cross-entropy (nats per predicted token) over the text cut
 * into context-length chunks, each chunk read from its own start. The held-out loss of `pretrain --validation` and
 * what `eval --text` prints.
 */
public record TextLoss(double loss, long tokens) {
    /** Chunks read in one forward pass: bounded memory, whatever the text's length. */
    private static final int CHUNKS_PER_PASS = 8;

    /** The documents as one token stream (end-of-text after each), cut into pieces of at most context tokens. */
    public static List<int[]> chunks(List<String> docs, BpeTokenizer tok, int context) {
        int[] stream = Pretrainer.tokenStream(tok, docs);
        List<int[]> out = new ArrayList<>();
        for (int at = 0; at + 2 <= stream.length; at += context)
            out.add(Arrays.copyOfRange(stream, at, Math.min(stream.length, at + context)));
        return out;
    }

    /** The loss over every chunk's predicted tokens (all but its first), each token weighing the same. */
    public static TextLoss of(Gpt model, List<int[]> chunks, int pad) { return of(model, chunks, pad, done -> {}); }

    /** As {@link #of(Gpt, List, int)}, telling chunksDone how many chunks are read after each forward pass. */
    public static TextLoss of(Gpt model, List<int[]> chunks, int pad, IntConsumer chunksDone) {
        if (chunks.isEmpty()) throw new IllegalArgumentException("no text to score");
        double sum = 0;
        long tokens = 0;
        try (GradMode g = GradMode.off()) {
            int done = 0;
            for (List<int[]> part : Sequences.pieces(chunks, CHUNKS_PER_PASS)) {
                int[] lossFrom = new int[part.size()];
                Arrays.fill(lossFrom, 1);
                long predicted = Sequences.predictedTokens(part);
                try (Scope s = Scope.open()) {
                    sum += Sequences.lmLoss(model, part, lossFrom, pad).item() * predicted;   // lmLoss is the pass's mean
                }
                tokens += predicted;
                done += part.size();
                chunksDone.accept(done);
            }
        }
        return new TextLoss(sum / tokens, tokens);
    }
}
