package org.instruct4j.engine.backend.cpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.instruct4j.engine.testing.ChildJvm;
import org.junit.jupiter.api.Test;

/**
 * A model trained and sampled with one vector width has the bits it has with the others: this JVM runs
 * {@link WidthProbe} and a child JVM runs it with narrower vectors, which an x86 JVM can be given but not wider ones:
 * {@code -XX:UseAVX=2} gives the Vector API 8 lanes (AVX2's width) where this machine has 16 (AVX-512), and
 * {@code -XX:MaxVectorSize=16} gives it 4 (the width of ARM's NEON, on Apple's and many ARM servers' cores). The
 * child prints its lane count beside the hash, so a flag that did not narrow the vectors fails rather than passes.
 * A child JVM without the Vector API module runs the plain loops (PlainMath, CpuGemmPlain), which keep the same
 * order. SixteenLaneSumsTest and PlainMathTest check that order at each width.
 */
class SameBitsAtEveryWidthTest {
    @Test void eightLanesGiveTheBitsOfSixteen() throws Exception {
        assumeTrue(VectorSupport.AVAILABLE && VectorSupport.FLOAT_LANES == 16,
                "needs a JVM with 16 float lanes (AVX-512) to compare with 8; this one has " + VectorSupport.FLOAT_LANES);
        assertThat(probe("-XX:UseAVX=2")).as("lanes and hash with -XX:UseAVX=2, against this JVM's with 16")
                .isEqualTo("8 " + WidthProbe.run());
    }

    @Test void fourLanesGiveTheBitsOfThisJvm() throws Exception {
        assumeTrue(VectorSupport.AVAILABLE && VectorSupport.FLOAT_LANES > 4,
                "needs a JVM with more than 4 float lanes to compare with 4; this one has " + VectorSupport.FLOAT_LANES);
        assertThat(probe("-XX:MaxVectorSize=16")).as("lanes and hash with -XX:MaxVectorSize=16, against this JVM's with %d",
                VectorSupport.FLOAT_LANES).isEqualTo("4 " + WidthProbe.run());
    }

    @Test void thePlainLoopsGiveTheBitsOfTheVectors() throws Exception {
        assumeTrue(VectorSupport.AVAILABLE, "needs the Vector API in this JVM to compare the plain loops with");
        assertThat(probeWith("-Xmx512m")).as("lanes and hash without jdk.incubator.vector, against this JVM's with %d lanes",
                VectorSupport.FLOAT_LANES).isEqualTo("1 " + WidthProbe.run());
    }

    /** What WidthProbe prints in a child JVM given the flag, with the Vector API module. */
    private static String probe(String flag) throws Exception {
        return probeWith("--add-modules", "jdk.incubator.vector", flag, "-Xmx512m");
    }

    /** What WidthProbe prints in a child JVM started with exactly these flags. */
    private static String probeWith(String... jvmFlags) throws Exception {
        ChildJvm child = ChildJvm.run(WidthProbe.class, jvmFlags);
        assertThat(child.exitCode()).as("child JVM's exit status; its output: %s", child.out()).isZero();
        return child.out();
    }
}
