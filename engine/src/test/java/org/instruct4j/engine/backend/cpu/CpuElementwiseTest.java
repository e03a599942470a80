package org.instruct4j.engine.backend.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import org.instruct4j.engine.Rng;
import org.junit.jupiter.api.Test;

/** CpuElementwise's loops that the float64 parity tests reach only through whole ops. */
class CpuElementwiseTest {
    @Test void columnSumsAreThePlainDoubleSumsBitForBit() {
        Rng rng = new Rng(5);
        // Narrow and ragged widths, one chunk or several over the threads.
        for (int cols : new int[] {3, 4, 16, 21, 36, 96, 288}) {
            int rows = 301;
            float[] x = new float[rows * cols];
            for (int i = 0; i < x.length; i++) x[i] = (float) (rng.nextGaussian() * Math.exp(3 * rng.nextGaussian()));
            float[] got = new float[cols];
            CpuElementwise.sumRows(x, got, rows, cols);
            for (int c = 0; c < cols; c++) {
                double want = 0;
                for (int r = 0; r < rows; r++) want += x[r * cols + c];
                assertThat(Float.floatToRawIntBits(got[c])).as("cols %d column %d", cols, c)
                        .isEqualTo(Float.floatToRawIntBits((float) want));
            }
        }
    }
}
