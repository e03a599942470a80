package org.instruct4j.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
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
 * three sides alternating call by call, so a busy (shared) machine slows all alike. Each peer works on native
 * copies of the inputs made once, as instruct4j works on its arrays. Prints the median wall-clock GFLOP/s of each
 * side and the median GFLOP per process-CPU-second (all threads, native ones included), which outside load
 * moves less. Usage: {@code java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED
 * -Dai.djl.offline=true -cp benchmarks.jar org.instruct4j.bench.MatmulSideBySide [rounds]}
 */
public final class MatmulSideBySide {
    private static final int[][] SHAPES = {{4096, 768, 768}, {4096, 768, 3072}, {4096, 3072, 768}};

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        try (NDManager manager = NDManager.newBaseManager(ai.djl.Device.cpu(), "PyTorch")) {
            int torchDefault = JniUtils.getNumThreads(), blasDefault = openblas_nolapack.blas_get_num_threads();
            JniUtils.setNumThreads(Parallel.THREADS);
            openblas_nolapack.blas_set_num_threads(Parallel.THREADS);
            String core = System.getenv("OPENBLAS_CORETYPE");
            System.out.printf("threads: instruct4j %d, libtorch %d (default %d), OpenBLAS %d (default %d, kernel %s); %d rounds%n",
                    Parallel.THREADS, JniUtils.getNumThreads(), torchDefault, openblas_nolapack.blas_get_num_threads(),
                    blasDefault, core == null ? "picked by its CPU detection; OPENBLAS_CORETYPE overrides" : core, rounds);
            System.out.println("shape (MxKxN)   GFLOP/s: i4j  torch  blas | ratio to torch  to blas"
                    + " | GFLOP per CPU-s: i4j  torch  blas | ratio to torch  to blas");
            for (int[] s : SHAPES) compare(s[0], s[1], s[2], rounds, manager, os);
        }
    }

    private static void compare(int m, int k, int n, int rounds, NDManager manager,
                                com.sun.management.OperatingSystemMXBean os) {
        SplittableRandom rng = new SplittableRandom(42);
        float[] a = new float[m * k], b = new float[k * n], c = new float[m * n];
        for (int i = 0; i < a.length; i++) a[i] = (float) (rng.nextDouble() - 0.5);
        for (int i = 0; i < b.length; i++) b[i] = (float) (rng.nextDouble() - 0.5);
        double flop = 2.0 * m * n * k;
        double[][] wall = new double[3][rounds], cpu = new double[3][rounds], own = new double[3][rounds];
        var threadCpu = ManagementFactory.getThreadMXBean();
        try (NDArray ta = manager.create(a, new Shape(m, k)); NDArray tb = manager.create(b, new Shape(k, n));
             FloatPointer pa = new FloatPointer(a); FloatPointer pb = new FloatPointer(b);
             FloatPointer pc = new FloatPointer((long) m * n)) {
            Runnable[] sides = {
                () -> CpuGemm.gemm(false, false, 1, m, n, k, 1f, a, 0, b, 0, 0f, c, 0),
                () -> {
                    // CPU libtorch is eager: the product is complete when matmul returns; reading one element proves it.
                    try (NDArray out = ta.matMul(tb)) { out.getFloat(m - 1, n - 1); }
                },
                () -> openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasRowMajor, openblas_nolapack.CblasNoTrans,
                        openblas_nolapack.CblasNoTrans, m, n, k, 1f, pa, k, pb, n, 0f, pc, n)
            };
            for (int r = -3; r < rounds; r++) {   // three untimed warm-up rounds
                for (int j = 0; j < 3; j++) {
                    int side = (j + Math.max(r, 0)) % 3;   // the order rotates every round
                    long c0 = os.getProcessCpuTime(), o0 = threadCpu.getCurrentThreadCpuTime(), t0 = System.nanoTime();
                    sides[side].run();
                    long t1 = System.nanoTime(), o1 = threadCpu.getCurrentThreadCpuTime(), c1 = os.getProcessCpuTime();
                    if (r < 0) continue;
                    wall[side][r] = flop / (t1 - t0);
                    cpu[side][r] = flop / (c1 - c0);
                    own[side][r] = flop / (o1 - o0);
                }
            }
        }
        double[] w = new double[3], u = new double[3], o = new double[3];
        for (int i = 0; i < 3; i++) { w[i] = median(wall[i]); u[i] = median(cpu[i]); o[i] = median(own[i]); }
        System.out.printf("%-14s %12.1f %6.1f %5.1f | %14.2f %7.2f | %21.1f %6.1f %5.1f | %14.2f %7.2f%n",
                m + "x" + k + "x" + n, w[0], w[1], w[2], w[0] / w[1], w[0] / w[2], u[0], u[1], u[2], u[0] / u[1], u[0] / u[2]);
        if (Parallel.THREADS == 1)   // every side computes on the calling thread: its CPU clock is exact (ns, not ticks)
            System.out.printf("%-14s GFLOP per calling-thread CPU-s: i4j %.1f  torch %.1f  blas %.1f | to torch %.2f  to blas %.2f%n",
                    "", o[0], o[1], o[2], o[0] / o[1], o[0] / o[2]);
    }

    private static double median(double[] x) {
        double[] s = x.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
