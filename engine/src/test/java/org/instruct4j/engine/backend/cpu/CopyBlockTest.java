package org.instruct4j.engine.backend.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import org.instruct4j.engine.DType;
import org.instruct4j.engine.backend.Buffer;
import org.junit.jupiter.api.Test;

/**
 * copyBlock spreads copies of over a million elements over the pool: contiguous (one row, or rows as wide as both
 * strides) and strided blocks, small and above the chunk size, land exactly where a plain row-by-row copy puts them, and nothing else
 * in the destination changes.
 */
class CopyBlockTest {
    private static void check(long srcOffset, long srcStride, long dstOffset, long dstStride, long rows, long cols) {
        int srcLen = (int) (srcOffset + (rows - 1) * srcStride + cols), dstLen = (int) (dstOffset + (rows - 1) * dstStride + cols);
        try (Buffer src = CpuBackend.INSTANCE.allocate(DType.F32, srcLen); Buffer dst = CpuBackend.INSTANCE.allocate(DType.F32, dstLen)) {
            float[] s = CpuBackend.f(src), d = CpuBackend.f(dst);
            for (int i = 0; i < s.length; i++) s[i] = i + 1;
            java.util.Arrays.fill(d, -1f);
            float[] want = d.clone();
            for (long r = 0; r < rows; r++)
                for (long c = 0; c < cols; c++) want[(int) (dstOffset + r * dstStride + c)] = s[(int) (srcOffset + r * srcStride + c)];
            CpuBackend.INSTANCE.copyBlock(src, srcOffset, srcStride, dst, dstOffset, dstStride, rows, cols);
            assertThat(d).as("rows %d cols %d strides %d/%d", rows, cols, srcStride, dstStride).isEqualTo(want);
        }
    }

    @Test void contiguousCopies() {
        check(0, 0, 0, 0, 1, 5);
        check(3, 0, 7, 0, 1, 2_500_007);          // one row, over two chunks
        check(11, 1000, 5, 1000, 2_301, 1000);    // rows as wide as both strides: one flat copy, two chunks
    }

    @Test void stridedCopies() {
        check(2, 9, 1, 4, 3, 4);
        check(64, 3 * 96, 0, 96, 3072, 96);       // q's columns of a (B, T, 3C) tensor, the packed attention's split
        check(0, 96, 192, 3 * 96, 3072, 96);      // and back into the third of the gradient
        check(5, 1003, 2, 1001, 3_001, 1000);     // strided rows over several chunks
        check(1, 1_100_001, 0, 1_100_000, 2, 1_100_000); // few rows wider than a chunk
    }
}
