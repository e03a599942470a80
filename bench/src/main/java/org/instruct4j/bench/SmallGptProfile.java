package org.instruct4j.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.instruct4j.engine.Device;
import org.instruct4j.engine.Rng;
import org.instruct4j.engine.Scope;
import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.autograd.GradMode;
import org.instruct4j.engine.backend.Backends;
import org.instruct4j.engine.backend.cpu.ParallelStats;
import org.instruct4j.engine.nn.Gpt;
import org.instruct4j.engine.nn.GptConfig;
import org.instruct4j.engine.ops.CrossEntropy;
import org.instruct4j.engine.optim.AdamW;
import org.instruct4j.engine.optim.GradClip;

/**
 * Tokens per second of the demo's small GPT (vocab 1024, context 192, 3 layers, 3 heads, 96 dims, dropout 0.1)
 * on the CPU, for the four workloads the demo spends its time in. Needs only the engine (plain main, no JMH), so
 * it runs under a profiler as it is:
 * <ul>
 *   <li>{@code pretrain}: the demo's pretraining step exactly (no dropout, 16 x 96);</li>
 *   <li>{@code train}: pretraining step (forward with dropout, cross-entropy, backward, clipping, AdamW), 16 x 128;</li>
 *   <li>{@code sft}: the same on 32 rows of about 80 tokens, the prompt part's targets ignored (-1);</li>
 *   <li>{@code ppo}: forward without a graph plus token log-probs, 16 x ~100 with left padding;</li>
 *   <li>{@code gen}: KV-cache sampling as rlhf's Generator does it: batch 64, prompts of ~40 tokens (left padded),
 *       one prefill then 31 single-token steps (greedy, so no sampler is needed), 32 new tokens per row.</li>
 * </ul>
 * Each workload warms up, then times {@code rounds} rounds of about {@code seconds} each and prints every round's
 * tokens/s plus the median and range. A checksum (losses of the first steps from a fixed seed, or the generated
 * ids) is printed so runs before and after a change can be compared for results.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp bench/target/benchmarks.jar \
 *     org.instruct4j.bench.SmallGptProfile [pretrain,train,sft,ppo,gen] [seconds per round, default 6] [rounds, default 3]
 * </pre>
 * With {@code -Dinstruct4j.parallelStats=true} each workload also prints, after its rounds, how long the helper
 * threads sat idle inside its parallel calls, by call site ({@code ParallelStats}).
 */
public final class SmallGptProfile {
    static { RunEnvironment.requireLib("SmallGptProfile", false); }   // before any field that needs the engine

    static final GptConfig CONFIG = new GptConfig(1024, 192, 3, 3, 96, 0.1f, 1e-5f);
    /** The demo's pretraining model: the same without dropout. */
    static final GptConfig PRETRAIN = new GptConfig(1024, 192, 3, 3, 96, 0f, 1e-5f);

    static final List<String> WORKLOADS = List.of("pretrain", "train", "sft", "ppo", "gen");
    static final String USAGE = "usage: SmallGptProfile [workloads, comma-separated, of pretrain, train, sft, ppo, gen;"
            + " default train,sft,ppo,gen] [seconds per round, above 0; default 6] [rounds; default 3]";

    private SmallGptProfile() {}

    interface Workload {
        /** Runs one unit of work and returns the number of tokens it processed. */
        long run();
    }

    public static void main(String[] args) {
        BenchArgs a = BenchArgs.of("SmallGptProfile", USAGE, args);
        List<String> which = a.names(0, "workload", "train,sft,ppo,gen", WORKLOADS);
        double seconds = a.positive(1, "seconds per round", 6);
        int rounds = a.count(2, "rounds", 1, 3);
        a.done();
        RunEnvironment.start("SmallGptProfile");
        System.out.println("backend: " + Backends.of(Device.CPU).describe());
        for (String w : which) {
            Workload work = switch (w) {
                case "pretrain" -> train(PRETRAIN, 16, 96, false);
                case "train" -> train(CONFIG, 16, 128, false);
                case "sft" -> train(CONFIG, 32, 80, true);
                case "ppo" -> ppo(16, 100);
                case "gen" -> gen(64, 40, 32);
                default -> throw new IllegalArgumentException("unknown workload " + w + " (pretrain, train, sft, ppo, gen)");
            };
            measure(w, work, seconds, rounds);
        }
    }

    static void measure(String name, Workload work, double seconds, int rounds) {
        long warmEnd = System.nanoTime() + (long) (seconds * 1e9);
        while (System.nanoTime() < warmEnd) work.run();
        ParallelStats.reset();
        // Process CPU time per iteration too: on a shared machine it moves less than the wall clock.
        double[] rates = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            long tokens = 0, c0 = ThreadCpu.processNanos(), t0 = System.nanoTime(), end = t0 + (long) (seconds * 1e9), now;
            int iters = 0;
            do { tokens += work.run(); iters++; now = System.nanoTime(); } while (now < end);
            long c1 = ThreadCpu.processNanos();
            rates[r] = tokens / ((now - t0) / 1e9);
            System.out.printf("%-6s round %d: %,.0f tokens/s (%d iterations, %.1f ms each, %.1f ms CPU each)%n", name, r,
                    rates[r], iters, (now - t0) / 1e6 / iters, (c1 - c0) / 1e6 / iters);
        }
        double[] sorted = rates.clone();
        Arrays.sort(sorted);
        System.out.printf("%-6s median %,.0f tokens/s  (range %,.0f .. %,.0f)%n", name, sorted[rounds / 2], sorted[0],
                sorted[rounds - 1]);
        if (ParallelStats.ENABLED) ParallelStats.summary(12).forEach(System.out::println);
    }

    /** A training step of config's model on batch x seq tokens; sft ignores the first ~third of each row's targets and pads the end. */
    static Workload train(GptConfig config, int batch, int seq, boolean sft) {
        Rng rng = new Rng(1234);
        Gpt model = new Gpt(config.withContext(Math.max(seq, config.contextLength())), rng, Device.CPU);
        AdamW optimizer = AdamW.of(model.parameters(), 0.1f);
        int[] in = new int[batch * seq], out = new int[batch * seq];
        long counted = 0;
        for (int r = 0; r < batch; r++) {
            int len = sft ? seq - rng.nextInt(seq / 4) : seq, prompt = sft ? len / 3 : 0;
            for (int j = 0; j < seq; j++) {
                in[r * seq + j] = j < len ? rng.nextInt(CONFIG.vocabSize()) : 0;
                boolean count = j >= prompt && j < len;
                out[r * seq + j] = count ? rng.nextInt(CONFIG.vocabSize()) : -1;
            }
        }
        Rng dropoutRng = new Rng(99);
        Tensor inputs = Tensor.ofInts(in, batch, seq), targets = Tensor.ofInts(out, batch, seq);
        float[] first = new float[3];
        int[] step = {0};
        Workload w = () -> {
            try (Scope s = Scope.open()) {
                Tensor loss = CrossEntropy.mean(model.logits(model.hidden(inputs, null, null, true, dropoutRng)), targets);
                loss.backward();
                float scale = GradClip.clipScale(GradClip.globalNorm(model.parameters().values()), 1f);
                optimizer.step(3e-4f, scale);
                optimizer.zeroGrad();
                float l = loss.item();
                if (step[0] < first.length) first[step[0]] = l;
                step[0]++;
            }
            return (long) batch * seq;
        };
        for (int i = 0; i < first.length; i++) w.run();
        int params = 1;
        for (Tensor p : model.parameters().values()) params = 31 * params + Arrays.hashCode(p.toFloatArray());
        System.out.println((sft ? "sft" : "train") + " checksum: first losses " + Arrays.toString(first)
                + ", parameters after them hash " + Integer.toHexString(params));
        return w;
    }

    /** Log-probs of given tokens without a graph (PPO's old policy / reference pass), rows left-padded. */
    static Workload ppo(int batch, int seq) {
        Rng rng = new Rng(4321);
        Gpt model = new Gpt(CONFIG, rng, Device.CPU);
        int[] in = new int[batch * seq], out = new int[batch * seq], start = new int[batch];
        for (int r = 0; r < batch; r++) {
            start[r] = rng.nextInt(seq / 5);
            for (int j = 0; j < seq; j++) {
                in[r * seq + j] = rng.nextInt(CONFIG.vocabSize());
                out[r * seq + j] = j < start[r] ? -1 : rng.nextInt(CONFIG.vocabSize());
            }
        }
        Tensor inputs = Tensor.ofInts(in, batch, seq), targets = Tensor.ofInts(out, batch, seq);
        double[] checksum = {Double.NaN};
        Workload w = () -> {
            try (GradMode g = GradMode.off(); Scope s = Scope.open()) {
                Tensor lp = CrossEntropy.tokenLogProbs(model.logits(model.hidden(inputs, start, null, false, null)), targets);
                float[] v = lp.toFloatArray();
                double sum = 0;
                for (float f : v) sum += f;
                checksum[0] = sum;
            }
            return (long) batch * seq;
        };
        w.run();
        System.out.println("ppo checksum: sum of log-probs " + checksum[0]);
        return w;
    }

    /** Greedy KV-cache generation of newTokens per row after left-padded prompts of up to promptLen tokens. */
    static Workload gen(int batch, int promptLen, int newTokens) {
        Rng rng = new Rng(777);
        Gpt model = new Gpt(CONFIG, rng, Device.CPU);
        int vocab = CONFIG.vocabSize();
        int[] tokens = new int[batch * promptLen], start = new int[batch];
        for (int b = 0; b < batch; b++) {
            start[b] = rng.nextInt(promptLen / 4);
            for (int j = 0; j < promptLen; j++) tokens[b * promptLen + j] = j < start[b] ? 0 : rng.nextInt(vocab);
        }
        List<int[]> last = new ArrayList<>();
        Workload w = () -> {
            int[] generated = GreedyDecode.generate(model, tokens, start, batch, promptLen, newTokens);
            last.clear();
            last.add(generated);
            return (long) batch * newTokens;
        };
        w.run();
        System.out.println("gen checksum: ids hash " + Integer.toHexString(Arrays.hashCode(last.get(0)))
                + ", first row " + Arrays.toString(Arrays.copyOf(last.get(0), 8)));
        return w;
    }
}
