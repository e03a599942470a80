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
}
