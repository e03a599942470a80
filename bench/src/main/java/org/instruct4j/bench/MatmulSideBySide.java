package org.instruct4j.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas_nolapack;
import org.instruct4j.engine.backend.cpu.CpuGemm;
import org.instruct4j.engine.backend.cpu.Parallel;

/**
 * The same comparison as {@link MatmulBenchmark}, with two peers, libtorch (through DJL) and OpenBLAS (through
 * JavaCPP's preset; libtorch's MKL takes its AVX2 path on AMD CPUs). OpenBLAS picks its kernel from the CPU's
 * identity, which a VM may hide (it falls back to the SSE "Nehalem" kernel): set OPENBLAS_CORETYPE (SkylakeX for
 * AVX-512, Haswell or Zen for AVX2) to give it its best one. The
 * three sides alternate unit by unit, so a busy (shared) machine slows all alike. A unit is one call for a large
 * shape and, for a small one, as many calls back to back as make about 0.4 GFLOP: in a training step one product
 * follows another while the threads are awake, and a unit of one 0.1-ms call timed mostly how soon each side's
 * threads woke up after the other sides' turns. Each peer works on native
 * copies of the inputs made once, as instruct4j works on its arrays. Prints the median wall-clock GFLOP/s of each
 * side and its GFLOP per process-CPU-second (all threads, native ones included; {@link ThreadCpu#processNanos}, the
 * nanosecond clock the other harnesses read; summed over all rounds, since another thread's time is brought up to date
 * only at its next tick or switch), which outside load moves less. Usage: {@code java --add-modules
 * jdk.incubator.vector --enable-native-access=ALL-UNNAMED
 * -Dai.djl.offline=true -cp benchmarks.jar org.instruct4j.bench.MatmulSideBySide [rounds] [gpt2|pretrain]}
 * <ul>
 *   <li>{@code gpt2} (the default): three GPT-2 forward shapes, 4096 tokens;</li>
 *   <li>{@code pretrain}: every GEMM of the demo's pretraining step (16 x 96 tokens, 96 wide, 3 layers, vocab
 *       1024) with its transposes, forward and backward, and the share of the step's GEMM time each takes on
 *       each side (a shape's time times how often the step runs it).</li>
 * </ul>
 */
public final class MatmulSideBySide {
    static { RunEnvironment.requireLib("MatmulSideBySide", true); }   // before any field that needs the engine

    /** C (m x n) = op(A) op(B) with k inner; {@code perStep} times in one training step. */
    record GemmShape(String name, boolean transA, boolean transB, int m, int n, int k, int perStep) {}

    private static final int TOKENS = 16 * 96, DIM = 96, VOCAB = 1024, LAYERS = 3;
    /** Work of one timed unit of a small shape (several calls back to back); a large shape's call is one unit. */
    private static final double UNIT_FLOP = 4e8;

    private static final List<GemmShape> GPT2 = List.of(
            new GemmShape("", false, false, 4096, 768, 768, 1), new GemmShape("", false, false, 4096, 3072, 768, 1),
            new GemmShape("", false, false, 4096, 768, 3072, 1));

    /** The demo's pretraining step: each Linear (W stored in x out) forward, input gradient, weight gradient. */
    private static List<GemmShape> pretrain() {
        var shapes = new ArrayList<GemmShape>();
        int[][] linears = {{DIM, 3 * DIM}, {DIM, DIM}, {DIM, 4 * DIM}, {4 * DIM, DIM}};
        String[] names = {"qkv", "proj", "fc", "fc2"};
        for (int i = 0; i < linears.length; i++) {
            int in = linears[i][0], out = linears[i][1];
            shapes.add(new GemmShape(names[i] + " fwd", false, false, TOKENS, out, in, LAYERS));
            shapes.add(new GemmShape(names[i] + " dX", false, true, TOKENS, in, out, LAYERS));
            shapes.add(new GemmShape(names[i] + " dW", true, false, in, out, TOKENS, LAYERS));
        }
        // The head tied to the token embedding: logits = h wte^T.
        shapes.add(new GemmShape("head fwd", false, true, TOKENS, VOCAB, DIM, 1));
        shapes.add(new GemmShape("head dX", false, false, TOKENS, DIM, VOCAB, 1));
        shapes.add(new GemmShape("head dW", true, false, VOCAB, DIM, TOKENS, 1));
        return shapes;
    }

    static final String USAGE = "usage: MatmulSideBySide [rounds; default 10] [shape set, gpt2 or pretrain; default gpt2]";

    public static void main(String[] args) {
        BenchArgs a = BenchArgs.of("MatmulSideBySide", USAGE, args);
        int rounds = a.count(0, "rounds", 1, 10);
        String set = a.name(1, "shape set", "gpt2", List.of("gpt2", "pretrain"));
        a.done();
        RunEnvironment.start("MatmulSideBySide");
        List<GemmShape> shapes = switch (set) {
            case "gpt2" -> GPT2;
            case "pretrain" -> pretrain();
            default -> throw new IllegalArgumentException("unknown shape set " + set + " (gpt2, pretrain)");
        };
        try (NDManager manager = TorchGpt.openCpu()) {
            int torchDefault = JniUtils.getNumThreads(), blasDefault = openblas_nolapack.blas_get_num_threads();
            JniUtils.setNumThreads(Parallel.THREADS);
            openblas_nolapack.blas_set_num_threads(Parallel.THREADS);
            String core = System.getenv("OPENBLAS_CORETYPE");
            System.out.printf("threads: instruct4j %d, libtorch %d (default %d), OpenBLAS %d (default %d, kernel %s); %d rounds%n",
                    Parallel.THREADS, JniUtils.getNumThreads(), torchDefault, openblas_nolapack.blas_get_num_threads(),
                    blasDefault, core == null ? "picked by its CPU detection; OPENBLAS_CORETYPE overrides" : core, rounds);
            System.out.println("shape (MxKxN)            GFLOP/s: i4j  torch  blas | ratio to torch  to blas"
                    + " | GFLOP per CPU-s: i4j  torch  blas | ratio to torch  to blas");
            // Every shape once, untimed, before any is timed: the first shapes would otherwise be timed while the JIT
            // and the three sides' thread pools still warm up (at 21 rounds the first two read 20-50% low).
            for (GemmShape s : shapes) compare(s, 0, manager);
            double[] stepMs = new double[3];
            for (GemmShape s : shapes) {
                double[] ms = compare(s, rounds, manager);
                for (int side = 0; side < 3; side++) stepMs[side] += ms[side] * s.perStep();
            }
            if (set.equals("pretrain"))
                System.out.printf("the step's GEMMs (each shape's median times its count): i4j %.1f ms, torch %.1f ms,"
                        + " blas %.1f ms | ratio to torch %.2f, to blas %.2f%n", stepMs[0], stepMs[1], stepMs[2],
                        stepMs[1] / stepMs[0], stepMs[2] / stepMs[0]);
        }
    }

    /** Times the three sides on one shape; returns each side's median milliseconds per call (rounds 0: warm-up only). */
    private static double[] compare(GemmShape s, int rounds, NDManager manager) {
        int m = s.m(), n = s.n(), k = s.k();
        SplittableRandom rng = new SplittableRandom(42);
        float[] a = new float[m * k], b = new float[k * n], c = new float[m * n];
        for (int i = 0; i < a.length; i++) a[i] = (float) (rng.nextDouble() - 0.5);
        for (int i = 0; i < b.length; i++) b[i] = (float) (rng.nextDouble() - 0.5);
        double flop = 2.0 * m * n * k;
        int calls = (int) Math.min(64, Math.ceil(UNIT_FLOP / flop));   // back to back in one timed unit
        // Process CPU time in nanoseconds (ThreadCpu.processNanos; the JDK's bean counts 10 ms ticks, longer than a small
        // shape's unit), summed over the rounds: the other threads' share is up to their last scheduler tick or switch.
        double[][] wall = new double[3][rounds], own = new double[3][rounds];
        long[] cpuNs = new long[3];
        var threadCpu = ManagementFactory.getThreadMXBean();
        // A is stored k x m when transposed, B n x k.
        Shape aShape = s.transA() ? new Shape(k, m) : new Shape(m, k);
        Shape bShape = s.transB() ? new Shape(n, k) : new Shape(k, n);
        int lda = s.transA() ? m : k, ldb = s.transB() ? k : n;
        try (NDArray ta = manager.create(a, aShape); NDArray tb = manager.create(b, bShape);
             NDArray opA = s.transA() ? ta.transpose() : ta; NDArray opB = s.transB() ? tb.transpose() : tb;
             FloatPointer pa = new FloatPointer(a); FloatPointer pb = new FloatPointer(b);
             FloatPointer pc = new FloatPointer((long) m * n)) {
            Runnable[] sides = {
                () -> CpuGemm.gemm(s.transA(), s.transB(), 1, m, n, k, 1f, a, 0, b, 0, 0f, c, 0),
                () -> {
                    // CPU libtorch is eager: the product is complete when matmul returns; reading one element proves it.
                    try (NDArray out = opA.matMul(opB)) { out.getFloat(m - 1, n - 1); }
                },
                () -> openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasRowMajor,
                        s.transA() ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans,
                        s.transB() ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans,
                        m, n, k, 1f, pa, lda, pb, ldb, 0f, pc, n)
            };
            for (int r = -3; r < rounds; r++) {   // three untimed warm-up rounds
                for (int j = 0; j < 3; j++) {
                    int side = (j + Math.max(r, 0)) % 3;   // the order rotates every round
                    long c0 = ThreadCpu.processNanos(), o0 = threadCpu.getCurrentThreadCpuTime(), t0 = System.nanoTime();
                    for (int call = 0; call < calls; call++) sides[side].run();
                    long t1 = System.nanoTime(), o1 = threadCpu.getCurrentThreadCpuTime(), c1 = ThreadCpu.processNanos();
                    if (r < 0) continue;
                    wall[side][r] = calls * flop / (t1 - t0);
                    cpuNs[side] += c1 - c0;
                    own[side][r] = calls * flop / (o1 - o0);
                }
            }
        }
        double[] w = new double[3], u = new double[3], o = new double[3], ms = new double[3];
        if (rounds == 0) return ms;
        for (int i = 0; i < 3; i++) {
            w[i] = median(wall[i]); u[i] = flop * calls * rounds / cpuNs[i]; o[i] = median(own[i]);
            ms[i] = flop / w[i] / 1e6;
        }
        String label = (s.name().isEmpty() ? "" : s.name() + " ") + (s.transA() ? "T" : "") + m + "x" + k + "x" + n
                + (s.transB() ? "T" : "");
        System.out.printf("%-24s %12.1f %6.1f %5.1f | %14.2f %7.2f | %21.1f %6.1f %5.1f | %14.2f %7.2f%n",
                label, w[0], w[1], w[2], w[0] / w[1], w[0] / w[2], u[0], u[1], u[2], u[0] / u[1], u[0] / u[2]);
        if (Parallel.THREADS == 1)   // every side computes on the calling thread: its CPU clock is exact (ns, not ticks)
            System.out.printf("%-24s GFLOP per calling-thread CPU-s: i4j %.1f  torch %.1f  blas %.1f | to torch %.2f  to blas %.2f%n",
                    "", o[0], o[1], o[2], o[0] / o[1], o[0] / o[2]);
        return ms;
    }

    private static double median(double[] x) {
        double[] s = x.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
