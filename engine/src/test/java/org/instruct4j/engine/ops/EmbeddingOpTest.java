package org.instruct4j.engine.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.instruct4j.engine.testing.GradCheck.size;

import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.testing.GradCheck;
import org.junit.jupiter.api.Test;

/** Row lookup; repeated ids accumulate their gradients. */
class EmbeddingOpTest {

    @Test void lookupWithRepeatedIds() {
        GradCheck.withSeed("embedding", rng -> {
            int vocab = size(rng, 2, 9), dim = size(rng, 1, 7), b = size(rng, 1, 3), t = size(rng, 2, 11);
            int[] ids = new int[b * t];
            for (int i = 0; i < ids.length; i++) ids[i] = rng.nextInt(vocab);
            ids[ids.length - 1] = ids[0]; // at least one repeat
            Tensor idt = Tensor.ofInts(ids, b, t);
            GradCheck.of("embedding", rng).input("table", vocab, dim).expectShape(b, t, dim)
                    .check(in -> EmbeddingOp.lookup(in[0], idt), x -> {
                        double[] out = new double[ids.length * dim];
                        for (int i = 0; i < ids.length; i++) System.arraycopy(x[0], ids[i] * dim, out, i * dim, dim);
                        return out;
                    });
        });
    }

    @Test void repeatedIdsSumTheirGradients() {
        Tensor table = Tensor.zeros(4, 2).requiresGrad(true);
        Tensor out = EmbeddingOp.lookup(table, Tensor.ofInts(new int[] {2, 2, 1, 2}, 4));
        out.backward(Tensor.of(new float[] {1, 10, 2, 20, 3, 30, 4, 40}, 4, 2));
        assertThat(table.grad().toFloatArray()).containsExactly(0, 0, 3, 30, 7, 70, 0, 0);
    }

    /**
     * A table large enough that the threads split its zeroing: the gradient is, to the bit, each row's float sum in
     * the order of the positions, and untouched rows are exactly zero.
     */
    @Test void largeGradientSumsInPositionOrderOnEveryThread() {
        GradCheck.withSeed("embedding large", rng -> {
            int vocab = 30_000, dim = 96, n = 2048;
            int[] ids = new int[n];
            for (int i = 0; i < n; i++) ids[i] = rng.nextInt(40) * 97; // many repeats, spread over the table
            Tensor table = Tensor.zeros(vocab, dim).requiresGrad(true);
            Tensor gradOut = Tensor.randn(rng, 1f, n, dim);
            EmbeddingOp.lookup(table, Tensor.ofInts(ids, n)).backward(gradOut);
            float[] g = gradOut.toFloatArray(), want = new float[vocab * dim];
            for (int i = 0; i < n; i++)
                for (int c = 0; c < dim; c++) want[ids[i] * dim + c] += g[i * dim + c];
            assertThat(table.grad().toFloatArray()).isEqualTo(want);
        });
    }

    @Test void idOutsideTheTableIsNamed() {
        Tensor table = Tensor.zeros(4, 2);
        assertThatThrownBy(() -> EmbeddingOp.lookup(table, Tensor.ofInts(new int[] {0, 4}, 2)))
                .hasMessageContaining("token id 4").hasMessageContaining("position 1");
        assertThatThrownBy(() -> EmbeddingOp.lookup(table, Tensor.zeros(2))).hasMessageContaining("I32");
    }
}
