package org.instruct4j.engine.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.instruct4j.engine.testing.GradCheck.size;

import java.util.function.DoubleBinaryOperator;
import org.instruct4j.engine.Rng;
import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.testing.GradCheck;
import org.junit.jupiter.api.Test;

/** add, sub, mul and scale, with the second operand broadcast over the first one's leading dims. */
class ArithTest {

    /** A shape of 1 to 3 leading dims followed by the trailing dims. */
    private static int[] withLeading(Rng rng, int[] trailing) {
        int lead = 1 + rng.nextInt(3);
        int[] s = new int[lead + trailing.length];
        for (int i = 0; i < lead; i++) s[i] = size(rng, 1, 4);
        System.arraycopy(trailing, 0, s, lead, trailing.length);
        return s;
    }

    /** out[i] = f(a[i], b[i % b.length]). */
    private static double[] broadcast(double[] a, double[] b, DoubleBinaryOperator f) {
        double[] out = new double[a.length];
        for (int i = 0; i < a.length; i++) out[i] = f.applyAsDouble(a[i], b[i % b.length]);
        return out;
    }

    private void checkBinary(String name, GradCheck.EngineOp op, DoubleBinaryOperator f, boolean broadcastB) {
        GradCheck.withSeed(name, rng -> {
            int[] small = {size(rng, 1, 7), size(rng, 1, 9)};
            int[] big = broadcastB ? withLeading(rng, small) : small;
            GradCheck.of(name, rng).input("a", big).input("b", small).expectShape(big)
                    .check(op, x -> broadcast(x[0], x[1], f));
        });
    }

    @Test void addSameShape() { checkBinary("add", t -> Arith.add(t[0], t[1]), Double::sum, false); }

    @Test void addBroadcastsOverLeadingDims() { checkBinary("add broadcast", t -> Arith.add(t[0], t[1]), Double::sum, true); }

    @Test void addSmallPlusBigSwapsOperands() {
        checkBinary("add small+big", t -> Arith.add(t[1], t[0]), Double::sum, true);
    }

    @Test void subSameShape() { checkBinary("sub", t -> Arith.sub(t[0], t[1]), (p, q) -> p - q, false); }

    @Test void subBroadcast() { checkBinary("sub broadcast", t -> Arith.sub(t[0], t[1]), (p, q) -> p - q, true); }

    @Test void subSmallMinusBig() {
        checkBinary("sub small-big", t -> Arith.sub(t[1], t[0]), (p, q) -> q - p, true);
    }

    @Test void mulSameShape() { checkBinary("mul", t -> Arith.mul(t[0], t[1]), (p, q) -> p * q, false); }

    @Test void mulBroadcast() { checkBinary("mul broadcast", t -> Arith.mul(t[0], t[1]), (p, q) -> p * q, true); }

    @Test void mulSmallTimesBig() {
        checkBinary("mul small*big", t -> Arith.mul(t[1], t[0]), (p, q) -> p * q, true);
    }

    @Test void scale() {
        GradCheck.withSeed("scale", rng -> {
            float factor = (float) rng.nextGaussian() * 3;
            int[] shape = {size(rng, 1, 5), size(rng, 1, 7), size(rng, 1, 3)};
            GradCheck.of("scale", rng).input("x", shape)
                    .check(t -> Arith.scale(t[0], factor), x -> {
                        double[] out = new double[x[0].length];
                        for (int i = 0; i < out.length; i++) out[i] = factor * x[0][i];
                        return out;
                    });
        });
    }

    @Test void constantOperandGetsNoGradient() {
        GradCheck.withSeed("add with constant", rng -> {
            int[] small = {size(rng, 2, 6)};
            int[] big = withLeading(rng, small);
            GradCheck.of("add constant bias", rng).input("a", big).constant("bias", small)
                    .check(t -> Arith.add(t[0], t[1]), x -> broadcast(x[0], x[1], Double::sum));
            GradCheck.of("mul constant a", rng).constant("a", big).input("b", small)
                    .check(t -> Arith.mul(t[0], t[1]), x -> broadcast(x[0], x[1], (p, q) -> p * q));
        });
    }

    /** An empty operand's gradient comes back in its own shape, like any other's: (0) over (2, 0) is a broadcast. */
    @Test void emptyBroadcastGetsGradientOfItsOwnShape() {
        Tensor a = Tensor.zeros(2, 0).requiresGrad(true), b = Tensor.zeros(0).requiresGrad(true);
        Arith.add(a, b).sum().backward();
        assertThat(a.grad().shape()).containsExactly(2, 0);
        assertThat(b.grad().shape()).containsExactly(0);
    }

    @Test void shapesThatDoNotBroadcastAreRejectedWithBothShapes() {
        Tensor a = Tensor.zeros(2, 3), b = Tensor.zeros(2);
        assertThatThrownBy(() -> Arith.add(a, b)).hasMessageContaining("add").hasMessageContaining("[2,3]").hasMessageContaining("[2]");
        assertThatThrownBy(() -> Arith.mul(a, Tensor.zeros(3, 2))).hasMessageContaining("mul");
        assertThatThrownBy(() -> Arith.sub(a, b)).hasMessageContaining("sub:").hasMessageContaining("[2,3]");
    }
}
