package org.instruct4j.engine;

import static org.assertj.core.api.Assertions.assertThat;

import org.instruct4j.engine.ops.Gelu;
import org.instruct4j.engine.testing.GradCheck;
import org.junit.jupiter.api.Test;

class AutogradSmokeTest {
    /**
     * gelu(x w + b) and its gradients for x, w and b against float64 central differences of the same formula. The
     * loss is GradCheck's sum(out * R), the sum weighted at random: a plain sum of a few gelus can come out near 0,
     * where float32's rounding is more than 1e-5 of it.
     */
    @Test
    void matmulBiasGeluMatchesFiniteDifferencesForEveryInput() {
        int m = 3, k = 4, n = 5;
        GradCheck.withSeed("matmul bias gelu", rng -> GradCheck.of("gelu(x w + b)", rng)
                .input("x", m, k).input("w", k, n).input("b", n).expectShape(m, n)
                .check(t -> Gelu.gelu(t[0].matmul(t[1]).plus(t[2])), v -> {
                    double[] out = new double[m * n];
                    for (int i = 0; i < m; i++)
                        for (int j = 0; j < n; j++) {
                            double z = v[2][j];
                            for (int p = 0; p < k; p++) z += v[0][i * k + p] * v[1][p * n + j];
                            out[i * n + j] = 0.5 * z * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (z + 0.044715 * z * z * z)));
                        }
                    return out;
                }));
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
