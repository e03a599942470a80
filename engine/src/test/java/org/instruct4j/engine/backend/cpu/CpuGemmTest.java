package org.instruct4j.engine.backend.cpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * Both GEMM paths against a float64 reference. An element may be off by at most
 * {@code 1e-5 * sqrt(k) * (|alpha| * sum_p |A(i,p) B(p,j)| + |beta C(i,j)|)}: float32 rounding grows like
 * sqrt(k) * 6e-8 relative to that magnitude, so the bound has two orders of headroom, while a wrong index or
 * a lost k block is off by the magnitude itself.
 */
class CpuGemmTest {
    private static final int[] SIZES = {1, 3, 17, 33, 65, 130};

    /** Which implementation a case runs: the Vector API one is skipped on a JVM without the module. */
    private static boolean usable(boolean vector) {
        return !vector || VectorSupport.AVAILABLE;
    }

    @ParameterizedTest(name = "vector={0}")
    @ValueSource(booleans = {true, false})
    void oddSizesAllTransposes(boolean vector) {
        assumeTrue(usable(vector), "jdk.incubator.vector is not in the boot layer");
        SplittableRandom rng = new SplittableRandom(1);
        int cases = 0;
        for (int m : SIZES)
            for (int n : SIZES)
                for (int k : SIZES) {
                    if ((m + 2 * n + 3 * k) % 3 != 0 && m != n) continue;   // a spread-out third of the grid
                    int ta = cases & 1, tb = (cases >> 1) & 1;
                    check(vector, ta == 1, tb == 1, 1, m, n, k, 1f, 0f, false, rng);
                    cases++;
                }
        // and every size with all four transpose combinations
        for (int s : SIZES)
            for (int t = 0; t < 4; t++) check(vector, (t & 1) == 1, (t & 2) == 2, 1, s, s + 2, s + 1, 1f, 0f, false, rng);
        assertThat(cases).isGreaterThan(50);
    }

    @ParameterizedTest(name = "vector={0}")
    @ValueSource(booleans = {true, false})
    void spansSeveralCacheBlocks(boolean vector) {
        assumeTrue(usable(vector), "jdk.incubator.vector is not in the boot layer");
        SplittableRandom rng = new SplittableRandom(2);
        // m > MC, k > 2 KC, n > NC of both paths, none a multiple of a block or tile.
        for (int t = 0; t < 4; t++) check(vector, (t & 1) == 1, (t & 2) == 2, 1, 101, 1100, 601, 0.75f, 0.5f, false, rng);
    }

    @ParameterizedTest(name = "vector={0}")
    @ValueSource(booleans = {true, false})
    void batchesWithStridesAndBroadcast(boolean vector) {
        assumeTrue(usable(vector), "jdk.incubator.vector is not in the boot layer");
        SplittableRandom rng = new SplittableRandom(3);
        for (int t = 0; t < 4; t++) {
            boolean ta = (t & 1) == 1, tb = (t & 2) == 2;
            check(vector, ta, tb, 5, 17, 33, 65, -1.5f, 2f, false, rng);    // small: one matrix per task
            check(vector, ta, tb, 3, 130, 65, 300, 0.5f, -1f, false, rng);   // large: parallel inside
            check(vector, ta, tb, 4, 33, 17, 65, 1f, 1f, true, rng);        // A and B broadcast (stride 0)
        }
    }

    @Test
    void betaZeroOverwritesNaNAndKZeroScales() {
        for (boolean vector : new boolean[] {true, false}) {
            if (!usable(vector)) continue;
            float[] a = {1, 2, 3, 4, 5, 6}, b = {1, 0, 0, 1, 1, 1}, c = new float[4];
            java.util.Arrays.fill(c, Float.NaN);
            CpuGemm.gemm(false, false, 1, 2, 2, 3, 1f, a, 0, b, 0, 0f, c, 0, vector, true);
            assertThat(c).as("vector=%s", vector).containsExactly(4, 5, 10, 11);
            CpuGemm.gemm(false, false, 1, 2, 2, 0, 1f, a, 0, b, 0, 2f, c, 0, vector, true);
            assertThat(c).as("k=0 scales C by beta, vector=%s", vector).containsExactly(8, 10, 20, 22);
        }
    }

    @ParameterizedTest(name = "vector={0}")
    @ValueSource(booleans = {true, false})
    void sameBitsOnOneThreadAndOnThePool(boolean vector) {
        assumeTrue(usable(vector), "jdk.incubator.vector is not in the boot layer");
        SplittableRandom rng = new SplittableRandom(4);
        // The last four: few rows and few columns over a long k, as the demo's weight gradients.
        for (int[] s : new int[][] {{130, 200, 300, 1}, {1, 1000, 300, 1}, {40, 50, 60, 6}, {96, 96, 1536, 1}, {96, 288, 700, 1},
                {384, 96, 1536, 1}, {1024, 96, 600, 1}}) {
            for (int t = 0; t < 4; t++) {
                boolean ta = (t & 1) == 1, tb = (t & 2) == 2;
                int m = s[0], n = s[1], k = s[2], batch = s[3];
                float[] a = random(rng, batch * m * k), b = random(rng, batch * k * n), c0 = random(rng, batch * m * n);
                float[] serial = c0.clone(), pooled = c0.clone();
                CpuGemm.gemm(ta, tb, batch, m, n, k, 0.9f, a, m * k, b, k * n, 0.3f, serial, m * n, vector, false);
                CpuGemm.gemm(ta, tb, batch, m, n, k, 0.9f, a, m * k, b, k * n, 0.3f, pooled, m * n, vector, true);
                assertThat(pooled).as("m=%d n=%d k=%d batch=%d transA=%s transB=%s", m, n, k, batch, ta, tb)
                        .isEqualTo(serial);
            }
        }
    }

    @Test
    void packedAndInPlaceAGiveTheSameBits() {
        assumeTrue(VectorSupport.AVAILABLE, "jdk.incubator.vector is not in the boot layer");
        // A task with PACK_A_PANELS column panels or more packs its A block, one with fewer reads A in place: the
        // wide product packs A, the narrow one (its first columns) does not, and the shared columns must agree.
        SplittableRandom rng = new SplittableRandom(6);
        int nr = CpuGemmVector.NR, m = 1000, k = 300, wide = 3 * CpuGemmVector.PACK_A_PANELS * nr + 5, narrow = 2 * nr + 3;
        for (boolean ta : new boolean[] {false, true}) {
            float[] a = random(rng, m * k), bWide = random(rng, k * wide), bNarrow = new float[k * narrow];
            for (int p = 0; p < k; p++) System.arraycopy(bWide, p * wide, bNarrow, p * narrow, narrow);
            float[] cWide = new float[m * wide], cNarrow = new float[m * narrow];
            CpuGemm.gemm(ta, false, 1, m, wide, k, 1f, a, 0, bWide, 0, 0f, cWide, 0, true, true);
            CpuGemm.gemm(ta, false, 1, m, narrow, k, 1f, a, 0, bNarrow, 0, 0f, cNarrow, 0, true, true);
            for (int i = 0; i < m; i++)
                for (int j = 0; j < narrow; j++)
                    if (Float.floatToRawIntBits(cWide[i * wide + j]) != Float.floatToRawIntBits(cNarrow[i * narrow + j]))
                        throw new AssertionError("transA=" + ta + " C(" + i + ", " + j + "): packed A gave "
                                + cWide[i * wide + j] + ", A in place " + cNarrow[i * narrow + j]);
        }
    }

    @Test
    void aSharedPackedAGivesTheBitsOfATaskPackedOne() {
        assumeTrue(VectorSupport.AVAILABLE, "jdk.incubator.vector is not in the boot layer");
        // With few row blocks the columns are split over tasks and A is packed once for all of them (a transposed A
        // this deep is read in place instead); with many, each task packs its own. The first rows of a tall product must equal the short product of the same rows. Its 7
        // column panels do not divide among 2 threads, so there two tasks share the middle panel's rows.
        SplittableRandom rng = new SplittableRandom(8);
        int tall = 1000, k = 2 * CpuGemmVector.KC + 37, n = 6 * CpuGemmVector.NR + 3;
        for (boolean ta : new boolean[] {false, true})
            for (int shortRows : new int[] {CpuGemmVector.MR + 1, CpuGemmVector.MC + 5}) {
                float[] a = random(rng, tall * k), b = random(rng, k * n), aShort = new float[shortRows * k];
                for (int i = 0; i < shortRows; i++)
                    for (int p = 0; p < k; p++)
                        aShort[ta ? p * shortRows + i : i * k + p] = a[ta ? p * tall + i : i * k + p];
                float[] cTall = new float[tall * n], cShort = new float[shortRows * n];
                CpuGemm.gemm(ta, false, 1, tall, n, k, 1f, a, 0, b, 0, 0f, cTall, 0, true, true);
                CpuGemm.gemm(ta, false, 1, shortRows, n, k, 1f, aShort, 0, b, 0, 0f, cShort, 0, true, true);
                for (int i = 0; i < shortRows * n; i++)
                    if (Float.floatToRawIntBits(cTall[i]) != Float.floatToRawIntBits(cShort[i]))
                        throw new AssertionError("transA=" + ta + " rows " + shortRows + " C(" + i / n + ", " + i % n
                                + "): shared A gave " + cShort[i] + ", A packed per task " + cTall[i]);
            }
    }

    @Test
    void aBPackedOnceServesEveryPrefixWithTheSameBits() {
        assumeTrue(VectorSupport.AVAILABLE, "jdk.incubator.vector is not in the boot layer");
        // Attention packs a task's keys once and multiplies each query block by a prefix of them.
        SplittableRandom rng = new SplittableRandom(7);
        int keys = 3 * CpuGemmVector.NR + 7, d = 40, m = 30;
        float[] k = random(rng, keys * d), packed = new float[CpuGemmVector.packedSize(keys, d)];
        assertThat(CpuGemmVector.packsInOneBlock(keys, d)).isTrue();
        CpuGemmVector.packB(true, keys, d, k, 0, packed);
        for (boolean ta : new boolean[] {false, true})
            for (int n : new int[] {1, 5, CpuGemmVector.NR, CpuGemmVector.NR + 1, keys - 1, keys}) {
                float[] a = random(rng, m * d), c0 = random(rng, m * n);
                float[] fromPacked = c0.clone(), direct = c0.clone();
                CpuGemmVector.multiplyPacked(ta, m, n, d, 0.7f, a, 0, packed, d, 0.5f, fromPacked, 0);
                CpuGemmVector.multiply(ta, true, m, n, d, 0.7f, a, 0, k, 0, 0.5f, direct, 0);
                assertThat(fromPacked).as("transA=%s n=%d", ta, n).isEqualTo(direct);
            }
    }

    @Test
    void aBPackedOnceServesItsFirstRowsWithTheSameBits() {
        assumeTrue(VectorSupport.AVAILABLE, "jdk.incubator.vector is not in the boot layer");
        // Attention packs a task's values once as rows (k = keys) and multiplies each query block's probabilities
        // by the first rows: every panel is read from its start with the packing's own row count as its stride.
        SplittableRandom rng = new SplittableRandom(8);
        int keys = 2 * CpuGemmVector.NR + 9, d = 2 * CpuGemmVector.NR + 3, m = 30;
        float[] v = random(rng, keys * d), packed = new float[CpuGemmVector.packedSize(d, keys)];
        assertThat(CpuGemmVector.packsInOneBlock(d, keys)).isTrue();
        CpuGemmVector.packB(false, d, keys, v, 0, packed);
        for (boolean ta : new boolean[] {false, true})
            for (int rows : new int[] {1, 5, CpuGemmVector.NR, keys - 1, keys}) {
                float[] a = random(rng, m * rows), c0 = random(rng, m * d);
                float[] fromPacked = c0.clone(), direct = c0.clone();
                CpuGemmVector.multiplyPacked(ta, m, d, rows, 0.7f, a, 0, packed, keys, 0.5f, fromPacked, 0);
                CpuGemmVector.multiply(ta, false, m, d, rows, 0.7f, a, 0, v, 0, 0.5f, direct, 0);
                assertThat(fromPacked).as("transA=%s rows=%d", ta, rows).isEqualTo(direct);
            }
        assertThatThrownBy(() -> CpuGemmVector.multiplyPacked(false, m, d, keys + 1, 1f, new float[m * (keys + 1)], 0,
                packed, keys, 0f, new float[m * d], 0)).hasMessageContaining("packed for " + keys + " rows");
    }

    @Test
    void publicEntryPointMatchesTheChosenPath() {
        SplittableRandom rng = new SplittableRandom(5);
        float[] a = random(rng, 70 * 90), b = random(rng, 90 * 50);
        float[] viaPublic = new float[70 * 50], direct = new float[70 * 50];
        CpuGemm.gemm(false, true, 1, 70, 50, 90, 1f, a, 0, b, 0, 0f, viaPublic, 0);
        CpuGemm.gemm(false, true, 1, 70, 50, 90, 1f, a, 0, b, 0, 0f, direct, 0, VectorSupport.AVAILABLE, false);
        assertThat(viaPublic).isEqualTo(direct);
    }

    /**
     * A Linear's forward with the bias added as C is written: the bits of the product and then the add, over
     * shapes with ragged tiles, several k blocks (a bias added with the first of them would sum in another order)
     * and several column blocks; C's old contents, NaN here, are never read.
     */
    @ParameterizedTest(name = "vector={0}")
    @ValueSource(booleans = {true, false})
    void biasInTheWriteIsTheProductThenTheAdd(boolean vector) {
        assumeTrue(usable(vector), "jdk.incubator.vector is not in the boot layer");
        SplittableRandom rng = new SplittableRandom(6);
        int[][] shapes = {{1, 1, 1}, {7, 33, 5}, {64, 96, 96}, {101, 288, 96}, {37, 96, 384}, {13, 2100, 601}, {5, 40, 0}};
        for (int[] s : shapes) {
            int m = s[0], n = s[1], k = s[2];
            float[] a = random(rng, m * k), b = random(rng, k * n), bias = random(rng, n);
            float[] want = new float[m * n], got = new float[m * n];
            CpuGemm.gemm(false, false, 1, m, n, k, 1f, a, 0, b, 0, 0f, want, 0, vector, true);
            for (int i = 0; i < m * n; i++) want[i] += bias[i % n];
            java.util.Arrays.fill(got, Float.NaN);
            CpuGemm.gemmBias(m, n, k, a, b, bias, got, vector);
            assertThat(got).as("m=%d n=%d k=%d vector=%s", m, n, k, vector).isEqualTo(want);
        }
    }

    /**
     * The plain path sums k in the vector path's blocks (CpuGemm.K_BLOCK) and scales as it does, so a JVM without
     * the Vector API gets the same bits: shapes with ragged tiles, one to three k blocks, several column blocks, all
     * transposes, alpha and beta of every kind (beta 0 with NaN in C, which neither reads), batches, and a Linear's
     * forward with its bias; attention's serial products too.
     */
    @Test
    void plainAndVectorPathsGiveTheSameBits() {
        assumeTrue(VectorSupport.AVAILABLE, "jdk.incubator.vector is not in the boot layer");
        SplittableRandom rng = new SplittableRandom(9);
        int[][] shapes = {{1, 1, 1}, {7, 33, 5}, {64, 96, 96}, {101, 288, 256}, {37, 96, 257}, {13, 700, 601}, {300, 40, 96}, {5, 9, 0}};
        float[][] scalings = {{1f, 0f}, {0.7f, 0f}, {1f, 1f}, {-1.5f, 0.3f}};
        for (int[] s : shapes)
            for (int t = 0; t < 4; t++)
                for (float[] ab : scalings)
                    for (int batch : new int[] {1, 3}) {
                        boolean ta = (t & 1) == 1, tb = (t & 2) == 2;
                        int m = s[0], n = s[1], k = s[2];
                        float[] a = random(rng, batch * m * k), b = random(rng, batch * k * n), c0 = random(rng, batch * m * n);
                        if (ab[1] == 0f) java.util.Arrays.fill(c0, Float.NaN);
                        float[] plain = c0.clone(), vector = c0.clone();
                        CpuGemm.gemm(ta, tb, batch, m, n, k, ab[0], a, m * k, b, k * n, ab[1], plain, m * n, false, true);
                        CpuGemm.gemm(ta, tb, batch, m, n, k, ab[0], a, m * k, b, k * n, ab[1], vector, m * n, true, true);
                        assertSameBits(plain, vector, "m=%d n=%d k=%d batch=%d transA=%s transB=%s alpha=%s beta=%s",
                                m, n, k, batch, ta, tb, ab[0], ab[1]);
                        if (batch > 1) continue;
                        CpuGemmPlain.multiply(ta, tb, m, n, k, ab[0], a, 0, b, 0, ab[1], plain = c0.clone(), 0);
                        CpuGemmVector.multiply(ta, tb, m, n, k, ab[0], a, 0, b, 0, ab[1], vector = c0.clone(), 0);
                        assertSameBits(plain, vector, "serial m=%d n=%d k=%d transA=%s transB=%s alpha=%s beta=%s",
                                m, n, k, ta, tb, ab[0], ab[1]);
                    }
        for (int[] s : shapes) {
            int m = s[0], n = s[1], k = s[2];
            float[] a = random(rng, m * k), b = random(rng, k * n), bias = random(rng, n);
            float[] plain = new float[m * n], vector = new float[m * n];
            CpuGemm.gemmBias(m, n, k, a, b, bias, plain, false);
            CpuGemm.gemmBias(m, n, k, a, b, bias, vector, true);
            assertSameBits(plain, vector, "with a bias, m=%d n=%d k=%d", m, n, k);
        }
    }

    private static void assertSameBits(float[] plain, float[] vector, String what, Object... args) {
        for (int i = 0; i < plain.length; i++)
            if (Float.floatToIntBits(plain[i]) != Float.floatToIntBits(vector[i]))
                throw new AssertionError(String.format(what, args) + ": element " + i + " is " + plain[i]
                        + " on the plain path, " + vector[i] + " on the vector path");
    }

    @Test
    void aBiasShorterThanARowIsRejected() {
        assertThatThrownBy(() -> CpuGemm.gemmBias(2, 4, 3, new float[6], new float[12], new float[3], new float[8]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bias has 3 floats, n=4");
    }

    @Test
    void tooShortArraysAreRejectedWithTheirSizes() {
        assertThatThrownBy(() -> CpuGemm.gemm(false, false, 2, 3, 4, 5, 1f, new float[15], 15, new float[40], 20,
                0f, new float[24], 12))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("matrix A has 15 floats").hasMessageContaining("needs 30");
    }

    // ---- helpers ------------------------------------------------------------------------------------------

    private static void check(boolean vector, boolean ta, boolean tb, int batch, int m, int n, int k, float alpha,
                              float beta, boolean broadcastInputs, SplittableRandom rng) {
        int sa = broadcastInputs ? 0 : m * k, sb = broadcastInputs ? 0 : k * n, sc = m * n;
        float[] a = random(rng, (batch - 1) * sa + m * k), b = random(rng, (batch - 1) * sb + k * n);
        float[] c0 = random(rng, batch * sc), c = c0.clone();
        CpuGemm.gemm(ta, tb, batch, m, n, k, alpha, a, sa, b, sb, beta, c, sc, vector, true);
        // Big cases check a seventh of the elements (every row and column still has some) to keep time low.
        int every = (long) m * n * k > 4_000_000 ? 7 : 1;
        for (int bi = 0; bi < batch; bi++)
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++) {
                    if ((i + 2 * j) % every != 0) continue;
                    double sum = 0, mag = 0;
                    for (int p = 0; p < k; p++) {
                        double av = ta ? a[bi * sa + p * m + i] : a[bi * sa + i * k + p];
                        double bv = tb ? b[bi * sb + j * k + p] : b[bi * sb + p * n + j];
                        sum += av * bv;
                        mag += Math.abs(av * bv);
                    }
                    double old = c0[bi * sc + i * n + j];
                    double want = alpha * sum + beta * old;
                    double tol = 1e-5 * Math.sqrt(k) * (Math.abs(alpha) * mag + Math.abs(beta * old)) + 1e-30;
                    float got = c[bi * sc + i * n + j];
                    if (!(Math.abs(got - want) <= tol))
                        throw new AssertionError(String.format(
                                "vector=%s transA=%s transB=%s batch=%d m=%d n=%d k=%d alpha=%s beta=%s: "
                                        + "C[%d][%d][%d] = %s, want %s (tolerance %s)",
                                vector, ta, tb, batch, m, n, k, alpha, beta, bi, i, j, got, want, tol));
                }
    }

    private static float[] random(SplittableRandom rng, int size) {
        float[] x = new float[size];
        for (int i = 0; i < size; i++) x[i] = (float) (rng.nextDouble() * 2 - 1);
        return x;
    }
}
