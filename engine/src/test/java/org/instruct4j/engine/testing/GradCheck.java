package org.instruct4j.engine.testing;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.instruct4j.engine.Rng;
import org.instruct4j.engine.Scope;
import org.instruct4j.engine.Tensor;

/**
 * The one gradient check every op test uses (tinygrad's test_ops / llm.c's test_gpt2 spirit).
 *
 * <p>Given an engine op and a plain float64 reference forward written in the test, it
 * <ol>
 *   <li>compares the engine forward with the reference forward,</li>
 *   <li>runs the engine backward of {@code loss = sum(out * R)} for a random R (that is, out.backward(R)),</li>
 *   <li>compares each input's engine gradient with central finite differences of the float64 reference loss.</li>
 * </ol>
 * Both sides see the same inputs: they are drawn as floats and widened to double for the reference, so the
 * only differences are the engine's float32 arithmetic and the (tiny) finite-difference error.
 *
 * <p>Error metric: relative error by norm, {@code |got - want| / max(|want|, 1e-5)}. NaN never passes.
 */
public final class GradCheck {
    /**
     * float32 forward against a float64 reference. Every op here stays under 1e-6 on the test sizes; 1e-5 leaves
     * room for longer reductions while still catching a wrong constant in the third digit (1e-3 would not).
     */
    public static final double FORWARD_TOL = 1e-5;
    /** float32 backward against float64 finite differences (observed under 1e-5 on every op). */
    public static final double BACKWARD_TOL = 1e-4;
    /** Finite-difference step, in double, for inputs of order 1. */
    public static final double STEP = 1e-6;

    /** The op under test, over engine tensors in the order the inputs were declared. */
    @FunctionalInterface
    public interface EngineOp {
        Tensor apply(Tensor[] inputs);
    }

    /** The reference forward in float64: inputs in declaration order, each row-major; returns the output row-major. */
    @FunctionalInterface
    public interface ReferenceOp {
        double[] apply(double[][] inputs);
    }

    private record Input(String name, int[] shape, float[] values, boolean needsGrad) {}

    private final String op;
    private final Rng rng;
    private final List<Input> inputs = new ArrayList<>();
    private double forwardTol = FORWARD_TOL, backwardTol = BACKWARD_TOL;
    private int[] expectedShape;

    private GradCheck(String op, Rng rng) {
        this.op = op;
        this.rng = rng;
    }

    /** Starts a check of op; rng draws the inputs and R. */
    public static GradCheck of(String op, Rng rng) { return new GradCheck(op, rng); }

    /** An input of standard normal values that needs a gradient. */
    public GradCheck input(String name, int... shape) { return input(name, 1f, shape); }

    /** An input of normal values with the given std that needs a gradient. */
    public GradCheck input(String name, float std, int... shape) {
        float[] v = new float[Math.toIntExact(Tensor.numel(shape))];
        for (int i = 0; i < v.length; i++) v[i] = (float) (rng.nextGaussian() * std);
        return input(name, v, shape);
    }

    /** An input with given values that needs a gradient. */
    public GradCheck input(String name, float[] values, int... shape) {
        inputs.add(new Input(name, shape.clone(), values.clone(), true));
        return this;
    }

    /** A floating input that does not need a gradient (the engine must then give it none). */
    public GradCheck constant(String name, int... shape) {
        input(name, shape);
        Input last = inputs.removeLast();
        inputs.add(new Input(name, last.shape, last.values, false));
        return this;
    }

    public GradCheck tolerances(double forward, double backward) {
        forwardTol = forward;
        backwardTol = backward;
        return this;
    }

    /** Also requires the engine output to have this shape. */
    public GradCheck expectShape(int... shape) {
        expectedShape = shape.clone();
        return this;
    }

    /** Runs the three comparisons; throws AssertionError naming the op, the part and the error. */
    public void check(EngineOp engine, ReferenceOp reference) {
        double[][] ref = new double[inputs.size()][];
        for (int i = 0; i < ref.length; i++) ref[i] = widen(inputs.get(i).values);
        double[] want = reference.apply(ref);

        try (Scope scope = Scope.open()) {
            Tensor[] ts = new Tensor[inputs.size()];
            for (int i = 0; i < ts.length; i++) {
                Input in = inputs.get(i);
                ts[i] = Tensor.of(in.values, in.shape).named(in.name).requiresGrad(in.needsGrad);
            }
            Tensor out = engine.apply(ts);
            if (expectedShape != null && !Arrays.equals(out.shape(), expectedShape))
                throw new AssertionError(op + ": output shape " + Tensor.shapeString(out.shape()) + ", expected "
                        + Tensor.shapeString(expectedShape));
            float[] got = out.toFloatArray();
            assertClose(op + " forward", got, want, forwardTol);

            if (inputs.stream().noneMatch(Input::needsGrad)) return;
            float[] r = new float[got.length];
            for (int i = 0; i < r.length; i++) r[i] = (float) rng.nextGaussian();
            double[] rd = widen(r);
            if (!out.requiresGrad()) throw new AssertionError(op + ": the output records no graph although inputs need grad");
            out.backward(Tensor.of(r, out.shape()));

            for (int i = 0; i < ts.length; i++) {
                Input in = inputs.get(i);
                Tensor grad = ts[i].grad();
                if (!in.needsGrad) {
                    if (grad != null) throw new AssertionError(op + ": constant input '" + in.name + "' got a gradient");
                    continue;
                }
                if (grad == null) throw new AssertionError(op + ": no gradient reached input '" + in.name + "'");
                if (!Arrays.equals(grad.shape(), in.shape))
                    throw new AssertionError(op + ": gradient of '" + in.name + "' has shape " + Tensor.shapeString(grad.shape()));
                double[] numeric = finiteDifferences(reference, ref, i, rd);
                assertClose(op + " backward d/d" + in.name, grad.toFloatArray(), numeric, backwardTol);
            }
        }
    }

    /** Central differences of loss(x) = sum(reference(x) * r) with respect to every element of input which. */
    private static double[] finiteDifferences(ReferenceOp reference, double[][] x, int which, double[] r) {
        double[] xi = x[which];
        double[] grad = new double[xi.length];
        for (int j = 0; j < xi.length; j++) {
            double saved = xi[j];
            xi[j] = saved + STEP;
            double plus = dot(reference.apply(x), r);
            xi[j] = saved - STEP;
            double minus = dot(reference.apply(x), r);
            xi[j] = saved;
            grad[j] = (plus - minus) / (2 * STEP);
        }
        return grad;
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    // ---- comparisons other tests use too --------------------------------------------------------------------

    /** |got - want| / max(|want|, 1e-5) by L2 norm; NaN or infinity in either gives infinity. */
    public static double relativeError(float[] got, double[] want) {
        if (got.length != want.length) return Double.POSITIVE_INFINITY;
        double diff = 0, norm = 0;
        for (int i = 0; i < got.length; i++) {
            if (!Double.isFinite(got[i]) || !Double.isFinite(want[i])) return Double.POSITIVE_INFINITY;
            double d = got[i] - want[i];
            diff += d * d;
            norm += want[i] * want[i];
        }
        return Math.sqrt(diff) / Math.max(Math.sqrt(norm), 1e-5);
    }

    public static void assertClose(String what, float[] got, double[] want, double tol) {
        if (got.length != want.length)
            throw new AssertionError(what + ": " + got.length + " values, the reference has " + want.length);
        double err = relativeError(got, want);
        if (!(err <= tol)) {
            int worst = 0;
            for (int i = 1; i < got.length; i++)
                if (!(Math.abs(got[i] - want[i]) <= Math.abs(got[worst] - want[worst]))) worst = i;
            throw new AssertionError(String.format("%s: relative error %.3g > %.1g (worst at %d: got %s, want %s)",
                    what, err, tol, worst, got.length == 0 ? "-" : got[worst], want.length == 0 ? "-" : want[worst]));
        }
    }

    public static void assertClose(String what, float[] got, float[] want, double tol) {
        assertClose(what, got, widen(want), tol);
    }

    public static double[] widen(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) d[i] = v[i];
        return d;
    }

    // ---- seeds ----------------------------------------------------------------------------------------------

    /** The property (or environment variable INSTRUCT4J_TEST_SEED) that replays a failed test's seed. */
    public static final String SEED_PROPERTY = "instruct4j.testSeed";
    /** The property (or INSTRUCT4J_TEST_FUZZ) that runs every seeded test again with that many fresh seeds. */
    public static final String FUZZ_PROPERTY = "instruct4j.testFuzz";

    /**
     * Runs body with an Rng. By default the seed comes from the test's name, so a build passes or fails the
     * same way every time (CI cannot fail by chance). With -Dinstruct4j.testFuzz=N the body runs with N fresh
     * seeds instead, to hunt for shapes and values no fixed seed covers; with -Dinstruct4j.testSeed=S it runs
     * with S. A failure is rethrown with its seed in the message, so it can be replayed.
     */
    public static void withSeed(String test, Consumer<Rng> body) {
        String fixed = setting(SEED_PROPERTY, "INSTRUCT4J_TEST_SEED");
        String fuzz = setting(FUZZ_PROPERTY, "INSTRUCT4J_TEST_FUZZ");
        if (fixed != null) {
            runSeeded(test, Long.parseLong(fixed), body);
        } else if (fuzz != null) {
            Rng fresh = new Rng(System.nanoTime());
            for (int i = Integer.parseInt(fuzz); i > 0; i--) runSeeded(test, fresh.nextLong(), body);
        } else {
            runSeeded(test, test.hashCode() * 0x9E3779B97F4A7C15L, body); // String.hashCode is specified: stable
        }
    }

    private static void runSeeded(String test, long seed, Consumer<Rng> body) {
        try {
            body.accept(new Rng(seed));
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError(test + " failed with seed " + seed + " (replay with -D" + SEED_PROPERTY + "="
                    + seed + "): " + e.getMessage(), e);
        }
    }

    private static String setting(String property, String environment) {
        String value = System.getProperty(property, System.getenv(environment));
        return value == null || value.isBlank() ? null : value.trim();
    }

    /** A random size in [lo, hi], both ends included: odd sizes come up as often as even ones. */
    public static int size(Rng rng, int lo, int hi) { return lo + rng.nextInt(hi - lo + 1); }
}
