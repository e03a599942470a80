package org.instruct4j.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.instruct4j.engine.backend.cpu.CpuGemm;
import org.instruct4j.engine.backend.cpu.Parallel;

/**
 * The same comparison as {@link MatmulBenchmark}, but with the two sides alternating call by call, so a busy
 * (shared) machine slows both alike. Prints the median wall-clock GFLOP/s of each side and the median
 * GFLOP per process-CPU-second (all threads, native ones included), which hardly moves with outside load.
 * Usage: {@code java --add-modules jdk.incubator.vector -Dai.djl.offline=true -cp benchmarks.jar
 * org.instruct4j.bench.MatmulSideBySide [rounds]}
 */
public final class MatmulSideBySide {
    private static final int[][] SHAPES = {{4096, 768, 768}, {4096, 768, 3072}, {4096, 3072, 768}};

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        try (NDManager manager = NDManager.newBaseManager(ai.djl.Device.cpu(), "PyTorch")) {
            int torchDefault = JniUtils.getNumThreads();
            JniUtils.setNumThreads(Parallel.THREADS);
            System.out.printf("instruct4j threads %d, libtorch threads %d (default %d), %d rounds%n",
                    Parallel.THREADS, JniUtils.getNumThreads(), torchDefault, rounds);
            System.out.println("shape (MxKxN)    instruct4j GFLOP/s  libtorch GFLOP/s  ratio | per CPU-second: i4j  torch  ratio");
            for (int[] s : SHAPES) {
                int m = s[0], k = s[1], n = s[2];
                SplittableRandom rng = new SplittableRandom(42);
                float[] a = new float[m * k], b = new float[k * n], c = new float[m * n];
                for (int i = 0; i < a.length; i++) a[i] = (float) (rng.nextDouble() - 0.5);
                for (int i = 0; i < b.length; i++) b[i] = (float) (rng.nextDouble() - 0.5);
                NDArray ta = manager.create(a, new Shape(m, k)), tb = manager.create(b, new Shape(k, n));
                double flop = 2.0 * m * n * k;
                double[] wallI = new double[rounds], wallT = new double[rounds], cpuI = new double[rounds], cpuT = new double[rounds];
                for (int r = -3; r < rounds; r++) {   // three untimed warm-up rounds
                    long c0 = os.getProcessCpuTime(), t0 = System.nanoTime();
                    CpuGemm.gemm(false, false, 1, m, n, k, 1f, a, 0, b, 0, 0f, c, 0);
                    long t1 = System.nanoTime(), c1 = os.getProcessCpuTime();
                    try (NDArray out = ta.matMul(tb)) {
                        out.getFloat(m - 1, n - 1);
                    }
                    long t2 = System.nanoTime(), c2 = os.getProcessCpuTime();
                    if (r < 0) continue;
                    wallI[r] = flop / (t1 - t0); wallT[r] = flop / (t2 - t1);
                    cpuI[r] = flop / (c1 - c0); cpuT[r] = flop / (c2 - c1);
                }
                double wi = median(wallI), wt = median(wallT), ci = median(cpuI), ct = median(cpuT);
                System.out.printf("%-16s %18.1f %17.1f %6.2f | %21.1f %6.1f %6.2f%n", m + "x" + k + "x" + n,
                        wi, wt, wi / wt, ci, ct, ci / ct);
                ta.close();
                tb.close();
            }
        }
    }

    private static double median(double[] x) {
        double[] s = x.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
