package org.instruct4j.rlhf.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class WinRateTest {
    @Test
    void countsAreTheSpecialCaseOfOneHalfAndZero() {
        double[] p = new double[100];
        Arrays.fill(p, 0, 60, 1.0);
        Arrays.fill(p, 60, 70, 0.5);
        WinRate r = WinRate.of(p);
        assertThat(r.rate()).isCloseTo(0.65, within(1e-12));
        // 60 ones, 10 halves, 30 zeros: sample variance (62.5 - 100 * 0.65^2) / 99 = 0.204545, sd 0.452267;
        // half-width 1.959964 * 0.452267 / 10 = 0.088643 (by hand).
        assertThat(r.lower95()).isCloseTo(0.65 - 0.088643, within(2e-6));
        assertThat(r.upper95()).isCloseTo(0.65 + 0.088643, within(2e-6));
    }

    @Test
    void preferencesCloseToOneHalfGiveANarrowInterval() {
        double[] p = new double[600];
        for (int i = 0; i < p.length; i++) p[i] = i % 2 == 0 ? 0.6 : 0.5;
        WinRate r = WinRate.of(p);
        assertThat(r.rate()).isCloseTo(0.55, within(1e-12));
        assertThat(r.upper95() - r.lower95()).isLessThan(0.01);
    }

    @Test
    void intervalStaysInsideZeroOneAndBadValuesAreRejected() {
        WinRate r = WinRate.of(0, 0, 0, 0.1);
        assertThat(r.lower95()).isZero();
        assertThat(r.upper95()).isBetween(0.025, 0.2);
        assertThatThrownBy(() -> WinRate.of(0.5, 1.2)).hasMessageContaining("[0, 1]").hasMessageContaining("1.2");
        assertThat(WinRate.of().rate()).isNaN();
    }
}
