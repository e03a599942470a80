package org.instruct4j.engine.generate;

import java.util.Arrays;
import java.util.List;
import org.instruct4j.engine.Device;
import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.nn.Gpt;
import org.instruct4j.engine.ops.CrossEntropy;
import org.instruct4j.engine.ops.ShapeOps;

/**
 * Prompts and their responses laid out so that one forward pass reads every response token: prompts left-padded to
 * promptLen (the start offsets skip the padding, as in generation), responses right-padded to responseLen, so
 * response token i sits at position promptLen + i and is predicted at promptLen + i - 1. The last response position
 * predicts nothing, so the input is (B, promptLen + responseLen - 1). PPO scores its episodes this way (the policy's
 * and the reference's log-probabilities, the value model's estimates); a DPO loss or a likelihood probe would too.
 * The model runs without dropout. The tensors belong to the {@link org.instruct4j.engine.Scope} open when the batch
 * is made: make a batch that several steps reuse outside their scopes.
 *
 * @param tokens  (B, promptLen + responseLen - 1) token ids, padding where a row is shorter
 * @param start   each row's first real position (its prompt's left padding)
 * @param targets (B, responseLen) the response tokens, -1 past each response's end
 */
public record ResponseBatch(Tensor tokens, int[] start, Tensor targets, int promptLen, int responseLen) {

    /** The pairs padded to their own longest prompt and response. */
    public static ResponseBatch of(List<int[]> prompts, List<int[]> responses, int pad, Device device) {
        int p = 1, r = 1;
        for (int[] q : prompts) p = Math.max(p, q.length);
        for (int[] a : responses) r = Math.max(r, a.length);
        return of(prompts, responses, p, r, pad, device);
    }

    /**
     * The pairs padded to promptLen and responseLen (a batch of a larger set keeps the set's lengths, so that its rows
     * line up with arrays laid out for the whole set).
     *
     * @throws IllegalArgumentException naming the pair that is empty, too long, or unmatched
     */
    public static ResponseBatch of(List<int[]> prompts, List<int[]> responses, int promptLen, int responseLen, int pad, Device device) {
        if (prompts.size() != responses.size())
            throw new IllegalArgumentException(prompts.size() + " prompts but " + responses.size() + " responses");
        int b = prompts.size(), t = promptLen + responseLen - 1;
        int[] tokens = new int[b * t], targets = new int[b * responseLen], start = new int[b];
        Arrays.fill(tokens, pad);
        Arrays.fill(targets, -1);
        for (int j = 0; j < b; j++) {
            int[] q = prompts.get(j), a = responses.get(j);
            // The prompt's last token is the position that predicts the response's first.
            if (q.length == 0) throw new IllegalArgumentException("prompt " + j + " is empty: nothing predicts its response's first token");
            requireIds(q, "prompt", j);
            requireIds(a, "response", j);
            if (q.length > promptLen || a.length > responseLen)
                throw new IllegalArgumentException("pair " + j + ": prompt of " + q.length + " and response of " + a.length
                        + " tokens do not fit " + promptLen + " and " + responseLen);
            start[j] = promptLen - q.length;
            System.arraycopy(q, 0, tokens, j * t + start[j], q.length);
            for (int i = 0; i < a.length; i++) {
                if (promptLen + i < t) tokens[j * t + promptLen + i] = a[i];
                targets[j * responseLen + i] = a[i];
            }
        }
        return new ResponseBatch(Tensor.ofInts(tokens, device, b, t), start, Tensor.ofInts(targets, device, b, responseLen),
                promptLen, responseLen);
    }

    /**
     * The logits over the vocabulary divided by temperature, (B, R, V), only at the R positions that predict a
     * response token: the tied head (vocab x dim) is the model's widest matmul, and the prompts are most of the
     * sequence. With a graph where gradients are on.
     */
    public Tensor responseLogits(Gpt model, float temperature) {
        if (!(temperature > 0)) throw new IllegalArgumentException("temperature must be > 0, got " + temperature);
        int context = model.config().contextLength();
        if (promptLen + responseLen - 1 > context)
            throw new IllegalArgumentException("prompts of " + promptLen + " and responses of " + responseLen
                    + " tokens need " + (promptLen + responseLen - 1) + " positions; the model's context is " + context);
        Tensor logits = model.logits(atResponse(model.hidden(tokens, start, null, false, null)));
        float invT = 1f / temperature;
        return invT != 1f ? logits.scale(invT) : logits;
    }

    /** log p(response token) under softmax(logits / temperature): (B, R), 0 past each response's end. */
    public Tensor logProbs(Gpt model, float temperature) {
        return CrossEntropy.tokenLogProbs(responseLogits(model, temperature), targets);
    }

    /** Each response's log-probability, the sum over its tokens: (B), 0 for an empty response (DPO's log pi(y | x)). */
    public Tensor sequenceLogProbs(Gpt model, float temperature) {
        Tensor perToken = logProbs(model, temperature);
        int b = perToken.shape()[0];
        // (B, R) times a column of ones: the row sums, with the graph (the engine reduces whole tensors only).
        return perToken.matmul(Tensor.full(1f, perToken.device(), responseLen, 1)).reshape(b);
    }

    /** A per-position quantity (B, P + R - 1, ...) cut to the R positions that predict a response token. */
    public Tensor atResponse(Tensor perPosition) {
        return ShapeOps.slice(perPosition, 1, promptLen - 1, promptLen - 1 + responseLen);
    }

    private static void requireIds(int[] ids, String what, int pair) {
        for (int i = 0; i < ids.length; i++)
            if (ids[i] < 0) throw new IllegalArgumentException(what + " " + pair + ": token " + i + " is " + ids[i] + ", not a token id");
    }
}
