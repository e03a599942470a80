package org.instruct4j.engine.backend.cpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

/** The caller and the helpers share a call's chunks: every item runs once, failures and nesting reach the caller. */
class ParallelTest {
    @Test void everyItemRunsExactlyOnceForAnySizeAndGrain() {
        for (int n : new int[] {1, 2, 7, 8, 9, 100, 1000, 4099})
            for (int grain : new int[] {1, 3, 64, 5000}) {
                AtomicIntegerArray seen = new AtomicIntegerArray(n);
                Parallel.forRange(n, grain, (from, to) -> {
                    for (int i = from; i < to; i++) seen.incrementAndGet(i);
                });
                for (int i = 0; i < n; i++) assertThat(seen.get(i)).as("n=%d grain=%d item %d", n, grain, i).isEqualTo(1);
            }
    }

    @Test void forEachItemHandsOutOneItemPerChunk() {
        for (int n : new int[] {1, 2, 9, 43, 1000}) {
            AtomicIntegerArray seen = new AtomicIntegerArray(n);
            Parallel.forEachItem(n, (from, to) -> {
                assertThat(to - from).as("items in one chunk").isEqualTo(1);
                seen.incrementAndGet(from);
            });
            for (int i = 0; i < n; i++) assertThat(seen.get(i)).as("n=%d item %d", n, i).isEqualTo(1);
        }
    }

    @Test void aChunksFailureReachesTheCallerAsItself() {
        assertThatThrownBy(() -> Parallel.forRange(1000, 1, (from, to) -> {
            if (from <= 700 && 700 < to) throw new IndexOutOfBoundsException("item 700");
        })).isInstanceOf(IndexOutOfBoundsException.class).hasMessage("item 700");
        // The pool is still usable afterwards.
        AtomicIntegerArray seen = new AtomicIntegerArray(64);
        Parallel.forRange(64, 1, (from, to) -> { for (int i = from; i < to; i++) seen.incrementAndGet(i); });
        for (int i = 0; i < 64; i++) assertThat(seen.get(i)).isEqualTo(1);
    }

    @Test void aNestedCallRunsInsideItsChunk() {
        int outer = 16, inner = 100;
        AtomicIntegerArray seen = new AtomicIntegerArray(outer * inner);
        Parallel.forRange(outer, 1, (from, to) -> {
            for (int o = from; o < to; o++) {
                int base = o * inner;
                Parallel.forRange(inner, 1, (f, t) -> { for (int i = f; i < t; i++) seen.incrementAndGet(base + i); });
            }
        });
        for (int i = 0; i < outer * inner; i++) assertThat(seen.get(i)).isEqualTo(1);
    }

    @Test void helpersJoinWhetherSpinningOrAsleep() throws InterruptedException {
        assumeTrue(Parallel.THREADS > 1, "one thread: no helpers");
        for (long pauseMillis : new long[] {0, 20}) {   // 20 ms: past the helpers' spin, so they are asleep
            Thread.sleep(pauseMillis);
            Set<String> threads = ConcurrentHashMap.newKeySet();
            // Each chunk waits until a helper has joined, for at most 5 s in all: on a loaded machine a helper may
            // be scheduled late (fixed 2 ms chunks failed once beside another build), but one that never comes fails.
            long until = System.nanoTime() + 5_000_000_000L;
            Parallel.forRange(8, 1, (from, to) -> {
                threads.add(Thread.currentThread().getName());
                while (threads.stream().noneMatch(t -> t.startsWith("instruct4j-cpu-")) && System.nanoTime() < until)
                    Thread.onSpinWait();
            });
            assertThat(threads).as("after a pause of %d ms", pauseMillis).anyMatch(t -> t.startsWith("instruct4j-cpu-"));
        }
    }

    @Test void callsFromTwoThreadsAtOnceEachRunEveryItemOnce() throws InterruptedException {
        int n = 5000, rounds = 200;
        AtomicIntegerArray first = new AtomicIntegerArray(n), second = new AtomicIntegerArray(n);
        Thread other = new Thread(() -> {
            for (int r = 0; r < rounds; r++)
                Parallel.forRange(n, 1, (from, to) -> { for (int i = from; i < to; i++) second.incrementAndGet(i); });
        });
        other.start();
        for (int r = 0; r < rounds; r++)
            Parallel.forRange(n, 1, (from, to) -> { for (int i = from; i < to; i++) first.incrementAndGet(i); });
        other.join();
        for (int i = 0; i < n; i++) {
            assertThat(first.get(i)).isEqualTo(rounds);
            assertThat(second.get(i)).isEqualTo(rounds);
        }
    }
}
