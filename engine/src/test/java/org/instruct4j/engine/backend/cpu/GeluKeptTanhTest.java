package org.instruct4j.engine.backend.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import org.instruct4j.engine.Rng;
import org.junit.jupiter.api.Test;

/**
 * The gelu that keeps its tanh terms for the backward gives what the recomputing pair gives, to the bit: the output,
 * and the input gradient from the kept terms. Lengths that leave ragged ends, on the vector path or the plain one
 * (whichever this JVM has), magnitudes from 0 to where the tanh saturates.
 */
class GeluKeptTanhTest {

    @Test void keptTanhGivesTheSameBitsAsRecomputingIt() {
        Rng rng = new Rng(17);
        for (int n : new int[] {1, 7, 8, 17, 33, 1000, 70_001}) {
            float[] x = new float[n], dout = new float[n];
            for (int i = 0; i < n; i++) {
                x[i] = (float) (rng.nextGaussian() * (i % 5 == 0 ? 12 : 2));
                dout[i] = (float) rng.nextGaussian();
            }
            float[] out = new float[n], dx = new float[n], keptOut = new float[n], tanh = new float[n], keptDx = new float[n];
            CpuElementwise.gelu(x, out, n);
            CpuElementwise.geluBackward(x, dout, dx, n);
            CpuElementwise.geluKeepingTanh(x, keptOut, tanh, n);
            CpuElementwise.geluBackwardFromTanh(x, tanh, dout, keptDx, n);
            for (int i = 0; i < n; i++) {
                assertThat(Float.floatToRawIntBits(keptOut[i])).as("gelu(%s), n %d", x[i], n)
                        .isEqualTo(Float.floatToRawIntBits(out[i]));
                assertThat(Float.floatToRawIntBits(keptDx[i])).as("gelu'(%s) * %s, n %d", x[i], dout[i], n)
                        .isEqualTo(Float.floatToRawIntBits(dx[i]));
                double u = Math.sqrt(2 / Math.PI) * (x[i] + 0.044715 * x[i] * x[i] * x[i]);
                assertThat((double) tanh[i]).as("tanh kept for %s", x[i]).isCloseTo(Math.tanh(u),
                        org.assertj.core.api.Assertions.within(1e-6 + 1e-6 * Math.abs(Math.tanh(u))));
            }
        }
    }
}
