package org.instruct4j.engine.backend.cpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import org.instruct4j.engine.DType;
import org.instruct4j.engine.Scope;
import org.instruct4j.engine.Tensor;
import org.junit.jupiter.api.Test;

/**
 * Reuse of freed CPU arrays: zeroed like new ones (or, for an op's output, poisoned under the tests' assertions),
 * kept by dtype and size class, within the byte limit.
 */
class CpuArrayPoolTest {
    @Test void aReusedArrayIsTheSameObjectAndComesBackZeroed() {
        CpuArrayPool pool = new CpuArrayPool(1 << 20);
        float[] a = pool.floats(1000, true);
        assertThat(a).hasSize(1024);   // 1000 rounded up to its size class
        Arrays.fill(a, 7f);
        pool.give(a);
        assertThat(pool.heldBytes()).isEqualTo(4096);
        float[] b = pool.floats(1000, true);
        assertThat(b).isSameAs(a);
        assertThat(Arrays.copyOf(b, 1000)).containsOnly(0f);
        assertThat(pool.heldBytes()).isZero();
        assertThat(pool.floats(1000, true)).isNotSameAs(a);   // the pool is empty again
    }

    @Test void anUnfilledArrayIsReusedAsItIsAndPoisonedUnderAssertions() {
        assertThat(CpuArrayPool.class.desiredAssertionStatus()).as("the tests run with -ea").isTrue();
        CpuArrayPool pool = new CpuArrayPool(1 << 20);
        float[] a = pool.floats(1024, false);
        assertThat(a).containsOnly(Float.NaN);   // a new array is poisoned too
        pool.give(a);
        assertThat(pool.floats(1024, false)).isSameAs(a).containsOnly(Float.NaN);
        int[] i = pool.ints(288, false);
        assertThat(i).containsOnly(Integer.MIN_VALUE);
    }

    @Test void sizeClassesAreEightStepsPerPowerOfTwo() {
        assertThat(CpuArrayPool.capacity(CpuArrayPool.MIN_LENGTH - 1)).isEqualTo(CpuArrayPool.MIN_LENGTH - 1);
        assertThat(CpuArrayPool.capacity(256)).isEqualTo(256);
        assertThat(CpuArrayPool.capacity(257)).isEqualTo(288);
        assertThat(CpuArrayPool.capacity(1024)).isEqualTo(1024);
        assertThat(CpuArrayPool.capacity(1025)).isEqualTo(1152);
        assertThat(CpuArrayPool.capacity(3_000_000)).isEqualTo(3_145_728);
        for (int n = 256; n < 100_000; n += 37)
            assertThat(CpuArrayPool.capacity(n)).isBetween(n, n + n / 8);
        assertThat(CpuArrayPool.capacity(Integer.MAX_VALUE - 16)).isEqualTo(Integer.MAX_VALUE - 16);
    }

    @Test void aLengthOfTheSameClassReusesTheArrayAndItsRestIsPoisoned() {
        CpuArrayPool pool = new CpuArrayPool(1 << 20);
        float[] a = pool.floats(1000, true);
        Arrays.fill(a, 7f);
        pool.give(a);
        float[] b = pool.floats(980, true);   // another batch's length of the same class (977 to 1024)
        assertThat(b).isSameAs(a);
        assertThat(Arrays.copyOf(b, 980)).containsOnly(0f);
        assertThat(Arrays.copyOfRange(b, 980, b.length)).as("past the buffer's length").containsOnly(Float.NaN);
        pool.give(b);
        assertThat(pool.floats(1030, true)).as("the next class").isNotSameAs(a).hasSize(1152);
    }

    @Test void theSmallestFreeArrayServesAShorterRequestUpToTwiceItsClass() {
        CpuArrayPool pool = new CpuArrayPool(1 << 22);
        float[] large = pool.floats(4096, true), medium = pool.floats(2304, true);
        Arrays.fill(large, 7f);
        pool.give(large);
        pool.give(medium);
        assertThat(pool.floats(2100, true)).as("class 2304: the smallest that serves it").isSameAs(medium);
        assertThat(pool.floats(1000, true)).as("class 1024: 4096 is more than twice it").isNotSameAs(large);
        float[] b = pool.floats(2048, true);
        assertThat(b).isSameAs(large);
        assertThat(Arrays.copyOf(b, 2048)).containsOnly(0f);
        assertThat(Arrays.copyOfRange(b, 2048, 4096)).as("past the buffer's length").containsOnly(Float.NaN);
        assertThat(pool.heldBytes()).isZero();
    }

    @Test void batchesOfChangingLengthReuseEachOthersArrays() {
        // A fine-tuning step's activations, (batch, T, width) for three widths, T the batch's padded length.
        CpuArrayPool pool = new CpuArrayPool(1 << 26);
        java.util.Random random = new java.util.Random(1);
        java.util.Set<float[]> made = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        java.util.Set<Integer> lengths = new java.util.HashSet<>();
        for (int step = 0; step < 200; step++) {
            int t = 40 + random.nextInt(40);
            java.util.List<float[]> held = new java.util.ArrayList<>();
            for (int width : new int[] {96, 288, 384}) {
                held.add(pool.floats(8 * t * width, false));
                lengths.add(8 * t * width);
            }
            made.addAll(held);
            held.forEach(pool::give);
        }
        assertThat(lengths.size()).as("lengths asked for: kept by exact length, each an array of its own").isGreaterThan(100);
        // A few a width: one each time a batch is longer than the arrays free (7 here; by size class alone, 21).
        assertThat(made.size()).as("arrays made in 200 steps").isLessThan(12);
    }

    @Test void aBufferShowsAndTakesOnlyItsOwnLengthOfALongerArray() {
        try (org.instruct4j.engine.backend.Buffer b = CpuBackend.INSTANCE.allocate(DType.F32, 1000)) {
            assertThat(CpuBackend.f(b).length).as("its class, or a free array up to twice it").isGreaterThanOrEqualTo(1024);
            CpuBackend.INSTANCE.upload(new float[1000], b);
            assertThat(CpuBackend.INSTANCE.downloadFloats(b)).hasSize(1000);
            assertThatThrownBy(() -> CpuBackend.INSTANCE.upload(new float[1010], b))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1010 elements into a buffer of 1000");
        }
    }

    @Test void floatsAndIntsOfOneLengthAreKeptApart() {
        CpuArrayPool pool = new CpuArrayPool(1 << 20);
        int[] i = pool.ints(512, true);
        Arrays.fill(i, 3);
        pool.give(i);
        assertThat(pool.floats(512, true)).as("a new float[], zeroed as asked").hasSize(512).containsOnly(0f);
        int[] again = pool.ints(512, true);
        assertThat(again).isSameAs(i).containsOnly(0);
    }

    @Test void smallArraysAreNotKeptAndTheLimitEvictsTheLeastRecentlyUsedClass() {
        CpuArrayPool pool = new CpuArrayPool(4 * 3000);
        pool.give(new float[CpuArrayPool.MIN_LENGTH - 1]);
        pool.give(new float[1000]);            // not one of the pool's sizes: not kept
        assertThat(pool.heldBytes()).isZero();
        float[] old = new float[1024], recent = new float[1536];
        pool.give(old);
        pool.give(recent);
        pool.give(new float[1024]);            // 3584 floats would not fit: class 1024 was used least recently
        assertThat(pool.heldBytes()).isEqualTo(4 * 2560);
        assertThat(pool.floats(1500, true)).isSameAs(recent);
        pool.give(new float[4096]);            // larger than the whole pool: dropped
        assertThat(pool.heldBytes()).isEqualTo(4 * 1024);
    }

    @Test void aFreedTensorRefusesAccessAfterItsArrayWasReused() {
        Tensor stale;
        try (Scope s = Scope.open()) {
            stale = Tensor.zeros(DType.F32, org.instruct4j.engine.Device.CPU, 64, 64);
        }
        Tensor next = Tensor.full(2f, org.instruct4j.engine.Device.CPU, 64, 64);   // may get the freed array
        assertThatThrownBy(stale::toFloatArray).isInstanceOf(IllegalStateException.class).hasMessageContaining("freed");
        assertThat(next.toFloatArray()).containsOnly(2f);
        next.free();
    }
}
