package org.instruct4j.rlhf.plot;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ChartSupportTest {
    /** The JDK the build runs on has AWT and a font; a trimmed runtime is tried by hand (see ChartSupport). */
    @Test
    void aFullJdkCanDraw() {
        assertThat(ChartSupport.unavailable()).isEmpty();
    }
}
