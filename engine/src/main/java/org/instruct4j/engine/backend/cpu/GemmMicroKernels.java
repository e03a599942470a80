package org.instruct4j.engine.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The GEMM micro-kernels: a tile of rows x (2 vectors) of op(A) op(B) accumulated over kc steps in registers, each
 * step one broadcast of A per row and two vector loads of a packed B micro-panel (NR = 2 lanes wide), written raw
 * to {@code out} at oi with row stride ldo (a scratch tile or C itself; the scaling into C is done by the caller:
 * C2 gives up inlining, and then boxes the vectors, when a kernel also carries the alpha/beta arithmetic).
 *
 * <p>Which height fits depends on the registers: 6 rows hold 12 accumulators plus 2 B vectors and a broadcast, 15
 * registers, which the 32 of AVX-512 take easily; on AVX2's 16 C2 spills accumulators in the loop, and 4 rows (8
 * accumulators) ran 1.5-2.5 times as fast there (2-core AMD EPYC, Zen 3, 8 lanes: 60-84 against 34-41 GFLOP/s
 * for one thread on packed panels, kc = 256). {@link CpuGemmVector#MR} picks the height by the vector width.
 *
 * <p>Every C element gets the same fma in increasing k whatever the tile height, so the results do not depend on
 * it. Each height comes three times: A transposed in place (row r at step p is {@code ap[ai + p * ks + r]}: a weight
 * gradient's X^T, whose rows of one step are adjacent floats), A in place row-major ({@code ap[ai + r * rs + p]}) and
 * A packed (row r at step p is {@code ap[ai + p * rows + r]}). The last two index A by p plus a constant, so C2 checks
 * their loads' bounds once a loop; with the stride ks a variable it checks every step's.
 * The loops and stores are written out in each kernel on purpose: vectors handed to a shared method are boxed by C2.
 */
final class GemmMicroKernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length(), NR = 2 * L;

    private GemmMicroKernels() {}

    static void rows6Packed(int kc, float[] ap, int ai, float[] bp, int bi, float[] out, int oi, int ldo) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
        FloatVector c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
        for (int p = 0; p < kc; p++) {
            int a = ai + p * 6, b = bi + p * NR;
            FloatVector b0 = FloatVector.fromArray(S, bp, b), b1 = FloatVector.fromArray(S, bp, b + L);
            FloatVector x = FloatVector.broadcast(S, ap[a]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, ap[a + 1]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, ap[a + 2]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, ap[a + 3]);
            c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, ap[a + 4]);
            c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, ap[a + 5]);
            c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
        }
        int o1 = oi + ldo, o2 = o1 + ldo, o3 = o2 + ldo, o4 = o3 + ldo, o5 = o4 + ldo;
        c00.intoArray(out, oi); c01.intoArray(out, oi + L);
        c10.intoArray(out, o1); c11.intoArray(out, o1 + L);
        c20.intoArray(out, o2); c21.intoArray(out, o2 + L);
        c30.intoArray(out, o3); c31.intoArray(out, o3 + L);
        c40.intoArray(out, o4); c41.intoArray(out, o4 + L);
        c50.intoArray(out, o5); c51.intoArray(out, o5 + L);
    }

    static void rows4Packed(int kc, float[] ap, int ai, float[] bp, int bi, float[] out, int oi, int ldo) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c10 = c00, c11 = c00;
        FloatVector c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        for (int p = 0; p < kc; p++) {
            int a = ai + p * 4, b = bi + p * NR;
            FloatVector b0 = FloatVector.fromArray(S, bp, b), b1 = FloatVector.fromArray(S, bp, b + L);
            FloatVector x = FloatVector.broadcast(S, ap[a]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, ap[a + 1]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, ap[a + 2]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, ap[a + 3]);
            c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
        }
        int o1 = oi + ldo, o2 = o1 + ldo, o3 = o2 + ldo;
        c00.intoArray(out, oi); c01.intoArray(out, oi + L);
        c10.intoArray(out, o1); c11.intoArray(out, o1 + L);
        c20.intoArray(out, o2); c21.intoArray(out, o2 + L);
        c30.intoArray(out, o3); c31.intoArray(out, o3 + L);
    }

    static void rows4RowMajor(int kc, float[] ap, int ai, int rs, float[] bp, int bi, float[] out, int oi, int ldo) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c10 = c00, c11 = c00;
        FloatVector c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        int a1 = ai + rs, a2 = a1 + rs, a3 = a2 + rs;
        for (int p = 0; p < kc; p++) {
            int b = bi + p * NR;
            FloatVector b0 = FloatVector.fromArray(S, bp, b), b1 = FloatVector.fromArray(S, bp, b + L);
            FloatVector x = FloatVector.broadcast(S, ap[ai + p]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, ap[a1 + p]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, ap[a2 + p]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, ap[a3 + p]);
            c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
        }
        int o1 = oi + ldo, o2 = o1 + ldo, o3 = o2 + ldo;
        c00.intoArray(out, oi); c01.intoArray(out, oi + L);
        c10.intoArray(out, o1); c11.intoArray(out, o1 + L);
        c20.intoArray(out, o2); c21.intoArray(out, o2 + L);
        c30.intoArray(out, o3); c31.intoArray(out, o3 + L);
    }

    static void rows6RowMajor(int kc, float[] ap, int ai, int rs, float[] bp, int bi, float[] out, int oi, int ldo) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
        FloatVector c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
        int a1 = ai + rs, a2 = a1 + rs, a3 = a2 + rs, a4 = a3 + rs, a5 = a4 + rs;
        for (int p = 0; p < kc; p++) {
            int b = bi + p * NR;
            FloatVector b0 = FloatVector.fromArray(S, bp, b), b1 = FloatVector.fromArray(S, bp, b + L);
            FloatVector x = FloatVector.broadcast(S, ap[ai + p]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, ap[a1 + p]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, ap[a2 + p]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, ap[a3 + p]);
            c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, ap[a4 + p]);
            c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, ap[a5 + p]);
            c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
        }
        int o1 = oi + ldo, o2 = o1 + ldo, o3 = o2 + ldo, o4 = o3 + ldo, o5 = o4 + ldo;
        c00.intoArray(out, oi); c01.intoArray(out, oi + L);
        c10.intoArray(out, o1); c11.intoArray(out, o1 + L);
        c20.intoArray(out, o2); c21.intoArray(out, o2 + L);
        c30.intoArray(out, o3); c31.intoArray(out, o3 + L);
        c40.intoArray(out, o4); c41.intoArray(out, o4 + L);
        c50.intoArray(out, o5); c51.intoArray(out, o5 + L);
    }

    static void rows4Transposed(int kc, float[] ap, int ai, int ks, float[] bp, int bi, float[] out, int oi, int ldo) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c10 = c00, c11 = c00;
        FloatVector c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        for (int p = 0; p < kc; p++) {
            int a = ai + p * ks, b = bi + p * NR;
            FloatVector b0 = FloatVector.fromArray(S, bp, b), b1 = FloatVector.fromArray(S, bp, b + L);
            FloatVector x = FloatVector.broadcast(S, ap[a]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, ap[a + 1]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, ap[a + 2]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, ap[a + 3]);
            c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
        }
        int o1 = oi + ldo, o2 = o1 + ldo, o3 = o2 + ldo;
        c00.intoArray(out, oi); c01.intoArray(out, oi + L);
        c10.intoArray(out, o1); c11.intoArray(out, o1 + L);
        c20.intoArray(out, o2); c21.intoArray(out, o2 + L);
        c30.intoArray(out, o3); c31.intoArray(out, o3 + L);
    }

    static void rows6Transposed(int kc, float[] ap, int ai, int ks, float[] bp, int bi, float[] out, int oi, int ldo) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
        FloatVector c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
        for (int p = 0; p < kc; p++) {
            int a = ai + p * ks, b = bi + p * NR;
            FloatVector b0 = FloatVector.fromArray(S, bp, b), b1 = FloatVector.fromArray(S, bp, b + L);
            FloatVector x = FloatVector.broadcast(S, ap[a]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, ap[a + 1]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, ap[a + 2]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, ap[a + 3]);
            c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, ap[a + 4]);
            c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, ap[a + 5]);
            c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
        }
        int o1 = oi + ldo, o2 = o1 + ldo, o3 = o2 + ldo, o4 = o3 + ldo, o5 = o4 + ldo;
        c00.intoArray(out, oi); c01.intoArray(out, oi + L);
        c10.intoArray(out, o1); c11.intoArray(out, o1 + L);
        c20.intoArray(out, o2); c21.intoArray(out, o2 + L);
        c30.intoArray(out, o3); c31.intoArray(out, o3 + L);
        c40.intoArray(out, o4); c41.intoArray(out, o4 + L);
        c50.intoArray(out, o5); c51.intoArray(out, o5 + L);
    }
}
