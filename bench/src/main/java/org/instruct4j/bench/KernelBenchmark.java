package org.instruct4j.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.instruct4j.engine.DType;
import org.instruct4j.engine.Device;
import org.instruct4j.engine.backend.Backend;
import org.instruct4j.engine.backend.Backends;
import org.instruct4j.engine.backend.Buffer;
import org.instruct4j.engine.nn.GptConfig;
import org.instruct4j.rlhf.demo.DemoConfig;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * instruct4j's hand-written CPU row kernels and its AdamW update, each side by side with libtorch (through DJL) on
 * the same inputs and thread count: libtorch is given as many intra-op threads as instruct4j's pool
 * ({@code INSTRUCT4J_THREADS}, default: all cores; {@link TorchGpt#openWithOurThreads()} prints both).
 *
 * <p><b>Kernels</b> ({@code kernel}), at the shapes of one layer of a model ({@code size}):
 * <ul>
 *   <li>{@code layerNorm}: rows = batch x tokens, cols = dim; forward gives out (and saves mean, rstd), backward
 *       dx, dweight, dbias. libtorch: {@code JniUtils.layerNorm} (torch::layer_norm) and its autograd backward.</li>
 *   <li>{@code attention}: causal self-attention of q, k, v (batch, heads, tokens, headDim), scale 1/sqrt(headDim);
 *       forward gives out (and saves each row's log-sum-exp), backward dq, dk, dv. instruct4j's kernel is fused
 *       and never builds the tokens x tokens matrix; libtorch's is the unfused softmax(q k^T * scale + causal mask) v
 *       that {@link TorchGpt} uses (DJL exposes no scaled_dot_product_attention), so it builds the score matrix.</li>
 *   <li>{@code gelu}: over batch x tokens x 4 dim elements (the MLP's hidden layer). <b>The two sides compute
 *       different functions:</b> instruct4j's GELU is the tanh approximation GPT-2 uses, libtorch's
 *       {@code JniUtils.gelu} the exact erf one (as in the train step, see {@link TorchGpt}).</li>
 *   <li>{@code crossEntropy}: softmax cross-entropy over the vocabulary for batch x tokens rows; forward gives the
 *       per-row losses, backward dlogits for an upstream gradient of 1/rows per row (the mean's). instruct4j's is one
 *       fused kernel that saves only each row's log-sum-exp; libtorch's is what {@link TorchGpt} writes,
 *       -log_softmax(logits).gather(targets), which keeps the (rows, vocab) log-probabilities. Every target is a
 *       real token (none ignored).</li>
 * </ul>
 *
 * <p><b>What each timed method does</b> (inputs and upstream gradients are made once per trial, and neither side
 * copies data in or out inside a timed method; instruct4j's outputs and saved values are buffers allocated in setup,
 * while libtorch's ops allocate theirs, and their temporaries, at every call, as eager PyTorch does: DJL has no
 * out= variants. That allocation is part of libtorch's time, which is why the sizes below keep its blocks small: a
 * VM is slow to touch fresh pages, and at 200-500 MB a block the timings measured that, not the kernels):
 * <ul>
 *   <li>{@code instruct4jForward}: the Backend forward call alone ({@code layerNorm}, {@code attention},
 *       {@code gelu}, {@code crossEntropy}) into buffers allocated in setup.</li>
 *   <li>{@code instruct4jBackward}: the Backend backward call alone ({@code layerNormBackward},
 *       {@code attentionBackward}, {@code geluBackwardFromTanh}, {@code crossEntropyBackward}) from the forward's
 *       saved outputs made in setup. It has no libtorch twin: DJL can run libtorch's backward only through autograd,
 *       which would either need the forward again or, on a graph kept from setup, add every gradient into the one
 *       the last call left (an extra pass over each gradient that instruct4j's kernels, which write, do not make).</li>
 *   <li>{@code instruct4jForwardBackward}: the forward and then the backward call, as a training step runs them; for
 *       GELU that is {@code geluKeepingTanh} then {@code geluBackwardFromTanh}, the CPU's training path (Gelu keeps
 *       the forward's tanh for the backward; the plain {@code gelu} is what runs without gradients).</li>
 *   <li>{@code libtorchForward}: the same forward on views of the inputs that need no gradient, so no graph is
 *       recorded.</li>
 *   <li>{@code libtorchForwardBackward}: the forward on fresh leaves that need gradients (detached views of the inputs:
 *       no copy) inside a GradientCollector, then {@code out.backward(dout)} ({@code JniUtils.backward}) with the same
 *       upstream gradient instruct4j's backward gets: no extra multiply or sum; the gradients land in the fresh leaves,
 *       not added to old ones. Compare it with {@code instruct4jForwardBackward}; backward alone on either side is about
 *       forwardBackward minus forward.</li>
 * </ul>
 * A libtorch method returns an element count read on the Java side: CPU libtorch is eager, so the work is done when
 * its calls return, and reading values back would add a copy that instruct4j's side does not make.
 *
 * <p><b>AdamW</b> has one step, so it has its own state and methods, {@code instruct4jAdamW} and {@code libtorchAdamW}:
 * one update of a parameter vector: the demo's whole model (452,448), one GPT-2 124M block (7,087,872; over the whole
 * model's 124M, DJL's temporaries of 0.5 GB came back as fresh pages every call, 9 s against instruct4j's 40 ms on a
 * 2-core Zen 5, which timed the VM). beta 0.9 / 0.95, eps 1e-8, weight decay 0.1,
 * lr 1e-3, step 1 every call (the moments keep moving; the speed does not depend on their values). instruct4j:
 * {@code Backend.adamw}, one fused pass. libtorch: DJL's {@code JniUtils.adamUpdate} in AdamW mode as {@link TorchGpt}
 * calls it, bias correction folded into the learning rate; DJL writes it as about ten separate tensor ops (a copy of
 * the gradient and several temporaries of the parameter's size), not torch.optim's fused kernel.
 *
 * <p><b>Sizes</b> ({@code size}): {@code demo} is the demo's model ({@link DemoConfig#standard}: 96 dims, 3 heads of
 * 32, vocab 1024) at batch 16 x 192 tokens; {@code gpt2} is GPT-2 124M's layer shapes (768 dims, 12 heads of 64,
 * vocab 50257) at the batch of TrainStepSideBySide's gpt2 step, 4 x 64 tokens, so cross-entropy runs over 256 rows x
 * 50,257 (51 MB of logits; at 4 x 256 tokens libtorch's 206 MB blocks made its cross-entropy 25-42x slower than
 * instruct4j's, most of it touching fresh pages).
 *
 * <p><b>Sanity check</b>: each trial's setup runs both sides once and compares instruct4j's results with libtorch's,
 * forward outputs and gradients, by max |difference| / max |libtorch's value| (1e-4 for layerNorm, attention and
 * crossEntropy); GELU by max |difference| (1e-3: tanh against erf differs by up to 4.7e-4 in value and 8.7e-4 in
 * slope, so its upstream gradient is drawn from [-1, 1)); the forward's output is checked as both of instruct4j's timed
 * methods leave it (they differ for GELU: the plain forward and the training one that keeps its tanh); AdamW by max |difference| of the updated parameters
 * (1e-3 of a step, lr: gradients are drawn with |g| >= 1e-3, where the two sides' placements of eps differ by under
 * 1e-4 of a step). It prints the differences and throws an IllegalStateException naming the kernel and the worst
 * difference if one is over its tolerance. A benchmark's sanity check, not a test.
 *
 * <p>Run ({@code java} a JDK 25; the environment settings are the README's for side-by-side runs: libtorch's freed
 * buffers stay in glibc's heap instead of coming back as fresh pages, and its OpenMP workers do not spin on a shared
 * machine; the forks inherit them):
 * <pre>
 * MALLOC_MMAP_THRESHOLD_=268435456 MALLOC_TRIM_THRESHOLD_=1073741824 MALLOC_TOP_PAD_=268435456 OMP_WAIT_POLICY=PASSIVE \
 *     java -jar bench/target/benchmarks.jar KernelBenchmark -p size=demo -foe true
 * </pre>
 * {@code -foe true} (JMH's fail on error) stops the run at a failed trial (a kernel or size name it does not know, a
 * sanity check over its tolerance) with exit status 1: without it JMH prints the failure, goes on with the other
 * benchmarks and exits with 0, so a mistyped {@code -p kernel=} left only the AdamW rows. Kernel and size names are
 * matched ignoring case, '-' and '_' ({@code -p kernel=layernorm,cross-entropy}).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "-Dai.djl.offline=true", "-Xmx6g", "-Xss8m"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
public class KernelBenchmark {

    // ---- the timed methods --------------------------------------------------------------------------------

    @Benchmark public void instruct4jForward(RowKernel s) { s.pair.instruct4jForward(); }

    @Benchmark public void instruct4jBackward(RowKernel s) { s.pair.instruct4jBackward(); }

    @Benchmark public void instruct4jForwardBackward(RowKernel s) { s.pair.instruct4jForwardBackward(); }

    @Benchmark public long libtorchForward(RowKernel s) { return s.pair.libtorchForward(); }

    @Benchmark public long libtorchForwardBackward(RowKernel s) { return s.pair.libtorchForwardBackward(); }

    @Benchmark public void instruct4jAdamW(AdamWUpdate s) { s.update.instruct4j(); }

    @Benchmark public void libtorchAdamW(AdamWUpdate s) { s.update.libtorch(); }

    // ---- states -------------------------------------------------------------------------------------------

    /** A row kernel at one size, made and checked once per trial. */
    @State(Scope.Benchmark)
    public static class RowKernel {
        /** The kernels, as the @Param below names them. */
        static final List<String> KERNELS = List.of("layerNorm", "attention", "gelu", "crossEntropy");

        @Param({"layerNorm", "attention", "gelu", "crossEntropy"})
        public String kernel;

        @Param({"demo", "gpt2"})
        public String size;

        NDManager torch;
        KernelPair pair;

        /**
         * Checks both names before anything is loaded: a name JMH was given with {@code -p} that is not one of these
         * fails this trial with one line (JMH prints it as the benchmark's failure and, without {@code -foe true},
         * goes on with the other benchmarks and exits with 0).
         */
        @Setup(Level.Trial)
        public void setup() {
            String name = BenchArgs.match(kernel, KERNELS);
            if (name == null)
                throw new IllegalArgumentException("unknown kernel '" + kernel + "' (-p kernel=): expected one of "
                        + String.join(", ", KERNELS) + " (any case, '-' or '_' ignored)");
            Shapes shapes = Shapes.of(size);
            torch = TorchGpt.openWithOurThreads();
            Backend backend = Backends.of(Device.CPU);
            SplittableRandom rng = new SplittableRandom(42);
            pair = switch (name) {
                case "layerNorm" -> new LayerNormPair(backend, torch, shapes, rng);
                case "attention" -> new AttentionPair(backend, torch, shapes, rng);
                case "gelu" -> new GeluPair(backend, torch, shapes, rng);
                case "crossEntropy" -> new CrossEntropyPair(backend, torch, shapes, rng);
                default -> throw new IllegalStateException(name);
            };
            // check() runs each side's forward and forward-backward once, so the saved outputs instruct4jBackward
            // reads (mean and rstd, out and lse, gelu's tanh) are in place after it.
            Difference.requireAll(name + " (" + size + ")", pair.check());
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            pair.close();
            torch.close();
        }
    }

    /** One AdamW update of a parameter vector at one size (Shapes.adamwParameters). */
    @State(Scope.Benchmark)
    public static class AdamWUpdate {
        @Param({"demo", "gpt2"})
        public String size;

        NDManager torch;
        AdamWPair update;

        @Setup(Level.Trial)
        public void setup() {
            Shapes shapes = Shapes.of(size);   // the size checked before libtorch loads
            torch = TorchGpt.openWithOurThreads();
            update = new AdamWPair(Backends.of(Device.CPU), torch, shapes, new SplittableRandom(42));
            Difference.requireAll("adamw (" + size + ")", update.check());
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            update.close();
            torch.close();
        }
    }

    // ---- sizes --------------------------------------------------------------------------------------------

    /**
     * One layer's shapes: a batch of sequences through a model of this width, and the length of the parameter vector
     * AdamW updates.
     */
    record Shapes(int batch, int tokens, int dim, int heads, int vocab, float layerNormEps, int adamwParameters) {
        static Shapes of(String size) {
            String name = BenchArgs.match(size, List.of("demo", "gpt2"));
            if (name == null)
                throw new IllegalArgumentException("unknown size '" + size + "' (-p size=): expected demo or gpt2");
            return switch (name) {
                case "demo" -> {
                    GptConfig m = DemoConfig.standard(0).model();
                    yield new Shapes(16, m.contextLength(), m.dim(), m.heads(), m.vocabSize(), m.layerNormEps(), wholeModel(m));
                }
                case "gpt2" -> {
                    GptConfig m = GptConfig.gpt2();
                    yield new Shapes(4, 64, m.dim(), m.heads(), m.vocabSize(), m.layerNormEps(), oneBlock(m));
                }
                default -> throw new IllegalStateException(name);
            };
        }

        int rows() { return batch * tokens; }

        int headDim() { return dim / heads; }

        /**
         * One block's parameters: two LayerNorms (4C), q/k/v (3C^2 + 3C), the attention's projection (C^2 + C) and
         * the MLP (4C^2 + 4C, 4C^2 + C).
         */
        static int oneBlock(GptConfig m) {
            long c = m.dim();
            return Math.toIntExact(12 * c * c + 13 * c);
        }

        /** The whole model's, with the output head tied to the token embedding (as instruct4j's Gpt and TorchGpt). */
        static int wholeModel(GptConfig m) {
            long c = m.dim();
            long n = (long) m.vocabSize() * c + (long) m.contextLength() * c + (long) m.layers() * oneBlock(m) + 2 * c;
            return Math.toIntExact(n);
        }
    }

    // ---- the sanity check ---------------------------------------------------------------------------------

    /**
     * How far one of instruct4j's results is from libtorch's: the largest |difference| and the largest |value| of
     * libtorch's, measured against the tolerance either relative to that value or as is.
     */
    record Difference(String what, double maxDiff, double maxValue, double tolerance, boolean relative) {
        static Difference relative(String what, float[] ours, float[] theirs, double tolerance) {
            return of(what, ours, theirs, tolerance, true);
        }

        static Difference absolute(String what, float[] ours, float[] theirs, double tolerance) {
            return of(what, ours, theirs, tolerance, false);
        }

        private static Difference of(String what, float[] ours, float[] theirs, double tolerance, boolean relative) {
            if (ours.length != theirs.length)
                throw new IllegalStateException(what + ": instruct4j gave " + ours.length + " values, libtorch " + theirs.length);
            double diff = 0, max = 0;
            for (int i = 0; i < ours.length; i++) {
                double d = Math.abs((double) ours[i] - theirs[i]);
                if (!(d <= diff)) diff = d;   // keeps a NaN, which then fails the check
                max = Math.max(max, Math.abs(theirs[i]));
            }
            return new Difference(what, diff, max, tolerance, relative);
        }

        double measure() { return relative ? maxDiff / Math.max(maxValue, Double.MIN_NORMAL) : maxDiff; }

        boolean within() { return measure() <= tolerance; }   // false for NaN

        @Override public String toString() {
            return String.format("%s %.2e%s (tolerance %.0e)", what, measure(),
                    relative ? String.format(" of max %.3g", maxValue) : " abs", tolerance);
        }

        /** Prints every difference, and throws naming the kernel and the worst one if any is over its tolerance. */
        static void requireAll(String kernel, List<Difference> differences) {
            System.out.println("[check] " + kernel + " instruct4j against libtorch: "
                    + String.join(", ", differences.stream().map(Difference::toString).toList()));
            Difference worst = null;
            for (Difference d : differences)
                if (!d.within() && (worst == null || !(d.measure() / d.tolerance <= worst.measure() / worst.tolerance)))
                    worst = d;
            if (worst != null)
                throw new IllegalStateException(kernel + ": instruct4j and libtorch disagree, worst " + worst);
        }
    }

    // ---- the kernels, each on both sides ------------------------------------------------------------------

    /** What every kernel shares: the two engines, the random inputs' source, and helpers to make and read arrays. */
    private abstract static class Sides implements AutoCloseable {
        final Backend be;
        final NDManager torch;
        final SplittableRandom rng;
        private final List<Buffer> buffers = new java.util.ArrayList<>();

        Sides(Backend be, NDManager torch, SplittableRandom rng) {
            this.be = be;
            this.torch = torch;
            this.rng = rng;
        }

        float[] gaussian(int n, double mean, double sd) {
            float[] a = new float[n];
            for (int i = 0; i < n; i++) a[i] = (float) (mean + sd * rng.nextGaussian());
            return a;
        }

        float[] uniform(int n, double from, double to) {
            float[] a = new float[n];
            for (int i = 0; i < n; i++) a[i] = (float) rng.nextDouble(from, to);
            return a;
        }

        /** An instruct4j buffer holding values (closed with the pair). */
        Buffer ours(float[] values) {
            Buffer b = zeros(values.length);
            be.upload(values, b);
            return b;
        }

        /** An instruct4j I32 buffer holding values (closed with the pair). */
        Buffer oursInts(int[] values) {
            Buffer b = be.allocate(DType.I32, values.length);
            buffers.add(b);
            be.upload(values, b);
            return b;
        }

        /** A zero-filled instruct4j F32 buffer, for a kernel's outputs (closed with the pair). */
        Buffer zeros(long n) {
            Buffer b = be.allocate(DType.F32, n);
            buffers.add(b);
            return b;
        }

        float[] read(Buffer b) { return be.downloadFloats(b); }

        /** A libtorch array of values, owned by the trial's manager. */
        NDArray theirs(float[] values, long... shape) { return torch.create(values, new Shape(shape)); }

        /**
         * base for one call: a detached view (no copy) owned by call, so the arrays the ops make from it are freed
         * with call; with grad, a leaf of its own that needs a gradient, so backward writes a fresh one there instead
         * of adding to an earlier call's.
         */
        static NDArray input(NDManager call, NDArray base, boolean grad) {
            NDArray view = base.stopGradient();
            view.attach(call);
            if (grad) view.setRequiresGradient(true);
            return view;
        }

        /** libtorch's autograd backward of out with upstream gradient dout: torch's out.backward(dout). */
        static void backward(NDArray out, NDArray dout) {
            JniUtils.backward((PtNDArray) out, (PtNDArray) dout, false, false);
        }

        static float[] values(NDArray a) { return a.toFloatArray(); }

        @Override public void close() {
            for (Buffer b : buffers) b.close();
            buffers.clear();
        }
    }

    /**
     * One row kernel with its inputs made on both sides. A kernel says how instruct4j runs its forward and backward
     * into buffers, and what libtorch computes from its inputs; everything else (the timed calls on libtorch's side,
     * the sanity check) is the same for all of them, written here once.
     */
    private abstract static class KernelPair extends Sides {
        /** libtorch's inputs that get gradients, in the order of {@link #gradientNames} and {@link #ourGradients}. */
        private final List<NDArray> torchInputs = new java.util.ArrayList<>();
        private final List<String> gradientNames = new java.util.ArrayList<>();
        private final List<Buffer> ourGradients = new java.util.ArrayList<>();
        private final Tolerance tolerance;

        KernelPair(Backend be, NDManager torch, SplittableRandom rng, Tolerance tolerance) {
            super(be, torch, rng);
            this.tolerance = tolerance;
        }

        /** An input of the op: instruct4j's gradient of it is {@code ourGradient}, libtorch's comes from its autograd. */
        void differentiable(String gradientName, NDArray torchInput, Buffer ourGradient) {
            gradientNames.add(gradientName);
            torchInputs.add(torchInput);
            ourGradients.add(ourGradient);
        }

        abstract void instruct4jForward();

        /** The backward alone, from the forward's saved outputs. */
        abstract void instruct4jBackward();

        /** The forward and backward as a training step runs them. */
        void instruct4jForwardBackward() {
            instruct4jForward();
            instruct4jBackward();
        }

        /** instruct4j's forward output. */
        abstract Buffer ourOutput();

        /** The op on libtorch's side, of its differentiable inputs in {@link #differentiable}'s order. */
        abstract NDArray torchOp(List<NDArray> inputs);

        /** The upstream gradient libtorch's backward gets, the same values instruct4j's backward reads. */
        abstract NDArray torchUpstream();

        final long libtorchForward() {
            try (NDManager call = torch.newSubManager()) { return torchForward(call).size(); }
        }

        final long libtorchForwardBackward() {
            try (NDManager call = torch.newSubManager()) { return torchForwardBackward(call).getFirst().size(); }
        }

        private NDArray torchForward(NDManager call) {
            return torchOp(torchInputs.stream().map(x -> input(call, x, false)).toList());
        }

        /** The gradients of the inputs, owned by call. */
        private List<NDArray> torchForwardBackward(NDManager call) {
            List<NDArray> leaves = torchInputs.stream().map(x -> input(call, x, true)).toList();
            try (GradientCollector collector = call.getEngine().newGradientCollector()) {
                backward(torchOp(leaves), torchUpstream());
            }
            return leaves.stream().map(NDArray::getGradient).toList();
        }

        /**
         * Runs both sides' forward and forward-backward once and measures how far apart they are: the output of each
         * of instruct4j's two forwards (they differ for GELU, whose training forward keeps its tanh) and every gradient.
         * Leaves the saved outputs instruct4jBackward reads in place.
         */
        final List<Difference> check() {
            instruct4jForward();
            float[] inference = read(ourOutput());
            instruct4jForwardBackward();
            try (NDManager call = torch.newSubManager()) {
                float[] theirs = values(torchForward(call));
                List<NDArray> gradients = torchForwardBackward(call);
                List<Difference> differences = new java.util.ArrayList<>();
                differences.add(tolerance.of("out", inference, theirs));
                differences.add(tolerance.of("out (training forward)", read(ourOutput()), theirs));
                for (int i = 0; i < gradients.size(); i++)
                    differences.add(tolerance.of(gradientNames.get(i), read(ourGradients.get(i)), values(gradients.get(i))));
                return differences;
            }
        }
    }

    /** How close the two sides must be: relative to libtorch's largest value, or as is. */
    record Tolerance(double bound, boolean relative) {
        Difference of(String what, float[] ours, float[] theirs) {
            return relative ? Difference.relative(what, ours, theirs, bound) : Difference.absolute(what, ours, theirs, bound);
        }
    }

    private static final Tolerance SAME_FUNCTION = new Tolerance(1e-4, true);

    /** LayerNorm over dim of every token: out, then dx, dweight, dbias. */
    private static final class LayerNormPair extends KernelPair {
        private final int rows, cols;
        private final float eps;
        private final Buffer x, weight, bias, dout, out, mean, rstd, dx, dweight, dbias;
        private final NDArray tdout;

        LayerNormPair(Backend be, NDManager torch, Shapes s, SplittableRandom rng) {
            super(be, torch, rng, SAME_FUNCTION);
            rows = s.rows();
            cols = s.dim();
            eps = s.layerNormEps();
            float[] hx = gaussian(rows * cols, 0.5, 1), hw = gaussian(cols, 1, 0.1), hb = gaussian(cols, 0, 0.1);
            float[] hdout = gaussian(rows * cols, 0, 1);
            x = ours(hx);
            weight = ours(hw);
            bias = ours(hb);
            dout = ours(hdout);
            out = zeros((long) rows * cols);
            mean = zeros(rows);
            rstd = zeros(rows);
            dx = zeros((long) rows * cols);
            dweight = zeros(cols);
            dbias = zeros(cols);
            differentiable("dx", theirs(hx, rows, cols), dx);
            differentiable("dweight", theirs(hw, cols), dweight);
            differentiable("dbias", theirs(hb, cols), dbias);
            tdout = theirs(hdout, rows, cols);
        }

        @Override void instruct4jForward() { be.layerNorm(x, weight, bias, out, mean, rstd, rows, cols, eps); }

        @Override void instruct4jBackward() { be.layerNormBackward(dout, x, weight, mean, rstd, dx, dweight, dbias, rows, cols); }

        @Override Buffer ourOutput() { return out; }

        @Override NDArray torchOp(List<NDArray> in) {
            return JniUtils.layerNorm((PtNDArray) in.get(0), new Shape(cols), (PtNDArray) in.get(1), (PtNDArray) in.get(2), eps);
        }

        @Override NDArray torchUpstream() { return tdout; }
    }

    /** Causal self-attention over (batch, heads, tokens, headDim): out, then dq, dk, dv. */
    private static final class AttentionPair extends KernelPair {
        private final int b, h, t, d;
        private final float scale;
        /** Where each sequence's tokens start: all 0, no left padding (a training batch). */
        private final int[] start;
        private final Buffer q, k, v, dout, out, lse, dq, dk, dv;
        private final NDArray tdout, causalMask;

        AttentionPair(Backend be, NDManager torch, Shapes s, SplittableRandom rng) {
            super(be, torch, rng, SAME_FUNCTION);
            b = s.batch();
            h = s.heads();
            t = s.tokens();
            d = s.headDim();
            scale = (float) (1.0 / Math.sqrt(d));
            start = new int[b];
            int n = b * h * t * d;
            float[] hq = gaussian(n, 0, 1), hk = gaussian(n, 0, 1), hv = gaussian(n, 0, 1), hdout = gaussian(n, 0, 1);
            q = ours(hq);
            k = ours(hk);
            v = ours(hv);
            dout = ours(hdout);
            out = zeros(n);
            lse = zeros((long) b * h * t);
            dq = zeros(n);
            dk = zeros(n);
            dv = zeros(n);
            differentiable("dq", theirs(hq, b, h, t, d), dq);
            differentiable("dk", theirs(hk, b, h, t, d), dk);
            differentiable("dv", theirs(hv, b, h, t, d), dv);
            tdout = theirs(hdout, b, h, t, d);
            float[] mask = new float[t * t];   // as TorchGpt's: -inf above the diagonal, added to the scores
            for (int i = 0; i < t; i++) for (int j = i + 1; j < t; j++) mask[i * t + j] = Float.NEGATIVE_INFINITY;
            causalMask = theirs(mask, t, t);
        }

        @Override void instruct4jForward() { be.attention(q, k, v, out, lse, start, b, h, t, t, d, scale); }

        @Override void instruct4jBackward() { be.attentionBackward(q, k, v, out, lse, dout, dq, dk, dv, start, b, h, t, t, d, scale); }

        @Override Buffer ourOutput() { return out; }

        /** softmax(q k^T * scale + causal mask) v, unfused, as TorchGpt writes it. */
        @Override NDArray torchOp(List<NDArray> in) {
            NDArray scores = in.get(0).matMul(in.get(1).transpose(0, 1, 3, 2)).mul(scale).add(causalMask);
            return scores.softmax(-1).matMul(in.get(2));
        }

        @Override NDArray torchUpstream() { return tdout; }
    }

    /** GELU over the MLP's hidden layer: out, then dx. instruct4j's is the tanh approximation, libtorch's erf. */
    private static final class GeluPair extends KernelPair {
        /**
         * tanh against erf differs by up to 4.7e-4 in value and 8.7e-4 in slope; with upstream gradients in [-1, 1)
         * both stay under this.
         */
        private static final Tolerance TANH_AGAINST_ERF = new Tolerance(1e-3, false);
        private final int n;
        private final Buffer x, dout, out, tanh, dx;
        private final NDArray tdout;

        GeluPair(Backend be, NDManager torch, Shapes s, SplittableRandom rng) {
            super(be, torch, rng, TANH_AGAINST_ERF);
            if (!be.keepsGeluTanh())
                throw new IllegalStateException("the benchmark times the CPU's training GELU, which keeps the forward's tanh");
            n = s.rows() * 4 * s.dim();
            // x spread wider than a unit normal, so that both curves' tails are exercised.
            float[] hx = gaussian(n, 0, 2), hdout = uniform(n, -1, 1);
            x = ours(hx);
            dout = ours(hdout);
            out = zeros(n);
            tanh = zeros(n);
            dx = zeros(n);
            differentiable("dx", theirs(hx, n), dx);
            tdout = theirs(hdout, n);
        }

        /** The plain forward: what runs without gradients (Gelu keeps no tanh then). */
        @Override void instruct4jForward() { be.gelu(x, out, n); }

        /** The backward from the tanh the training forward kept. */
        @Override void instruct4jBackward() { be.geluBackwardFromTanh(x, tanh, dout, dx, n); }

        /** The training path: the forward keeps each element's tanh, the backward reads it. */
        @Override void instruct4jForwardBackward() {
            be.geluKeepingTanh(x, out, tanh, n);
            instruct4jBackward();
        }

        @Override Buffer ourOutput() { return out; }

        @Override NDArray torchOp(List<NDArray> in) { return JniUtils.gelu((PtNDArray) in.getFirst()); }

        @Override NDArray torchUpstream() { return tdout; }
    }

    /** Softmax cross-entropy over the vocabulary, one row per token: per-row losses, then dlogits. */
    private static final class CrossEntropyPair extends KernelPair {
        private final int rows, vocab;
        private final Buffer logits, targets, dloss, loss, lse, dlogits;
        private final NDArray ttargets, tdloss;

        CrossEntropyPair(Backend be, NDManager torch, Shapes s, SplittableRandom rng) {
            super(be, torch, rng, SAME_FUNCTION);
            rows = s.rows();
            vocab = s.vocab();
            float[] hlogits = gaussian(rows * vocab, 0, 2);
            int[] htargets = new int[rows];
            long[] longTargets = new long[rows];
            for (int r = 0; r < rows; r++) longTargets[r] = htargets[r] = rng.nextInt(vocab);
            float[] hdloss = new float[rows];
            java.util.Arrays.fill(hdloss, 1f / rows);   // the mean's gradient
            logits = ours(hlogits);
            targets = oursInts(htargets);
            dloss = ours(hdloss);
            loss = zeros(rows);
            lse = zeros(rows);
            dlogits = zeros((long) rows * vocab);
            differentiable("dlogits", theirs(hlogits, rows, vocab), dlogits);
            ttargets = torch.create(longTargets, new Shape(rows, 1));
            tdloss = theirs(hdloss, rows, 1);
        }

        @Override void instruct4jForward() { be.crossEntropy(logits, targets, loss, lse, rows, vocab); }

        @Override void instruct4jBackward() { be.crossEntropyBackward(logits, targets, lse, dloss, dlogits, rows, vocab); }

        @Override Buffer ourOutput() { return loss; }

        /** Per-row losses (rows, 1) as TorchGpt computes them before its mean. */
        @Override NDArray torchOp(List<NDArray> in) { return in.getFirst().logSoftmax(-1).gather(ttargets, -1).neg(); }

        @Override NDArray torchUpstream() { return tdloss; }
    }

    /** One AdamW update of a parameter vector, moments and gradient alongside it, on both sides. */
    private static final class AdamWPair extends Sides {
        private static final float LR = 1e-3f, BETA1 = 0.9f, BETA2 = 0.95f, EPS = 1e-8f, DECAY = 0.1f;
        /** The step every call takes: the bias corrections stay those of the first step. */
        private static final int STEP = 1;
        private final int n;
        private final Buffer param, grad, m, v;
        private final NDArray tparam, tgrad, tm, tv;

        AdamWPair(Backend be, NDManager torch, Shapes s, SplittableRandom rng) {
            super(be, torch, rng);
            n = s.adamwParameters();
            float[] hparam = uniform(n, -0.05, 0.05), hgrad = new float[n];
            // |g| >= 1e-3: instruct4j adds eps to sqrt of the corrected second moment, DJL to the uncorrected one; for
            // gradients near 0 the steps differ by up to a third of lr, for these by under 1e-4 of it.
            for (int i = 0; i < n; i++) hgrad[i] = (float) (rng.nextDouble(1e-3, 1e-2) * (rng.nextBoolean() ? 1 : -1));
            param = ours(hparam);
            grad = ours(hgrad);
            m = zeros(n);
            v = zeros(n);
            tparam = theirs(hparam, n);
            tgrad = theirs(hgrad, n);
            tm = torch.zeros(new Shape(n));
            tv = torch.zeros(new Shape(n));
        }

        /** Backend.adamw: moments, bias correction and decoupled decay in one pass. */
        void instruct4j() { be.adamw(param, null, grad, m, v, n, LR, BETA1, BETA2, EPS, DECAY, STEP, 1f); }

        /** DJL's AdamW update as TorchGpt calls it (no gradient scale, no clipping). */
        void libtorch() {
            float correction = (float) (Math.sqrt(1 - Math.pow(BETA2, STEP)) / (1 - Math.pow(BETA1, STEP)));
            JniUtils.adamUpdate((PtNDArray) tparam, (PtNDArray) tgrad, (PtNDArray) tm, (PtNDArray) tv,
                    LR, LR * correction, DECAY, 1f, -1f, BETA1, BETA2, EPS, true);
        }

        /** One update on each side from the same state; the parameters after it, within 1e-3 of a step (lr). */
        List<Difference> check() {
            instruct4j();
            libtorch();
            return List.of(Difference.absolute("param", read(param), values(tparam), 1e-3 * LR));
        }
    }
}
