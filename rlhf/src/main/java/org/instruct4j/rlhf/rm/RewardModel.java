package org.instruct4j.rlhf.rm;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.instruct4j.engine.Rng;
import org.instruct4j.engine.Scope;
import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.autograd.GradMode;
import org.instruct4j.engine.nn.Gpt;
import org.instruct4j.engine.nn.ScalarHead;
import org.instruct4j.engine.ops.EmbeddingOp;
import org.instruct4j.engine.ops.ShapeOps;
import org.instruct4j.rlhf.data.Comparison;
import org.instruct4j.rlhf.train.Sequences;

/**
 * A GPT trunk with a scalar head instead of the unembedding. The reward of prompt + response is the head's output
 * at the LAST token (sequences are right-padded, so each row's last real token is at its length - 1). The same
 * class is PPO's value model, which reads the head at every position.
 *
 * <p>Parameters: the trunk's Hugging Face names plus "score.weight" and "score.bias".
 */
public final class RewardModel {
    private final Gpt trunk;
    private final ScalarHead head;
    private final int padId;
    private long sequencesScored;

    public RewardModel(Gpt trunk, ScalarHead head, int padId) {
        this.trunk = trunk;
        this.head = head;
        this.padId = padId;
    }

    /** A reward model whose trunk starts as a copy of lm (the SFT model, as in the paper) and a fresh head. */
    public static RewardModel fromLm(Gpt lm, int padId, Rng rng) {
        // The trunk's draw from rng is overwritten by the copy, but it stays: the head's init comes after it in the stream.
        Gpt trunk = new Gpt(lm.config().withDropout(0f), rng, lm.device());
        trunk.copyFrom(lm);
        return new RewardModel(trunk, new ScalarHead(lm.config().dim(), rng, lm.device()), padId);
    }

    /** An independent copy (PPO's value model starts as a copy of the reward model). */
    public RewardModel copy() {
        ScalarHead h = new ScalarHead(trunk.config().dim(), new Rng(0), trunk.device());   // its draw overwritten at once
        h.copyFrom(head);
        return new RewardModel(trunk.copy(), h, padId);
    }

    public Gpt trunk() { return trunk; }

    public ScalarHead head() { return head; }

    public int padId() { return padId; }

    /** How many sequences went through the model so far (tests check each response is scored once). */
    public long sequencesScored() { return sequencesScored; }

    public LinkedHashMap<String, Tensor> parameters() {
        LinkedHashMap<String, Tensor> p = trunk.parameters();
        p.putAll(head.parameters());
        return p;
    }

    public void loadParameters(Map<String, Tensor> values) {
        Map<String, Tensor> t = new LinkedHashMap<>(), h = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : values.entrySet()) (e.getKey().startsWith("score.") ? h : t).put(e.getKey(), e.getValue());
        trunk.loadParameters(t, true);
        head.loadParameters(h, true);
    }

    public void zeroGrad() {
        trunk.zeroGrad();
        head.zeroGrad();
    }

    /** Rewards (N) of whole sequences (prompt + response tokens), each scored once, read at its last token. */
    public Tensor scores(List<int[]> sequences) {
        int n = sequences.size(), t = Sequences.maxLength(sequences);
        int[] tokens = new int[n * t], last = new int[n];
        Arrays.fill(tokens, padId);
        for (int i = 0; i < n; i++) {
            int[] s = sequences.get(i);
            if (s.length == 0) throw new IllegalArgumentException("reward model: empty sequence " + i);
            System.arraycopy(s, 0, tokens, i * t, s.length);
            last[i] = i * t + s.length - 1;
        }
        sequencesScored += n;
        Tensor h = trunk.hidden(Tensor.ofInts(tokens, trunk.device(), n, t), null, null, false, null);
        int c = h.dim(2);
        Tensor lastHidden = EmbeddingOp.lookup(h.reshape(n * t, c), Tensor.ofInts(last, trunk.device(), n));
        return head.apply(lastHidden.reshape(n, 1, c)).reshape(n);
    }

    /** Rewards without a graph, in a scope of their own, in chunks of at most batch sequences. */
    public float[] scoreNoGrad(List<int[]> sequences, int batch) {
        float[] out = new float[sequences.size()];
        try (GradMode g = GradMode.off()) {
            for (int from = 0; from < sequences.size(); from += batch) {
                int to = Math.min(sequences.size(), from + batch);
                try (Scope s = Scope.open()) {
                    float[] r = scores(sequences.subList(from, to)).toFloatArray();
                    System.arraycopy(r, 0, out, from, r.length);
                }
            }
        }
        return out;
    }

    /** The head at every position (B, T) for tokens laid out with left padding start (the value model's use). */
    public Tensor values(Tensor tokens, int[] start) {
        sequencesScored += tokens.dim(0);
        return head.apply(trunk.hidden(tokens, start, null, false, null));
    }

    /**
     * Makes the reward gain * r + bias from now on, by scaling the head's weight and bias: used to normalise the
     * reward model so that demonstrations score 0 on average, or policy samples have mean 0 and std 1.
     */
    public void rescale(float gain, float bias) {
        Tensor w = head.parameters().get("score.weight");
        float[] v = w.toFloatArray();
        for (int i = 0; i < v.length; i++) v[i] *= gain;
        w.backend().upload(v, w.buffer());
        head.setBias(gain * head.bias() + bias);
    }

    /** Shifts the reward so that these sequences (labeler demonstrations) score 0 on average; returns the shift. */
    public float centerOn(List<int[]> sequences) {
        float[] r = scoreNoGrad(sequences, 16);
        double mean = 0;
        for (float x : r) mean += x;
        mean /= Math.max(1, r.length);
        rescale(1f, (float) -mean);
        return (float) -mean;
    }

    /** Rescales so that these sequences (base-policy samples) score mean 0, std 1. */
    public void standardizeOn(List<int[]> sequences) {
        float[] r = scoreNoGrad(sequences, 16);
        double mean = 0, sq = 0;
        for (float x : r) { mean += x; sq += (double) x * x; }
        mean /= Math.max(1, r.length);
        double std = Math.sqrt(Math.max(1e-12, sq / Math.max(1, r.length) - mean * mean));
        float gain = (float) (1 / std), bias = (float) (-mean / std);
        rescale(gain, bias);
    }

    /** Fraction of (winner, loser) pairs ranked correctly (ties in the score count half). */
    public double accuracy(List<RmExample> examples, int maxLen) {
        double correct = 0;
        int total = 0;
        for (RmExample ex : examples) {
            List<int[]> seqs = new ArrayList<>();
            for (int[] r : ex.responses()) seqs.add(Sequences.fit(ex.prompt(), r, maxLen));
            float[] s = scoreNoGrad(seqs, 16);
            for (Comparison p : ex.pairs()) {
                total++;
                if (s[p.winner()] > s[p.loser()]) correct++;
                else if (s[p.winner()] == s[p.loser()]) correct += 0.5;
            }
        }
        return total == 0 ? Double.NaN : correct / total;
    }
}
