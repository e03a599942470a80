package org.instruct4j.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.instruct4j.engine.ops.Gelu;
import org.junit.jupiter.api.Test;

class AutogradSmokeTest {
    @Test
    void matmulBiasGeluSumMatchesFiniteDifferences() {
        Rng rng = new Rng(1);
        Tensor x = Tensor.randn(rng, 1f, 3, 4).requiresGrad(true);
        Tensor w = Tensor.randn(rng, 1f, 4, 5).requiresGrad(true);
        Tensor b = Tensor.randn(rng, 1f, 5).requiresGrad(true);
        Tensor loss = Gelu.gelu(x.matmul(w).plus(b)).sum();
        loss.backward();
        float[] gw = w.grad().toFloatArray();
        float[] wv = w.toFloatArray();
        double eps = 1e-3;
        for (int i = 0; i < wv.length; i++) {
            float[] p = wv.clone(), m = wv.clone();
            p[i] += eps; m[i] -= eps;
            double fp = Gelu.gelu(x.matmul(Tensor.of(p, 4, 5)).plus(b)).sum().item();
            double fm = Gelu.gelu(x.matmul(Tensor.of(m, 4, 5)).plus(b)).sum().item();
            assertThat((double) gw[i]).isCloseTo((fp - fm) / (2 * eps), within(2e-2));
        }
        assertThat(b.grad().shape()).containsExactly(5);
    }

    @Test
    void scopeFreesTemporaries() {
        Tensor kept;
        Tensor temp;
        try (Scope s = Scope.open()) {
            temp = Tensor.zeros(2, 2);
            kept = Scope.keep(Tensor.zeros(3));
        }
        assertThat(temp.isFreed()).isTrue();
        assertThat(kept.isFreed()).isFalse();
    }
}
