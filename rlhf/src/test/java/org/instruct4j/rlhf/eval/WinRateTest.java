package org.instruct4j.rlhf.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class WinRateTest {
    @Test
    void tiesCountHalfAndTheIntervalMatchesWilson() {
        WinRate r = new WinRate(60, 10, 30);
        assertThat(r.rate()).isCloseTo(0.65, within(1e-12));
        // Wilson interval for p = 0.65, n = 100, z = 1.96: [0.5525, 0.7364] (computed by hand).
        assertThat(r.lower95()).isCloseTo(0.5525, within(5e-4));
        assertThat(r.upper95()).isCloseTo(0.7364, within(5e-4));
    }

    @Test
    void intervalStaysInsideZeroOneWhenLopsided() {
        WinRate r = new WinRate(0, 0, 12);
        assertThat(r.rate()).isZero();
        assertThat(r.lower95()).isGreaterThanOrEqualTo(0).isLessThan(1e-9);
        assertThat(r.upper95()).isBetween(0.2, 0.3);
    }
}
