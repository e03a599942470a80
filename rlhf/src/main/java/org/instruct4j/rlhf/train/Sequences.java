package org.instruct4j.rlhf.train;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.instruct4j.engine.Rng;
import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.nn.Gpt;
import org.instruct4j.engine.ops.CrossEntropy;
import org.instruct4j.engine.ops.EmbeddingOp;

/**
 * Token sequences as model batches, right-padded, and the language-model loss on them. lossFrom[i] is the first
 * position of sequence i whose token is predicted with a loss (1 for plain pretraining: every token after the
 * first; the prompt length for SFT: completion tokens only). Pad positions never count.
 */
public final class Sequences {
    private Sequences() {}

    /** The longest length, or 1. */
    public static int maxLength(List<int[]> seqs) {
        int t = 1;
        for (int[] s : seqs) t = Math.max(t, s.length);
        return t;
    }

    /** Mean next-token cross-entropy over the counted targets; a scalar that requires grad when the model does. */
    public static Tensor lmLoss(Gpt model, List<int[]> seqs, int[] lossFrom, int padId, boolean train, Rng dropoutRng) {
        int b = seqs.size(), t = maxLength(seqs) - 1;
        if (t < 1) throw new IllegalArgumentException("LM loss needs sequences of at least 2 tokens");
        int[] inputs = new int[b * t], targets = new int[b * t];
        Arrays.fill(inputs, padId);
        Arrays.fill(targets, -1);
        for (int i = 0; i < b; i++) {
            int[] s = seqs.get(i);
            for (int j = 0; j + 1 < s.length && j < t; j++) {
                inputs[i * t + j] = s[j];
                if (j + 1 >= lossFrom[i]) targets[i * t + j] = s[j + 1];
            }
        }
        Tensor in = Tensor.ofInts(inputs, model.device(), b, t);
        Tensor hidden = model.hidden(in, null, null, train, dropoutRng);
        int[] counted = countedPositions(targets);
        if (counted.length == 0 || counted.length == targets.length)   // nothing to leave out (pretraining text)
            return CrossEntropy.mean(model.logits(hidden), Tensor.ofInts(targets, model.device(), b, t));
        // Logits only where a target counts: the tied head (vocab x dim) is the model's widest matmul, and in SFT
        // about two thirds of the positions are the prompt's. The same rows give the same loss.
        int[] countedTargets = new int[counted.length];
        for (int i = 0; i < counted.length; i++) countedTargets[i] = targets[counted[i]];
        Tensor rows = EmbeddingOp.lookup(hidden.reshape(b * t, hidden.dim(-1)),
                Tensor.ofInts(counted, model.device(), counted.length));
        return CrossEntropy.mean(model.logits(rows), Tensor.ofInts(countedTargets, model.device(), counted.length));
    }

    /** Indices of the non-negative targets, in order. */
    private static int[] countedPositions(int[] targets) {
        int n = 0;
        for (int tg : targets) if (tg >= 0) n++;
        int[] at = new int[n];
        for (int i = 0, j = 0; i < targets.length; i++) if (targets[i] >= 0) at[j++] = i;
        return at;
    }

    /** {@link #lmLoss(Gpt, List, int[], int, boolean, Rng)} without dropout: evaluation, or a loss added to another. */
    public static Tensor lmLoss(Gpt model, List<int[]> seqs, int[] lossFrom, int padId) {
        return lmLoss(model, seqs, lossFrom, padId, false, null);
    }

    /** The tokens a language model predicts in whole sequences read from their start: all but each one's first. */
    public static long predictedTokens(List<int[]> seqs) {
        long n = 0;
        for (int[] q : seqs) n += Math.max(0, q.length - 1);
        return n;
    }

    /** The list in consecutive pieces of at most size items (size 0: the whole list as one piece). */
    public static <T> List<List<T>> pieces(List<T> items, int size) {
        if (size <= 0 || items.size() <= size) return List.of(items);
        List<List<T>> out = new ArrayList<>();
        for (int from = 0; from < items.size(); from += size) out.add(items.subList(from, Math.min(items.size(), from + size)));
        return out;
    }

    /** Concatenation of two token arrays. */
    public static int[] concat(int[] a, int[] b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** Keeps at most max tokens: the end of the prompt and the beginning of the response matter most. */
    public static int[] fit(int[] prompt, int[] response, int max) {
        int keepPrompt = fittedPromptLength(prompt.length, response.length, max);
        int keepResponse = Math.min(response.length, max - keepPrompt);
        return concat(Arrays.copyOfRange(prompt, prompt.length - keepPrompt, prompt.length), Arrays.copyOf(response, keepResponse));
    }

    /**
     * How many of the prompt's tokens {@link #fit} keeps, so where the response starts in its sequence: all of them
     * when both fit, else what is left beside the response's first half of max (or all of a shorter response).
     */
    public static int fittedPromptLength(int promptLength, int responseLength, int max) {
        if (promptLength + responseLength <= max) return promptLength;
        return Math.min(promptLength, max - Math.min(responseLength, Math.max(1, max / 2)));
    }

    /**
     * An epoch's batches of example indices, each batch of similar lengths: the seeded permutation is cut into
     * windows of {@value #BATCHES_PER_WINDOW} batches, each window sorted by length and cut into batches, and the
     * batches are shuffled. A batch is padded to its longest sequence, so a random batch of short sums and long
     * passages is mostly padding; this one is not, and the epoch is still a fresh random order. The same rng
     * state gives the same batches (a resumed run sees what an uninterrupted one saw). The window is a whole number
     * of batches, so there are ceil(n / batchSize) of them, as without the sorting.
     */
    public static List<int[]> lengthBatches(int[] lengths, int batchSize, Rng rng) {
        int[] order = permutation(lengths.length, rng);
        List<int[]> batches = new ArrayList<>();
        int window = batchSize * BATCHES_PER_WINDOW;
        for (int from = 0; from < order.length; from += window) {
            Integer[] w = new Integer[Math.min(window, order.length - from)];
            for (int i = 0; i < w.length; i++) w[i] = order[from + i];
            Arrays.sort(w, Comparator.comparingInt((Integer i) -> lengths[i]));   // stable: ties keep the random order
            for (int b = 0; b < w.length; b += batchSize) {
                int[] batch = new int[Math.min(batchSize, w.length - b)];
                for (int i = 0; i < batch.length; i++) batch[i] = w[b + i];
                batches.add(batch);
            }
        }
        int[] shuffled = permutation(batches.size(), rng);
        List<int[]> out = new ArrayList<>(batches.size());
        for (int i : shuffled) out.add(batches.get(i));
        return out;
    }

    private static final int BATCHES_PER_WINDOW = 16;

    /** A seeded permutation of 0..n-1 (Fisher-Yates). */
    public static int[] permutation(int n, Rng rng) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int tmp = p[i]; p[i] = p[j]; p[j] = tmp;
        }
        return p;
    }
}
