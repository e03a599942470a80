package org.instruct4j.engine.backend.cpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.instruct4j.engine.testing.ChildJvm;
import org.junit.jupiter.api.Test;

/**
 * A model trained and sampled on AVX-512 (16 float lanes) has the bits it has on AVX2 (8): this JVM runs
 * {@link WidthProbe} and a child JVM runs it with {@code -XX:UseAVX=2}, which gives the Vector API 8 lanes. It can
 * only be checked on an AVX-512 machine (a JVM cannot be given wider vectors than the CPU has); elsewhere it is
 * skipped. SixteenLaneSumsTest checks the order that makes it so on either kind of machine.
 */
class SameBitsAtBothWidthsTest {
    @Test void trainingAndDecodingGiveTheSameBitsWithEightLanes() throws Exception {
        assumeTrue(VectorSupport.AVAILABLE && VectorSupport.FLOAT_LANES == 16,
                "needs a JVM with 16 float lanes (AVX-512) to compare with 8; this one has " + VectorSupport.FLOAT_LANES);
        ChildJvm child = ChildJvm.run(WidthProbe.class, "--add-modules", "jdk.incubator.vector", "-XX:UseAVX=2", "-Xmx512m");
        String eightLanes = child.out();
        assertThat(child.exitCode()).as("child JVM's exit status; its output: %s", eightLanes).isZero();
        assertThat(eightLanes).as("the hash with 8 lanes against this JVM's with 16").isEqualTo(WidthProbe.run());
    }
}
