package org.instruct4j.rlhf.rm;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.instruct4j.rlhf.data.Comparison;
import org.instruct4j.rlhf.data.Ranking;

/**
 * One prompt's K ranked responses as tokens, and its comparisons as indices into responses (ties already dropped).
 * Responses end with end-of-text, as the policy's samples do.
 */
public record RmExample(int[] prompt, List<int[]> responses, List<Comparison> pairs) {
    public RmExample {
        responses = List.copyOf(responses);
        pairs = List.copyOf(pairs);
        for (Comparison p : pairs)
            if (p.winner() < 0 || p.winner() >= responses.size() || p.loser() < 0 || p.loser() >= responses.size() || p.winner() == p.loser())
                throw new IllegalArgumentException("comparison " + p.winner() + " > " + p.loser() + " outside the " + responses.size() + " responses");
    }

    /** The length of its longest prompt + response sequence, cut to maxLen as training cuts it. */
    int longest(int maxLen) {
        int n = 0;
        for (int[] r : responses) n = Math.max(n, Math.min(maxLen, prompt.length + r.length));
        return n;
    }

    public static RmExample of(Ranking r, Function<String, int[]> encode, int endOfText) {
        List<int[]> rs = new ArrayList<>();
        for (String c : r.completions()) {
            int[] t = encode.apply(c);
            int[] withEot = java.util.Arrays.copyOf(t, t.length + 1);
            withEot[t.length] = endOfText;
            rs.add(withEot);
        }
        return new RmExample(encode.apply(r.prompt()), rs, r.pairs());
    }
}
