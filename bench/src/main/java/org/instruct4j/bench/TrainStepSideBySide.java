package org.instruct4j.bench;

import ai.djl.ndarray.NDManager;
import java.util.List;
import java.util.function.DoubleSupplier;
import org.instruct4j.engine.Device;
import org.instruct4j.engine.Rng;
import org.instruct4j.engine.Scope;
import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.nn.Gpt;
import org.instruct4j.engine.nn.GptConfig;
import org.instruct4j.engine.ops.CrossEntropy;
import org.instruct4j.engine.optim.AdamW;
import org.instruct4j.engine.optim.GradClip;

/**
 * A GPT-2 training step (forward, mean cross-entropy, backward, global-norm clipping at 1, AdamW) of instruct4j
 * side by side with the same model in libtorch ({@link TorchGpt}), from the same parameters and batch, in one
 * JVM, with the same number of threads, steps alternating ({@link SideBySide}). Dropout is off on both sides, so
 * the first losses printed must agree to about 1e-5. Sizes: {@code tiny} (GptConfig.tiny(), batch 8 x 128),
 * {@code demo} (the demo's model, 3 layers x 96 dims, vocab 1024, batch 16 x 192), {@code pretrain} (the same model
 * at the demo's pretraining batch, 16 x 96), {@code gpt2} (GPT-2 124M, batch 4 x 64). The GPT-2 size needs
 * {@code -Xss8m}: libtorch's backward crashed on the main thread's default stack.
 * Run it with glibc's malloc keeping freed memory ({@code MALLOC_MMAP_THRESHOLD_=268435456
 * MALLOC_TRIM_THRESHOLD_=1073741824 MALLOC_TOP_PAD_=268435456}): libtorch allocates and frees its step's buffers,
 * and with glibc's defaults they went back to the system and returned as fresh pages, which these VMs are slow to
 * touch (2-core Zen 5 VM, 8 lanes, 2026-12-04: its demo step 185-375 ms against 108-122 with the settings;
 * instruct4j's pool keeps its arrays either way).
 *
 * <pre>
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Dai.djl.offline=true -Xss8m -Xmx6g \
 *     -cp bench/target/benchmarks.jar org.instruct4j.bench.TrainStepSideBySide [tiny,demo,pretrain,gpt2] [rounds scale, 1]
 * </pre>
 */
public final class TrainStepSideBySide {
    static { RunEnvironment.requireLib("TrainStepSideBySide", true); }   // before any field that needs the engine

    /** One benchmarked size: the model, the batch, and how many steps to warm up and to time at scale 1. */
    record Size(String name, GptConfig config, int batch, int seq, int warmup, int rounds) {}

    /** Every size {@link #size} knows. */
    static final List<String> SIZES = List.of("tiny", "demo", "pretrain", "gpt2");
    static final String USAGE = "usage: TrainStepSideBySide [sizes, comma-separated, of tiny, demo, pretrain, gpt2;"
            + " default tiny,demo,gpt2] [rounds scale, above 0; default 1]";

    static Size size(String name) {
        return switch (name) {
            // tiny: 1,500 warm-up steps. C2 goes on compiling the small step's methods for about that many: its
            // p95 was 2.0-2.4 times the median over steps 100-400, 1.6-1.7 over 1,000-1,600 and 1.2 after (2-core
            // Zen 5, TrainStepAllocation); with 50 the timing measured the JIT, not the step.
            case "tiny" -> new Size(name, GptConfig.tiny(), 8, 128, 1500, 60);
            // demo and pretrain: more warm-up than the JIT needs, so that both sides' memory has settled.
            case "demo" -> new Size(name, new GptConfig(1024, 192, 3, 3, 96, 0f, 1e-5f), 16, 192, 60, 20);
            // The demo's pretraining step itself (16 x 96), where more than half of its minutes go.
            case "pretrain" -> new Size(name, new GptConfig(1024, 192, 3, 3, 96, 0f, 1e-5f), 16, 96, 150, 60);
            case "gpt2" -> new Size(name, GptConfig.gpt2().withDropout(0f), 4, 64, 2, 8);
            default -> throw new IllegalArgumentException("unknown size " + name + " (" + String.join(", ", SIZES) + ")");
        };
    }

    private TrainStepSideBySide() {}

    public static void main(String[] args) {
        BenchArgs a = BenchArgs.of("TrainStepSideBySide", USAGE, args);
        List<String> sizes = a.names(0, "size", "tiny,demo,gpt2", SIZES);
        double scale = a.positive(1, "rounds scale", 1);
        a.done();
        RunEnvironment.start("TrainStepSideBySide");
        try (NDManager nd = TorchGpt.openWithOurThreads()) {
            for (String name : sizes) run(size(name), scale, nd);
        }
    }

    /**
     * instruct4j's step of a size, returning its loss, as a JDK type: EngineJarsSideBySide loads this class once per
     * engine jar and calls this.
     */
    public static DoubleSupplier instruct4jStep(String size) {
        Size s = size(size);
        SideBySide.Work step = Ours.of(s).step(s);
        return step::run;
    }

    /** instruct4j's side of one size: the model from seed 1234, its optimizer and a random batch. */
    record Ours(Gpt model, AdamW optimizer, int[] tokens, int[] targets) {
        static Ours of(Size size) {
            GptConfig config = size.config();
            Rng rng = new Rng(1234);
            Gpt model = new Gpt(config, rng, Device.CPU);
            int[] tokens = new int[size.batch() * size.seq()], targets = new int[tokens.length];
            for (int i = 0; i < tokens.length; i++) {
                tokens[i] = rng.nextInt(config.vocabSize());
                targets[i] = rng.nextInt(config.vocabSize());
            }
            return new Ours(model, AdamW.of(model.parameters(), 0.1f), tokens, targets);
        }

        /** One training step; returns its loss. */
        SideBySide.Work step(Size size) {
            Tensor inputs = Tensor.ofInts(tokens, size.batch(), size.seq());
            Tensor labels = Tensor.ofInts(targets, size.batch(), size.seq());
            return () -> {
                try (Scope step = Scope.open()) {
                    Tensor loss = CrossEntropy.mean(model.forward(inputs, null), labels);
                    loss.backward();
                    optimizer.step(3e-4f, GradClip.clipScale(GradClip.globalNorm(model.parameters().values()), 1f));
                    optimizer.zeroGrad();
                    return loss.item();
                }
            };
        }
    }

    static void run(Size size, double scale, NDManager nd) {
        GptConfig config = size.config();
        int b = size.batch(), t = size.seq(), rounds = Math.max(3, (int) Math.round(size.rounds() * scale));
        Ours side = Ours.of(size);
        int[] tokens = side.tokens(), targets = side.targets();
        try (TorchGpt peer = new TorchGpt(config, side.model().parameters(), nd, t)) {
            SideBySide.Work ours = side.step(size);
            SideBySide.Work theirs = () -> peer.trainStep(tokens, targets, b, t, 3e-4f);
            SideBySide.Result result = SideBySide.run("instruct4j", ours, "libtorch", theirs, size.warmup(), rounds);
            System.out.printf("%n== train %s: vocab %d, %d layers x %d dims, %d heads; batch %d x %d; %d timed steps each%n",
                    size.name(), config.vocabSize(), config.layers(), config.dim(), config.heads(), b, t, rounds);
            SideBySide.print(result, (long) b * t, "tokens");
        }
    }
}
