package org.instruct4j.bench;

import ai.djl.ndarray.NDManager;
import java.util.Arrays;
import java.util.List;
import org.instruct4j.engine.Device;
import org.instruct4j.engine.Rng;
import org.instruct4j.engine.nn.Gpt;
import org.instruct4j.engine.nn.GptConfig;
import org.instruct4j.engine.nn.KvCache;

/**
 * Greedy KV-cache generation with the demo's model (vocab 1024, 3 layers x 96 dims, 3 heads), instruct4j (its
 * KvCache, as rlhf's Generator uses it) side by side with the same model in libtorch ({@link TorchGpt#generate}),
 * runs alternating ({@link SideBySide}): prompts of 40 tokens, 32 new tokens per row, at batch 1 and 64. Tokens/s
 * counts the new tokens. Both sides start from the same weights, so the greedy ids agree unless two logits are
 * within rounding of each other; the share of equal ids is printed.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Dai.djl.offline=true -Xmx4g \
 *     -cp bench/target/benchmarks.jar org.instruct4j.bench.GenerateSideBySide [batches, 1,64] [rounds, 10]
 * </pre>
 */
public final class GenerateSideBySide {
    static { RunEnvironment.requireLib("GenerateSideBySide", true); }   // before any field that needs the engine

    static final GptConfig CONFIG = new GptConfig(1024, 192, 3, 3, 96, 0f, 1e-5f);
    static final int PROMPT = 40, NEW_TOKENS = 32;

    static final String USAGE = "usage: GenerateSideBySide [batch sizes, comma-separated; default 1,64]"
            + " [timed runs per batch size; default 10]";

    private GenerateSideBySide() {}

    public static void main(String[] args) {
        BenchArgs a = BenchArgs.of("GenerateSideBySide", USAGE, args);
        List<Integer> batches = a.counts(0, "batch sizes", 1, "1,64");
        int rounds = a.count(1, "timed runs", 1, 10);
        a.done();
        RunEnvironment.start("GenerateSideBySide");
        try (NDManager nd = TorchGpt.openWithOurThreads()) {
            for (int b : batches) run(b, rounds, nd);
        }
    }

    /**
     * "checksum of the generated ids: instruct4j 123, libtorch 123 (equal)": Arrays.hashCode of each side's ids from its
     * last run, as an integer (the float SideBySide keeps of it loses digits). A greedy run repeats its ids, so each
     * side's first runs must have had the same checksum; a side whose did not is named.
     */
    static String checksums(SideBySide.Result result, int[][] ids) {
        int ours = Arrays.hashCode(ids[0]), theirs = Arrays.hashCode(ids[1]);
        StringBuilder line = new StringBuilder(String.format("checksum of the generated ids: %s %d, %s %d (%s)",
                result.ours().name(), ours, result.theirs().name(), theirs, ours == theirs ? "equal" : "different"));
        for (SideBySide.Side side : new SideBySide.Side[] {result.ours(), result.theirs()}) {
            float last = side == result.ours() ? (float) ours : (float) theirs;
            for (float first : side.firstResults())
                if (first != last) {
                    line.append("; ").append(side.name()).append("'s ids changed between runs");
                    break;
                }
        }
        return line.toString();
    }

    static void run(int batch, int rounds, NDManager nd) {
        Rng rng = new Rng(777);
        Gpt model = new Gpt(CONFIG, rng, Device.CPU);
        int[] prompt = new int[batch * PROMPT];
        for (int i = 0; i < prompt.length; i++) prompt[i] = rng.nextInt(CONFIG.vocabSize());
        int[][] ids = new int[2][];
        try (TorchGpt peer = new TorchGpt(CONFIG, model.parameters(), nd, PROMPT)) {
            SideBySide.Work ours = () -> {
                ids[0] = GreedyDecode.generate(model, prompt, null, batch, PROMPT, NEW_TOKENS);
                return java.util.Arrays.hashCode(ids[0]);
            };
            SideBySide.Work theirs = () -> {
                ids[1] = peer.generate(prompt, batch, PROMPT, NEW_TOKENS);
                return java.util.Arrays.hashCode(ids[1]);
            };
            SideBySide.Result result = SideBySide.run("instruct4j", ours, "libtorch", theirs, 3, rounds);
            int same = 0;
            for (int i = 0; i < ids[0].length; i++) if (ids[0][i] == ids[1][i]) same++;
            System.out.printf("%n== generate: demo model, batch %d, prompts of %d, %d new tokens; %d timed runs each; "
                    + "%d of %d ids equal%n", batch, PROMPT, NEW_TOKENS, rounds, same, ids[0].length);
            SideBySide.print(result, (long) batch * NEW_TOKENS, "tokens", checksums(result, ids));
        }
    }
}
