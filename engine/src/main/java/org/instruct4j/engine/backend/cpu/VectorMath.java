package org.instruct4j.engine.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Row primitives on the Vector API for the hot kernels (layernorm, softmax, cross-entropy, GELU, attention, bias
 * gradients).
 * Only touched when {@link VectorSupport#AVAILABLE}; the kernel classes reach it through {@link RowMath}, which
 * calls {@link PlainMath} otherwise.
 * Each call works on one row in a fixed lane order, so results never depend on the thread count.
 *
 * <p>Determinism also rules out two Vector API shortcuts whose results change when the JIT compiles the code:
 * {@code reduceLanes(ADD)} (its lane order is unspecified: the compiled form and the interpreted one differ) and the
 * transcendental {@code lanewise(EXP / TANH)} (an intrinsic when compiled, Math.exp when not). Lane sums go
 * through {@link #sumLanes} and exp is our own polynomial made of exact IEEE adds, multiplies and fmas.
 *
 * <p>A vector carried around a loop (an accumulator) is the argument of the op that updates it, never its receiver:
 * {@code acc = v.add(acc)}, not {@code acc.add(v)}. C2 types a loop's vector variable as FloatVector rather than
 * the machine's vector class, so a call on it is inlined only through the type profile of the JDK method it calls;
 * when that method was compiled before it had one (at start-up, with the second core's compiler queue long, HotSpot
 * compiles without profiling), the call stays virtual and boxes every vector for the rest of the run. Seven runs in
 * forty of the demo's pretraining step did so in {@link #max} (2-core Zen 5): 32 MB allocated a step, a collection
 * every 16 steps. With a freshly loaded vector as the receiver every type is exact and no profile is needed; add and max
 * are commutative in IEEE arithmetic, so the bits are the same.
 *
 * <p>The same bits on AVX-512, AVX2 and NEON. A row's sum keeps 16 running lanes (lane v adds the elements v, v + 16,
 * v + 32, ... in order) and adds them in one fixed tree at the end: one 16-float vector on AVX-512, two 8-float
 * vectors on AVX2 (lanes 0-7 and 8-15), whose add is the tree's first level, four 4-float vectors on ARM's NEON (or
 * an x86 JVM run with -XX:MaxVectorSize=16), whose adds are its first two ({@link #fold}). A row's ragged end goes
 * through the same vector formula under a mask, not a scalar one, and scalar code that finishes what a vector loop
 * started computes each element as the vector does (an fma where the vector fmas). So every function here gives the
 * same bits with any of these widths, and with the GEMM, whose every element is one fma chain in k order, so does
 * the engine: the demo trains the same models on all three kinds of machine. {@link PlainMath} writes the same order
 * in plain Java, for a JVM without the Vector API. Wider vectors (ARM's SVE beyond 512 bits) keep one vector of their
 * own and round sums their own way.
 */
final class VectorMath {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Vectors that hold a sum's 16 running lanes: 1 (16 lanes), 2 (8) or 4 (4); 1 where a vector is wider. */
    private static final int PARTS = Math.max(1, 16 / L);
    /** Elements a sum's loop takes a step: its 16 running lanes, or one vector where that is wider. */
    private static final int STEP = PARTS * L;
    private static final float SQRT_2_OVER_PI = PlainMath.SQRT_2_OVER_PI, GELU_C = PlainMath.GELU_C;

    private VectorMath() {}

    /** Shuffles pairing lane i with lane i ^ w, for w = L/2, L/4, ..., 1. */
    private static final VectorShuffle<Float>[] PAIRS = pairs();

    @SuppressWarnings("unchecked")
    private static VectorShuffle<Float>[] pairs() {
        int steps = Integer.numberOfTrailingZeros(L);
        VectorShuffle<Float>[] p = new VectorShuffle[steps];
        for (int k = 0, w = L / 2; k < steps; k++, w /= 2) {
            int width = w;
            p[k] = VectorShuffle.fromOp(S, i -> i ^ width);
        }
        return p;
    }

    /**
     * The 16 running lanes held in PARTS vectors (p0 lanes 0-3, p1 4-7, p2 8-11, p3 12-15 with 4 lanes; p0 and p1
     * halves with 8) added down to one vector as the 16-lane tree's first levels add them: lane i with lane i + 8,
     * then with i + 4. {@link #sumLanes} does the rest.
     */
    private static FloatVector fold(FloatVector p0, FloatVector p1, FloatVector p2, FloatVector p3) {
        if (PARTS == 4) return p2.add(p0).add(p3.add(p1));
        return PARTS == 2 ? p1.add(p0) : p0;
    }

    /**
     * The lanes of v added in a fixed tree: lane i with lane i + L/2, then i + L/4, ... The same IEEE adds in
     * the same order whether the JIT has compiled this or not. Unrolled on the constant L (up to the Vector API's
     * widest, 64 floats) rather than a loop, which would carry v as a vector whose class the compiler does not know
     * (see the class comment). PAIRS[PAIRS.length - j] pairs lanes 2^(j-1) apart.
     */
    static float sumLanes(FloatVector v) {
        if (L >= 64) v = v.add(v.rearrange(PAIRS[PAIRS.length - 6]));
        if (L >= 32) v = v.add(v.rearrange(PAIRS[PAIRS.length - 5]));
        if (L >= 16) v = v.add(v.rearrange(PAIRS[PAIRS.length - 4]));
        if (L >= 8) v = v.add(v.rearrange(PAIRS[PAIRS.length - 3]));
        if (L >= 4) v = v.add(v.rearrange(PAIRS[PAIRS.length - 2]));
        v = v.add(v.rearrange(PAIRS[PAIRS.length - 1]));
        return v.lane(0);
    }

    private static final float ROUNDING = PlainMath.ROUNDING;
    private static final int ROUNDING_BITS = Float.floatToRawIntBits(ROUNDING);

    /**
     * e^x, Cephes-style: x = n ln2 + r with |r| <= ln2 / 2, a degree-6 polynomial for e^r, and 2^n put in the
     * exponent bits. Within 2 ulp of the true value where e^x is a normal float; 0 below that range, infinity above, NaN for NaN.
     *
     * <p>n and its exponent bits come from adding {@link #ROUNDING} (which leaves an integer in the low mantissa bits)
     * rather than from float-int conversions, whose Java semantics (saturation, NaN to 0) cost fix-up instructions:
     * 10% faster at 8 lanes, 22% at 16 (one thread, quiet Zen 5), and the same bits as the conversions gave for
     * every float in [-100, 100] (all 2.24 billion, at both widths).
     *
     * <p>x is not clamped to [-87.3, 88.7] first: outside it the last two blends give 0 or infinity whatever the
     * arithmetic made of it, and Java's max and min (NaN and signed-zero semantics) cost several instructions each
     * without AVX-512. Without the clamp exp ran 1.46x as fast at 8 lanes and 1.3x at 16 (rows of 192, one thread,
     * Zen 5), with the same bits for every one of the 2^32 floats at both widths (NaN for NaN).
     */
    static FloatVector exp(FloatVector x) {
        FloatVector fx = x.mul(PlainMath.LOG2_E).add(0.5f);
        FloatVector n = fx.add(ROUNDING).sub(ROUNDING);                                   // fx to the nearest integer
        n = n.lanewise(VectorOperators.SUB, 1f, n.compare(VectorOperators.GT, fx));   // then down: floor(fx)
        FloatVector r = n.fma(FloatVector.broadcast(S, -PlainMath.LN2_HIGH), x);
        r = n.fma(FloatVector.broadcast(S, -PlainMath.LN2_LOW), r);
        FloatVector p = FloatVector.broadcast(S, PlainMath.P5);
        p = p.fma(r, FloatVector.broadcast(S, PlainMath.P4));
        p = p.fma(r, FloatVector.broadcast(S, PlainMath.P3));
        p = p.fma(r, FloatVector.broadcast(S, PlainMath.P2));
        p = p.fma(r, FloatVector.broadcast(S, PlainMath.P1));
        p = p.fma(r, FloatVector.broadcast(S, PlainMath.P0));
        FloatVector y = p.mul(r).fma(r, r).add(1f);
        // n + ROUNDING holds n in its low bits over ROUNDING's own: 2^n's exponent field without a conversion.
        IntVector bits = ((IntVector) n.add(ROUNDING).reinterpretAsInts()).sub(ROUNDING_BITS - 127).lanewise(VectorOperators.LSHL, 23);
        FloatVector e = y.mul(bits.reinterpretAsFloats());
        // Outside the range the answer is 0 or infinity, as Math.exp gives (a masked -inf logit weighs exactly 0).
        e = e.blend(0f, x.compare(VectorOperators.LT, PlainMath.EXP_MIN));
        return e.blend(Float.POSITIVE_INFINITY, x.compare(VectorOperators.GT, PlainMath.EXP_MAX));
    }

    /** tanh(u) = 1 - 2 / (e^(2u) + 1): saturates to +-1 through exp's 0 and infinity outside its range. */
    static FloatVector tanh(FloatVector u) {
        FloatVector e = exp(u.mul(2f));
        return FloatVector.broadcast(S, 1f).sub(FloatVector.broadcast(S, 2f).div(e.add(1f)));
    }

    /** The dropout hash runs on 64-bit lanes; its floats use a species with as many lanes. */
    private static final VectorSpecies<Long> LS = LongVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Float> HALF = VectorSpecies.of(float.class,
            VectorShape.forBitSize(LS.vectorBitSize() / 2));
    private static final LongVector LANE_INDEX = LongVector.zero(LS).addIndex(1);

    /**
     * out[i] = keep(i) ? x[i] * keepScale : 0 for i in [from, to): {@link CpuElementwise#keep}'s SplitMix64 hash for
     * a lane of consecutive i at a time. The hash is integer arithmetic and its top 24 bits convert to float
     * exactly, so every element gets the same answer as the scalar code (a scalar loop of two 64-bit multiplies
     * per element was 7% of the demo model's training step).
     */
    static void dropout(float[] x, float[] out, int from, int to, float p, float keepScale, long seed) {
        int lanes = LS.length(), i = from;
        for (int bound = to - lanes; i <= bound; i += lanes) {
            LongVector z = LANE_INDEX.add(i + 1L).mul(0x9E3779B97F4A7C15L).add(seed);
            z = z.lanewise(VectorOperators.XOR, z.lanewise(VectorOperators.LSHR, 30)).mul(0xBF58476D1CE4E5B9L);
            z = z.lanewise(VectorOperators.XOR, z.lanewise(VectorOperators.LSHR, 27)).mul(0x94D049BB133111EBL);
            z = z.lanewise(VectorOperators.XOR, z.lanewise(VectorOperators.LSHR, 31));
            FloatVector u = ((FloatVector) z.lanewise(VectorOperators.LSHR, 40)
                    .convertShape(VectorOperators.L2F, HALF, 0)).mul(0x1.0p-24f);
            FloatVector.fromArray(HALF, x, i).mul(keepScale)
                    .blend(0f, u.compare(VectorOperators.LT, p)).intoArray(out, i);
        }
        for (; i < to; i++) out[i] = CpuElementwise.keep(seed, i, p) ? x[i] * keepScale : 0f;
    }

    /** sum of a[ao + i] * b[bo + i] for i in [0, n), in 16 running lanes (see the class comment). */
    static float dot(float[] a, int ao, float[] b, int bo, int n) {
        FloatVector p0 = FloatVector.zero(S), p1 = p0, p2 = p0, p3 = p0;
        int i = 0;
        for (; i <= n - STEP; i += STEP) {
            p0 = FloatVector.fromArray(S, a, ao + i).fma(FloatVector.fromArray(S, b, bo + i), p0);
            if (PARTS >= 2) p1 = FloatVector.fromArray(S, a, ao + i + L).fma(FloatVector.fromArray(S, b, bo + i + L), p1);
            if (PARTS == 4) {
                p2 = FloatVector.fromArray(S, a, ao + i + 2 * L).fma(FloatVector.fromArray(S, b, bo + i + 2 * L), p2);
                p3 = FloatVector.fromArray(S, a, ao + i + 3 * L).fma(FloatVector.fromArray(S, b, bo + i + 3 * L), p3);
            }
        }
        if (i < n) {   // the lanes from n on add a product of zeros: exactly nothing
            VectorMask<Float> m = S.indexInRange(i, n);
            p0 = FloatVector.fromArray(S, a, ao + i, m).fma(FloatVector.fromArray(S, b, bo + i, m), p0);
            if (PARTS >= 2 && i + L < n) {
                VectorMask<Float> m1 = S.indexInRange(i + L, n);
                p1 = FloatVector.fromArray(S, a, ao + i + L, m1).fma(FloatVector.fromArray(S, b, bo + i + L, m1), p1);
            }
            if (PARTS == 4 && i + 2 * L < n) {
                VectorMask<Float> m2 = S.indexInRange(i + 2 * L, n);
                p2 = FloatVector.fromArray(S, a, ao + i + 2 * L, m2).fma(FloatVector.fromArray(S, b, bo + i + 2 * L, m2), p2);
            }
            if (PARTS == 4 && i + 3 * L < n) {
                VectorMask<Float> m3 = S.indexInRange(i + 3 * L, n);
                p3 = FloatVector.fromArray(S, a, ao + i + 3 * L, m3).fma(FloatVector.fromArray(S, b, bo + i + 3 * L, m3), p3);
            }
        }
        return sumLanes(fold(p0, p1, p2, p3));
    }

    /** y[yo + i] += alpha * x[xo + i]. */
    static void axpy(float alpha, float[] x, int xo, float[] y, int yo, int n) {
        FloatVector va = FloatVector.broadcast(S, alpha);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += L)
            FloatVector.fromArray(S, x, xo + i).fma(va, FloatVector.fromArray(S, y, yo + i)).intoArray(y, yo + i);
        for (; i < n; i++) y[yo + i] = Math.fma(x[xo + i], alpha, y[yo + i]);   // as the vector lanes: the same bits at any width
    }

    /**
     * The largest of x[o + i] for i in [0, n). Four running maxima: one chain of max waits on each step's
     * latency (a row's max took as long as its exponentials). Unlike a sum, max gives the same value in any
     * grouping, so this is the value a single chain gives.
     */
    static float max(float[] x, int o, int n) {
        FloatVector acc = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY), acc1 = acc, acc2 = acc, acc3 = acc;
        int i = 0;
        for (int bound = n - 4 * L; i <= bound; i += 4 * L) {
            acc = FloatVector.fromArray(S, x, o + i).max(acc);
            acc1 = FloatVector.fromArray(S, x, o + i + L).max(acc1);
            acc2 = FloatVector.fromArray(S, x, o + i + 2 * L).max(acc2);
            acc3 = FloatVector.fromArray(S, x, o + i + 3 * L).max(acc3);
        }
        acc = acc.max(acc1).max(acc2.max(acc3));
        for (int bound = S.loopBound(n); i < bound; i += L) acc = FloatVector.fromArray(S, x, o + i).max(acc);
        float m = acc.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) m = Math.max(m, x[o + i]);
        return m;
    }

    /** The sum of x[o + i] for i in [0, n), in 16 running lanes (see the class comment). */
    static float sum(float[] x, int o, int n) {
        FloatVector p0 = FloatVector.zero(S), p1 = p0, p2 = p0, p3 = p0;
        int i = 0;
        for (; i <= n - STEP; i += STEP) {
            p0 = FloatVector.fromArray(S, x, o + i).add(p0);
            if (PARTS >= 2) p1 = FloatVector.fromArray(S, x, o + i + L).add(p1);
            if (PARTS == 4) {
                p2 = FloatVector.fromArray(S, x, o + i + 2 * L).add(p2);
                p3 = FloatVector.fromArray(S, x, o + i + 3 * L).add(p3);
            }
        }
        if (i < n) {   // the lanes from n on add exactly 0
            p0 = FloatVector.fromArray(S, x, o + i, S.indexInRange(i, n)).add(p0);
            if (PARTS >= 2 && i + L < n) p1 = FloatVector.fromArray(S, x, o + i + L, S.indexInRange(i + L, n)).add(p1);
            if (PARTS == 4 && i + 2 * L < n) p2 = FloatVector.fromArray(S, x, o + i + 2 * L, S.indexInRange(i + 2 * L, n)).add(p2);
            if (PARTS == 4 && i + 3 * L < n) p3 = FloatVector.fromArray(S, x, o + i + 3 * L, S.indexInRange(i + 3 * L, n)).add(p3);
        }
        return sumLanes(fold(p0, p1, p2, p3));
    }

    /** Rows that {@link #expSum} is asked for without an output write their exponentials here. */
    private static final ThreadLocal<float[]> EXP_SCRATCH = ThreadLocal.withInitial(() -> new float[0]);

    /**
     * sum of exp(x[o + i] - shift); writes the exponentials to out[oo + i] when out is not null. Two passes: the
     * exponentials, then their {@link #sum} from L1. Fused, the 16 running lanes put two exps in an AVX2 loop's body,
     * past C2's inlining budget (causal attention rows 1.6x slower than with one).
     */
    static float expSum(float[] x, int o, float shift, float[] out, int oo, int n) {
        if (out == null) {
            out = EXP_SCRATCH.get();
            if (out.length < n) EXP_SCRATCH.set(out = new float[n]);
            oo = 0;
        }
        scaledExp(x, o, shift, 1f, out, oo, n);
        return sum(out, oo, n);
    }

    /**
     * out[oo + i] = factor * exp(x[o + i] - shift); out may be x. Every element goes through the vector formula, the
     * ragged end under a mask (a scalar Math.exp would round it otherwise, at a place that depends on the width), in
     * the loop's last step: one call of exp, inlined. A second call, for the end, in a method of its own was not
     * inlined on AVX-512 (exp's compiled code is too large for a cold call), and its vectors were boxed, 192 bytes a
     * row; written in this method, C2 ran out of inlining budget (rows 2.5x slower).
     */
    static void scaledExp(float[] x, int o, float shift, float factor, float[] out, int oo, int n) {
        FloatVector vs = FloatVector.broadcast(S, shift), vf = FloatVector.broadcast(S, factor);
        for (int i = 0; i < n; i += L) {
            boolean whole = i <= n - L;
            FloatVector v = whole ? FloatVector.fromArray(S, x, o + i) : FloatVector.fromArray(S, x, o + i, S.indexInRange(i, n));
            FloatVector e = exp(v.sub(vs)).mul(vf);
            if (whole) e.intoArray(out, oo + i);
            else e.intoArray(out, oo + i, S.indexInRange(i, n));
        }
    }

    /** x[o + i] *= factor. */
    static void scale(float[] x, int o, float factor, int n) {
        FloatVector vf = FloatVector.broadcast(S, factor);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += L) FloatVector.fromArray(S, x, o + i).mul(vf).intoArray(x, o + i);
        for (; i < n; i++) x[o + i] *= factor;
    }

    // ---- layernorm ------------------------------------------------------------------------------------------

    /** One row r at offset o: out = (x - mean) * rstd * w + b; saves mean[r] and rstd[r]. */
    static void layerNormRow(float[] x, float[] w, float[] b, float[] out, int o, int cols, float eps, float[] mean, float[] rstd, int r) {
        float mu = sum(x, o, cols) / cols;
        FloatVector vmu = FloatVector.broadcast(S, mu), p0 = FloatVector.zero(S), p1 = p0, p2 = p0, p3 = p0;
        int i = 0;
        for (; i <= cols - STEP; i += STEP) {
            FloatVector d = FloatVector.fromArray(S, x, o + i).sub(vmu);
            p0 = d.fma(d, p0);
            if (PARTS >= 2) {
                FloatVector d1 = FloatVector.fromArray(S, x, o + i + L).sub(vmu);
                p1 = d1.fma(d1, p1);
            }
            if (PARTS == 4) {
                FloatVector d2 = FloatVector.fromArray(S, x, o + i + 2 * L).sub(vmu);
                FloatVector d3 = FloatVector.fromArray(S, x, o + i + 3 * L).sub(vmu);
                p2 = d2.fma(d2, p2);
                p3 = d3.fma(d3, p3);
            }
        }
        if (i < cols) {   // the lanes from cols on add exactly 0
            VectorMask<Float> m = S.indexInRange(i, cols);
            FloatVector d = FloatVector.zero(S).blend(FloatVector.fromArray(S, x, o + i, m).sub(vmu), m);
            p0 = d.fma(d, p0);
            if (PARTS >= 2 && i + L < cols) {
                VectorMask<Float> m1 = S.indexInRange(i + L, cols);
                FloatVector d1 = FloatVector.zero(S).blend(FloatVector.fromArray(S, x, o + i + L, m1).sub(vmu), m1);
                p1 = d1.fma(d1, p1);
            }
            if (PARTS == 4 && i + 2 * L < cols) {
                VectorMask<Float> m2 = S.indexInRange(i + 2 * L, cols);
                FloatVector d2 = FloatVector.zero(S).blend(FloatVector.fromArray(S, x, o + i + 2 * L, m2).sub(vmu), m2);
                p2 = d2.fma(d2, p2);
            }
            if (PARTS == 4 && i + 3 * L < cols) {
                VectorMask<Float> m3 = S.indexInRange(i + 3 * L, cols);
                FloatVector d3 = FloatVector.zero(S).blend(FloatVector.fromArray(S, x, o + i + 3 * L, m3).sub(vmu), m3);
                p3 = d3.fma(d3, p3);
            }
        }
        float var = sumLanes(fold(p0, p1, p2, p3));
        float rs = (float) (1.0 / Math.sqrt(var / cols + eps));
        FloatVector vrs = FloatVector.broadcast(S, rs);
        i = 0;
        for (int bound = S.loopBound(cols); i < bound; i += L)
            FloatVector.fromArray(S, x, o + i).sub(vmu).mul(vrs)
                    .fma(FloatVector.fromArray(S, w, i), FloatVector.fromArray(S, b, i)).intoArray(out, o + i);
        for (; i < cols; i++) out[o + i] = Math.fma((x[o + i] - mu) * rs, w[i], b[i]);   // as the vector lanes
        mean[r] = mu;
        rstd[r] = rs;
    }

    /** One row of dx = rstd * (g - mean(g) - xhat * mean(g * xhat)) with g = dout * w. */
    static void layerNormBackwardRow(float[] dout, float[] x, float[] w, float mu, float rs, float[] dx, int o, int cols) {
        FloatVector vmu = FloatVector.broadcast(S, mu), vrs = FloatVector.broadcast(S, rs);
        // Two sums, of g and of g * xhat, each in 16 running lanes: g0-g3 and gx0-gx3 are their parts.
        FloatVector g0 = FloatVector.zero(S), g1 = g0, g2 = g0, g3 = g0, gx0 = g0, gx1 = g0, gx2 = g0, gx3 = g0;
        int i = 0;
        for (; i <= cols - STEP; i += STEP) {
            FloatVector g = FloatVector.fromArray(S, dout, o + i).mul(FloatVector.fromArray(S, w, i));
            g0 = g.add(g0);
            gx0 = g.fma(FloatVector.fromArray(S, x, o + i).sub(vmu).mul(vrs), gx0);
            if (PARTS >= 2) {
                FloatVector h = FloatVector.fromArray(S, dout, o + i + L).mul(FloatVector.fromArray(S, w, i + L));
                g1 = h.add(g1);
                gx1 = h.fma(FloatVector.fromArray(S, x, o + i + L).sub(vmu).mul(vrs), gx1);
            }
            if (PARTS == 4) {
                FloatVector h2 = FloatVector.fromArray(S, dout, o + i + 2 * L).mul(FloatVector.fromArray(S, w, i + 2 * L));
                FloatVector h3 = FloatVector.fromArray(S, dout, o + i + 3 * L).mul(FloatVector.fromArray(S, w, i + 3 * L));
                g2 = h2.add(g2);
                g3 = h3.add(g3);
                gx2 = h2.fma(FloatVector.fromArray(S, x, o + i + 2 * L).sub(vmu).mul(vrs), gx2);
                gx3 = h3.fma(FloatVector.fromArray(S, x, o + i + 3 * L).sub(vmu).mul(vrs), gx3);
            }
        }
        if (i < cols) {
            // The ragged end under a mask: g is 0 in the lanes from cols on, so they add exactly 0 to both sums.
            VectorMask<Float> m = S.indexInRange(i, cols);
            FloatVector g = FloatVector.fromArray(S, dout, o + i, m).mul(FloatVector.fromArray(S, w, i, m));
            g0 = g.add(g0);
            gx0 = g.fma(FloatVector.fromArray(S, x, o + i, m).sub(vmu).mul(vrs), gx0);
            if (PARTS >= 2 && i + L < cols) {
                VectorMask<Float> m1 = S.indexInRange(i + L, cols);
                FloatVector h = FloatVector.fromArray(S, dout, o + i + L, m1).mul(FloatVector.fromArray(S, w, i + L, m1));
                g1 = h.add(g1);
                gx1 = h.fma(FloatVector.fromArray(S, x, o + i + L, m1).sub(vmu).mul(vrs), gx1);
            }
            if (PARTS == 4 && i + 2 * L < cols) {
                VectorMask<Float> m2 = S.indexInRange(i + 2 * L, cols);
                FloatVector h = FloatVector.fromArray(S, dout, o + i + 2 * L, m2).mul(FloatVector.fromArray(S, w, i + 2 * L, m2));
                g2 = h.add(g2);
                gx2 = h.fma(FloatVector.fromArray(S, x, o + i + 2 * L, m2).sub(vmu).mul(vrs), gx2);
            }
            if (PARTS == 4 && i + 3 * L < cols) {
                VectorMask<Float> m3 = S.indexInRange(i + 3 * L, cols);
                FloatVector h = FloatVector.fromArray(S, dout, o + i + 3 * L, m3).mul(FloatVector.fromArray(S, w, i + 3 * L, m3));
                g3 = h.add(g3);
                gx3 = h.fma(FloatVector.fromArray(S, x, o + i + 3 * L, m3).sub(vmu).mul(vrs), gx3);
            }
        }
        float sumG = sumLanes(fold(g0, g1, g2, g3)), sumGx = sumLanes(fold(gx0, gx1, gx2, gx3));
        float mg = sumG / cols, mgx = sumGx / cols;
        FloatVector vmg = FloatVector.broadcast(S, mg), vmgx = FloatVector.broadcast(S, mgx);
        i = 0;
        for (int bound = S.loopBound(cols); i < bound; i += L) {
            FloatVector g = FloatVector.fromArray(S, dout, o + i).mul(FloatVector.fromArray(S, w, i));
            FloatVector xhat = FloatVector.fromArray(S, x, o + i).sub(vmu).mul(vrs);
            g.sub(vmg).sub(xhat.mul(vmgx)).mul(vrs).intoArray(dx, o + i);
        }
        for (; i < cols; i++) {   // the vector lanes' operations in their order
            float xhat = (x[o + i] - mu) * rs;
            dx[o + i] = (dout[o + i] * w[i] - mg - xhat * mgx) * rs;
        }
    }

    /**
     * dw[c] = sum over rows of dout * xhat and db[c] = sum of dout, for the columns [from, to) of a rows x cols
     * matrix, rows in increasing order. The sums stay in registers down the rows: written back and read again each
     * row, as one row at a time did, every add waited on a store. Every column, in a vector lane or in the scalar
     * loop after them, gets dw = fma(dout, xhat, dw) and db += dout: so the bits depend neither on how the columns
     * are grouped nor on the width.
     */
    static void layerNormWeightGrads(float[] dout, float[] x, float[] mean, float[] rstd, int rows, int cols,
                                     float[] dw, float[] db, int from, int to) {
        int c = from, vectorEnd = from + S.loopBound(to - from);
        for (; c + 2 * L <= vectorEnd; c += 2 * L) layerNormWeightGradPair(dout, x, mean, rstd, rows, cols, dw, db, c);
        for (; c < vectorEnd; c += L) {
            FloatVector sw = FloatVector.zero(S), sb = FloatVector.zero(S);
            for (int r = 0, o = c; r < rows; r++, o += cols) {
                FloatVector d = FloatVector.fromArray(S, dout, o);
                FloatVector xhat = FloatVector.fromArray(S, x, o).sub(mean[r]).mul(rstd[r]);
                sw = d.fma(xhat, sw);
                sb = d.add(sb);
            }
            sw.intoArray(dw, c);
            sb.intoArray(db, c);
        }
        for (; c < to; c++) {
            float sw = 0f, sb = 0f;
            for (int r = 0, o = c; r < rows; r++, o += cols) {
                float d = dout[o];
                sw = Math.fma(d, (x[o] - mean[r]) * rstd[r], sw);   // as the vector lanes: the same bits at any width
                sb += d;
            }
            dw[c] = sw;
            db[c] = sb;
        }
    }

    /** Two vectors of columns from c: four independent chains, where one vector's two wait on the fma's latency. */
    private static void layerNormWeightGradPair(float[] dout, float[] x, float[] mean, float[] rstd, int rows,
                                                int cols, float[] dw, float[] db, int c) {
        FloatVector sw0 = FloatVector.zero(S), sw1 = sw0, sb0 = sw0, sb1 = sw0;
        for (int r = 0, o = c; r < rows; r++, o += cols) {
            FloatVector mu = FloatVector.broadcast(S, mean[r]), rs = FloatVector.broadcast(S, rstd[r]);
            FloatVector d0 = FloatVector.fromArray(S, dout, o), d1 = FloatVector.fromArray(S, dout, o + L);
            sw0 = d0.fma(FloatVector.fromArray(S, x, o).sub(mu).mul(rs), sw0);
            sw1 = d1.fma(FloatVector.fromArray(S, x, o + L).sub(mu).mul(rs), sw1);
            sb0 = d0.add(sb0);
            sb1 = d1.add(sb1);
        }
        sw0.intoArray(dw, c); sw1.intoArray(dw, c + L);
        sb0.intoArray(db, c); sb1.intoArray(db, c + L);
    }

    /** dx = y * (dy - sum(dy * y)) for one row. */
    static void softmaxBackwardRow(float[] y, float[] dy, float[] dx, int o, int cols) {
        float d = dot(dy, o, y, o, cols);
        FloatVector vd = FloatVector.broadcast(S, d);
        int i = 0;
        for (int bound = S.loopBound(cols); i < bound; i += L)
            FloatVector.fromArray(S, dy, o + i).sub(vd).mul(FloatVector.fromArray(S, y, o + i)).intoArray(dx, o + i);
        for (; i < cols; i++) dx[o + i] = y[o + i] * (dy[o + i] - d);
    }

    /** ds = p * (ds - di) * scale for one row: the attention score gradient, ds holding dout . v on entry. */
    static void attentionScoreGradRow(float[] p, float[] ds, int o, int n, float di, float scale) {
        FloatVector vd = FloatVector.broadcast(S, di), vs = FloatVector.broadcast(S, scale);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += L)
            FloatVector.fromArray(S, p, o + i).mul(FloatVector.fromArray(S, ds, o + i).sub(vd)).mul(vs).intoArray(ds, o + i);
        for (; i < n; i++) ds[o + i] = p[o + i] * (ds[o + i] - di) * scale;
    }

    // ---- GELU -----------------------------------------------------------------------------------------------
    // Every element, the ragged end included, goes through the same vector formula (the end under a mask): a
    // scalar tail would give an element a different rounding depending on where its thread's chunk ends.

    // Whole vectors go through an unmasked loop and the ragged end through the same formula under a mask, in a
    // method of its own: with the masked loads and stores in the hot loop the method outgrew C2's inlining budget
    // (exp and tanh are dozens of vector ops), some Vector API calls stayed real calls and boxed their vectors.

    static void gelu(float[] x, float[] out, int from, int to) {
        int i = from;
        for (; i <= to - L; i += L) geluVector(FloatVector.fromArray(S, x, i)).intoArray(out, i);
        if (i < to) geluTail(x, out, i, to);
    }

    private static void geluTail(float[] x, float[] out, int i, int to) {
        VectorMask<Float> m = S.indexInRange(i, to);
        geluVector(FloatVector.fromArray(S, x, i, m)).intoArray(out, i, m);
    }

    private static FloatVector geluVector(FloatVector v) {
        return v.mul(0.5f).mul(tanh(geluArgument(v)).add(1f));
    }

    /** {@link #gelu}, also writing each element's tanh(u) to t for {@link #geluBackwardFromTanh}. */
    static void geluKeepingTanh(float[] x, float[] out, float[] t, int from, int to) {
        int i = from;
        for (; i <= to - L; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, i), th = tanh(geluArgument(v));
            th.intoArray(t, i);
            v.mul(0.5f).mul(th.add(1f)).intoArray(out, i);
        }
        if (i < to) geluKeepingTanhTail(x, out, t, i, to);
    }

    private static void geluKeepingTanhTail(float[] x, float[] out, float[] t, int i, int to) {
        VectorMask<Float> m = S.indexInRange(i, to);
        FloatVector v = FloatVector.fromArray(S, x, i, m), th = tanh(geluArgument(v));
        th.intoArray(t, i, m);
        v.mul(0.5f).mul(th.add(1f)).intoArray(out, i, m);
    }

    /** u = sqrt(2 / pi) (v + 0.044715 v^3), in the order {@link #geluVector} and {@link #geluLocalGrad} use. */
    private static FloatVector geluArgument(FloatVector v) {
        return v.mul(v).mul(v).mul(GELU_C).add(v).mul(SQRT_2_OVER_PI);
    }

    /** {@link #geluBackward} with each element's tanh(u) read from t (as the forward wrote it): the same bits. */
    static void geluBackwardFromTanh(float[] x, float[] t, float[] dout, float[] dx, int from, int to) {
        int i = from;
        for (; i <= to - L; i += L)
            geluLocalGrad(FloatVector.fromArray(S, x, i), FloatVector.fromArray(S, t, i))
                    .mul(FloatVector.fromArray(S, dout, i)).intoArray(dx, i);
        if (i < to) geluBackwardFromTanhTail(x, t, dout, dx, i, to);
    }

    private static void geluBackwardFromTanhTail(float[] x, float[] t, float[] dout, float[] dx, int i, int to) {
        VectorMask<Float> m = S.indexInRange(i, to);
        geluLocalGrad(FloatVector.fromArray(S, x, i, m), FloatVector.fromArray(S, t, i, m))
                .mul(FloatVector.fromArray(S, dout, i, m)).intoArray(dx, i, m);
    }

    /** gelu'(v) given t = tanh(u). */
    private static FloatVector geluLocalGrad(FloatVector v, FloatVector t) {
        FloatVector du = v.mul(v).mul(3f * GELU_C).add(1f).mul(SQRT_2_OVER_PI);
        return t.add(1f).mul(0.5f).add(v.mul(0.5f).mul(t.mul(t).neg().add(1f)).mul(du));
    }

    static void geluBackward(float[] x, float[] dout, float[] dx, int from, int to) {
        int i = from;
        for (; i <= to - L; i += L)
            geluLocalGrad(FloatVector.fromArray(S, x, i)).mul(FloatVector.fromArray(S, dout, i)).intoArray(dx, i);
        if (i < to) geluBackwardTail(x, dout, dx, i, to);
    }

    private static void geluBackwardTail(float[] x, float[] dout, float[] dx, int i, int to) {
        VectorMask<Float> m = S.indexInRange(i, to);
        geluLocalGrad(FloatVector.fromArray(S, x, i, m)).mul(FloatVector.fromArray(S, dout, i, m)).intoArray(dx, i, m);
    }

    /** gelu'(v). */
    private static FloatVector geluLocalGrad(FloatVector v) { return geluLocalGrad(v, tanh(geluArgument(v))); }
}
