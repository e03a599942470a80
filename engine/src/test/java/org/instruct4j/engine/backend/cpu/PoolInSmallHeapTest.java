package org.instruct4j.engine.backend.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import org.instruct4j.engine.testing.ChildJvm;
import org.junit.jupiter.api.Test;

/**
 * The pool's idle arrays give way to whatever needs the heap, in a child JVM of 64 MB holding 40 MB of one stage's
 * arrays: a new array of another size from the pool itself (a demo stage after another), and an array the embedding
 * program makes on its own once its training is done. With the arrays held strongly the second child ran out of memory
 * (tried, 2026-12-06), as the first had before the pool let its arrays go when an allocation failed.
 */
class PoolInSmallHeapTest {
    @Test void idleArraysGiveWayToAnArrayOfAnotherSize() throws Exception {
        ChildJvm child = ChildJvm.run(FillThenAskForMore.class, "-Xmx64m");
        assertThat(child.exitCode()).as("the child's exit status; its stderr:%n%s", child.err()).isZero();
        assertThat(child.out()).as("the large array's length, and the bytes the pool holds after it").isEqualTo("made 6291456, held 0");
    }

    @Test void idleArraysGiveWayToTheProgramsOwnArrays() throws Exception {
        ChildJvm child = ChildJvm.run(FillThenMakeOwn.class, "-Xmx64m");
        assertThat(child.exitCode()).as("the child's exit status; its stderr:%n%s", child.err()).isZero();
        assertThat(child.out()).as("the program's array's length, and the bytes the pool holds after it").isEqualTo("made 31457280, held 0");
    }

    /** 10 arrays of 4 MB given back to the pool, as a finished stage leaves them. */
    static CpuArrayPool filled() {
        CpuArrayPool pool = new CpuArrayPool(48L << 20);
        float[][] stage = new float[10][];
        for (int i = 0; i < 10; i++) stage[i] = pool.floats(1 << 20, false);
        for (int i = 0; i < 10; i++) { pool.give(stage[i]); stage[i] = null; }   // (a for-each would keep the array)
        if (pool.heldBytes() != 40L << 20) throw new AssertionError("the pool holds " + pool.heldBytes());
        return pool;
    }

    /** The child: asks the filled pool for an array of a size it does not hold. */
    static final class FillThenAskForMore {
        public static void main(String[] args) {
            CpuArrayPool pool = filled();
            float[] large = pool.floats(6 << 20, true);   // 24 MB: a class the pool does not have
            System.out.println("made " + large.length + ", held " + pool.heldBytes());
        }
    }

    /** The child: makes an array of its own beside the filled pool, as a program that trained a model and goes on. */
    static final class FillThenMakeOwn {
        public static void main(String[] args) {
            CpuArrayPool pool = filled();
            byte[] own = new byte[30 << 20];
            System.out.println("made " + own.length + ", held " + pool.heldBytes());
        }
    }
}
