package org.instruct4j.engine.backend.cpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import org.instruct4j.engine.testing.ChildJvm;
import org.junit.jupiter.api.Test;

/**
 * The row primitives whose loops carry a vector compile well without any type profile (VectorMath's class comment):
 * in a child JVM run with {@code -XX:-UseTypeProfile}, where C2 uses no profile at all, none allocates once
 * compiled. With the accumulator as the receiver ({@code acc = acc.max(v)}) max allocated 12 KB a call there and
 * ran 30-40 times slower (2-core Zen 5), as it did in seven of forty runs of the demo's pretraining step.
 */
class VectorMathProfileFreeTest {
    @Test void rowPrimitivesNeedNoTypeProfile() throws Exception {
        assumeTrue(VectorSupport.AVAILABLE, "the surefire JVM adds jdk.incubator.vector; this checks the vector path");
        ChildJvm child = ChildJvm.run(ProfileFreeRows.class, "--add-modules", "jdk.incubator.vector", "-XX:-UseTypeProfile", "-Xmx256m");
        assertThat(child.exitCode()).as("child JVM's exit status; its output:%n%s", child.out()).isZero();
        Map<String, Double> bytesPerCall = new LinkedHashMap<>();
        for (String line : child.out().split("\n")) {
            String[] parts = line.split(" ");
            bytesPerCall.put(parts[0], Double.parseDouble(parts[1]));
        }
        assertThat(bytesPerCall).as("heap bytes per call, fewest over the rounds").hasSize(14);
        bytesPerCall.forEach((row, bytes) -> assertThat(bytes).as("%s: bytes allocated per call", row).isLessThan(1.0));
    }
}
