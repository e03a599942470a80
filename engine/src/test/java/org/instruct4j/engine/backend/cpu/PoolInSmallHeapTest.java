package org.instruct4j.engine.backend.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import org.instruct4j.engine.testing.ChildJvm;
import org.junit.jupiter.api.Test;

/**
 * The pool's idle arrays give way to a new one the heap has no room for: in a child JVM of 64 MB, a pool holding
 * 40 MB of one stage's arrays still serves a 24 MB array of another size (without the release, the child runs out
 * of memory).
 */
class PoolInSmallHeapTest {
    @Test void idleArraysGiveWayWhenTheHeapIsFull() throws Exception {
        ChildJvm child = ChildJvm.run(FillThenAskForMore.class, "-Xmx64m");
        assertThat(child.exitCode()).as("the child's exit status; its stderr:%n%s", child.err()).isZero();
        assertThat(child.out()).as("the large array's length, and the bytes the pool holds after it").isEqualTo("made 6291456, held 0");
    }

    /** The child: fills a pool as a finished stage leaves it, then asks for an array of a size it does not hold. */
    static final class FillThenAskForMore {
        public static void main(String[] args) {
            CpuArrayPool pool = new CpuArrayPool(48L << 20);
            for (int i = 0; i < 10; i++) pool.give(pool.floats(1 << 20, false));   // the same array each time
            float[][] stage = new float[10][];
            for (int i = 0; i < 10; i++) stage[i] = pool.floats(1 << 20, false);   // 10 arrays of 4 MB in use
            for (int i = 0; i < 10; i++) { pool.give(stage[i]); stage[i] = null; }   // (a for-each would keep the array)
            float[] large = pool.floats(6 << 20, true);   // 24 MB: a class the pool does not have
            System.out.println("made " + large.length + ", held " + pool.heldBytes());
        }
    }
}
