package org.instruct4j.rlhf.train;

import java.util.ArrayList;
import java.util.List;
import org.instruct4j.engine.Device;
import org.instruct4j.engine.Rng;
import org.instruct4j.engine.nn.Gpt;
import org.instruct4j.engine.nn.GptConfig;
import org.instruct4j.rlhf.data.Comparison;
import org.instruct4j.rlhf.rm.RmExample;
import org.instruct4j.rlhf.sft.SftExample;

/**
 * A tiny synthetic task for the end-to-end tests. Vocabulary of 16: prompts are 2-4 "word" tokens 1..5;
 * GOOD (8) is what the "labelers" like, BAD (9) what they dislike; fillers 10..12; PAD 14, EOT 15.
 */
public final class TinyWorld {
    public static final int GOOD = 8, BAD = 9, PAD = 14, EOT = 15, VOCAB = 16;

    private TinyWorld() {}

    public static GptConfig config() { return new GptConfig(VOCAB, 24, 1, 2, 32, 0f, 1e-5f); }

    public static Gpt model(long seed) { return new Gpt(config(), new Rng(seed), Device.CPU); }

    public static int[] prompt(Rng rng) {
        int[] p = new int[2 + rng.nextInt(3)];
        for (int i = 0; i < p.length; i++) p[i] = 1 + rng.nextInt(5);
        return p;
    }

    /** Demonstration: repeat the prompt's first token, then GOOD, then end-of-text. */
    public static SftExample demonstration(Rng rng) {
        int[] p = prompt(rng);
        return new SftExample(p, new int[] {p[0], GOOD, EOT});
    }

    public static List<SftExample> demonstrations(int n, long seed) {
        Rng rng = new Rng(seed);
        List<SftExample> out = new ArrayList<>();
        for (int i = 0; i < n; i++) out.add(demonstration(rng));
        return out;
    }

    /** The labelers' score: GOOD tokens count +1, BAD tokens -1. */
    public static int quality(int[] response) {
        int q = 0;
        for (int t : response) q += t == GOOD ? 1 : t == BAD ? -1 : 0;
        return q;
    }

    /** K = 3 responses of random tokens among GOOD, BAD and fillers, ranked by quality (ties dropped). */
    public static List<RmExample> rankings(int n, long seed) {
        Rng rng = new Rng(seed);
        List<RmExample> out = new ArrayList<>();
        while (out.size() < n) {
            int[] p = prompt(rng);
            List<int[]> rs = new ArrayList<>();
            for (int k = 0; k < 3; k++) {
                int[] r = new int[1 + rng.nextInt(4) + 1];
                for (int i = 0; i < r.length - 1; i++) {
                    int u = rng.nextInt(4);
                    r[i] = u == 0 ? GOOD : u == 1 ? BAD : 10 + rng.nextInt(3);
                }
                r[r.length - 1] = EOT;
                rs.add(r);
            }
            List<Comparison> pairs = new ArrayList<>();
            for (int a = 0; a < 3; a++)
                for (int b = 0; b < 3; b++)
                    if (quality(rs.get(a)) > quality(rs.get(b))) pairs.add(new Comparison(a, b));
            if (!pairs.isEmpty()) out.add(new RmExample(p, rs, pairs));
        }
        return out;
    }
}
