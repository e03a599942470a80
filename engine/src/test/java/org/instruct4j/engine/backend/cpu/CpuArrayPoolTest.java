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
 * kept by dtype and length, within the byte limit.
 */
class CpuArrayPoolTest {
    @Test void aReusedArrayIsTheSameObjectAndComesBackZeroed() {
        CpuArrayPool pool = new CpuArrayPool(1 << 20);
        float[] a = pool.floats(1000, true);
        Arrays.fill(a, 7f);
        pool.give(a);
        assertThat(pool.heldBytes()).isEqualTo(4000);
        float[] b = pool.floats(1000, true);
        assertThat(b).isSameAs(a);
        assertThat(b).containsOnly(0f);
        assertThat(pool.heldBytes()).isZero();
        assertThat(pool.floats(1000, true)).isNotSameAs(a);   // the pool is empty again
    }

    @Test void anUnfilledArrayIsReusedAsItIsAndPoisonedUnderAssertions() {
        assertThat(CpuArrayPool.class.desiredAssertionStatus()).as("the tests run with -ea").isTrue();
        CpuArrayPool pool = new CpuArrayPool(1 << 20);
        float[] a = pool.floats(1000, false);
        assertThat(a).containsOnly(Float.NaN);   // a new array is poisoned too
        pool.give(a);
        assertThat(pool.floats(1000, false)).isSameAs(a).containsOnly(Float.NaN);
        int[] i = pool.ints(300, false);
        assertThat(i).containsOnly(Integer.MIN_VALUE);
    }

    @Test void floatsAndIntsOfOneLengthAreKeptApart() {
        CpuArrayPool pool = new CpuArrayPool(1 << 20);
        int[] i = pool.ints(500, true);
        Arrays.fill(i, 3);
        pool.give(i);
        assertThat(pool.floats(500, true)).isNotNull();   // a new float[], not the int[]
        int[] again = pool.ints(500, true);
        assertThat(again).isSameAs(i).containsOnly(0);
    }

    @Test void smallArraysAreNotKeptAndTheLimitEvictsTheLeastRecentlyUsedLength() {
        CpuArrayPool pool = new CpuArrayPool(4 * 3000);
        pool.give(new float[CpuArrayPool.MIN_LENGTH - 1]);
        assertThat(pool.heldBytes()).isZero();
        float[] old = new float[1000], recent = new float[1500];
        pool.give(old);
        pool.give(recent);
        pool.give(new float[1000]);            // 3500 floats would not fit: length 1000 was used least recently
        assertThat(pool.heldBytes()).isEqualTo(4 * 2500);
        assertThat(pool.floats(1500, true)).isSameAs(recent);
        pool.give(new float[4000]);            // larger than the whole pool: dropped
        assertThat(pool.heldBytes()).isEqualTo(4 * 1000);
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
