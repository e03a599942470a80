package org.instruct4j.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.instruct4j.engine.backend.cpu.CpuGemm;
import org.instruct4j.engine.backend.cpu.Parallel;
import org.instruct4j.engine.backend.cpu.VectorSupport;
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
 * f32 C = A B at GPT-2 small's training shapes (4096 tokens = 4 x 1024; the attention/MLP projections),
 * instruct4j's CpuGemm side by side with libtorch's matmul through DJL, on the same inputs and thread count.
 * Inputs are made once; neither side copies data inside the timed method. GFLOP/s = 2 M K N / time.
 * libtorch is given as many intra-op threads as instruct4j's pool (INSTRUCT4J_THREADS, default: all cores).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "-Dai.djl.offline=true", "-Xmx4g"})
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 3)
public class MatmulBenchmark {
    /** M x K x N: A is M x K, B is K x N. */
    @Param({"4096x768x768", "4096x768x3072", "4096x3072x768"})
    public String shape;

    private int m, k, n;
    private float[] a, b, c;
    private NDManager manager;
    private NDArray ta, tb;

    @Setup(Level.Trial)
    public void setup() {
        String[] d = shape.split("x");
        m = Integer.parseInt(d[0]);
        k = Integer.parseInt(d[1]);
        n = Integer.parseInt(d[2]);
        SplittableRandom rng = new SplittableRandom(42);
        a = new float[m * k];
        b = new float[k * n];
        c = new float[m * n];
        for (int i = 0; i < a.length; i++) a[i] = (float) (rng.nextDouble() - 0.5);
        for (int i = 0; i < b.length; i++) b[i] = (float) (rng.nextDouble() - 0.5);

        manager = NDManager.newBaseManager(ai.djl.Device.cpu(), "PyTorch");
        int torchDefault = JniUtils.getNumThreads();
        JniUtils.setNumThreads(Parallel.THREADS);
        System.out.printf("%n[matmul] instruct4j: %d threads, Vector API %s (%d lanes); libtorch: default %d "
                        + "intra-op threads, set to %d%n", Parallel.THREADS, VectorSupport.AVAILABLE ? "on" : "off",
                VectorSupport.FLOAT_LANES, torchDefault, JniUtils.getNumThreads());
        ta = manager.create(a, new Shape(m, k));
        tb = manager.create(b, new Shape(k, n));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        manager.close();
    }

    @Benchmark
    public float instruct4j() {
        CpuGemm.gemm(false, false, 1, m, n, k, 1f, a, 0, b, 0, 0f, c, 0);
        return c[c.length - 1];
    }

    @Benchmark
    public float libtorch() {
        // CPU libtorch is eager: the product is complete when matmul returns; reading one element proves it.
        try (NDArray out = ta.matMul(tb)) {
            return out.getFloat(m - 1, n - 1);
        }
    }
}
