package org.instruct4j.engine.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.instruct4j.engine.testing.GradCheck.size;

import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.testing.GradCheck;
import org.junit.jupiter.api.Test;

/** Full sum and mean to a scalar. */
class ReduceTest {

    @Test void sum() {
        GradCheck.withSeed("sum", rng -> {
            int[] s = {size(rng, 1, 9), size(rng, 1, 13)};
            GradCheck.of("sum", rng).input("x", s).expectShape()
                    .check(t -> Reduce.sum(t[0]), x -> new double[] {java.util.Arrays.stream(x[0]).sum()});
        });
    }

    @Test void mean() {
        GradCheck.withSeed("mean", rng -> {
            int[] s = {size(rng, 1, 5), size(rng, 1, 7), size(rng, 1, 3)};
            GradCheck.of("mean", rng).input("x", s).expectShape()
                    .check(t -> Reduce.mean(t[0]), x -> new double[] {java.util.Arrays.stream(x[0]).average().orElseThrow()});
        });
    }

    @Test void sumOfManyValuesIsAccurate() {
        // One million 0.1s: a naive float accumulation drifts by about 1%; the engine accumulates in double.
        float[] v = new float[1_000_000];
        java.util.Arrays.fill(v, 0.1f);
        assertThat((double) Tensor.of(v, v.length).sum().item()).isCloseTo(1_000_000.0 * (double) 0.1f, org.assertj.core.api.Assertions.within(1.0));
    }
}
