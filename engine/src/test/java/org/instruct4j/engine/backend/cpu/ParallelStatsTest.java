package org.instruct4j.engine.backend.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The diagnostic's arithmetic: idle helper time is the call's wall time per helper less what the helpers ran. */
class ParallelStatsTest {
    @AfterEach
    void forget() { ParallelStats.reset(); }

    @Test
    void idleIsWallTimesHelpersLessBusyTime() {
        Parallel.RangeBody body = (from, to) -> {};
        ParallelStats.record(body, 4, 1_000_000, 600_000, 1);   // helper ran 0.6 of a 1 ms call: 40% idle
        ParallelStats.record(body, 4, 3_000_000, 3_000_000, 1); // never idle
        List<String> lines = ParallelStats.summary(5);
        assertThat(lines.get(0)).contains("4.0 ms of wall time").contains("idle in them 10.0%");
        assertThat(lines).hasSize(2);
        assertThat(lines.get(1)).contains("ParallelStatsTest").contains("4 chunks").contains("2 calls").contains("10.0%");
    }

    @Test
    void twoHelpersHaveTwiceTheTimeToBeIdleIn() {
        ParallelStats.record((from, to) -> {}, 20, 1_000_000, 1_500_000, 2);   // 2 ms of helper time, 1.5 busy
        assertThat(ParallelStats.summary(5).get(0)).contains("idle in them 25.0%");
        assertThat(ParallelStats.summary(5).get(1)).contains("over 16 chunks");
    }

    @Test
    void busyShareIsHelperTimeInChunksOverTheTimeRecorded() throws InterruptedException {
        ParallelStats.reset();
        Thread.sleep(100);
        int helpers = Math.max(1, Parallel.THREADS - 1);
        // The helpers ran chunks for 20 ms each (of a 25 ms call) in the 100 ms or more since the reset: 20% or less.
        ParallelStats.record((from, to) -> {}, 4, 25_000_000, 20_000_000L * helpers, helpers);
        String line = ParallelStats.summary(5).get(0);
        double share = Double.parseDouble(line.replaceAll(".*helpers ran chunks ([0-9.]+)% of the time recorded.*", "$1"));
        assertThat(share).isBetween(2.0, 20.0);
        assertThat(line).contains("idle in them 20.0%");
    }
}
