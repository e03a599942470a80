package org.instruct4j.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class GenerateSideBySideTest {
    private static SideBySide.Side side(String name, float... first) {
        return new SideBySide.Side(name, new double[] {1}, new double[] {1}, first, ThreadCpu.Sample.zero());
    }

    @Test
    void checksumsAreLabelledIntegers() {
        int[][] ids = {{5, 17, 900}, {5, 17, 900}};
        int h = Arrays.hashCode(ids[0]);
        var result = new SideBySide.Result(side("instruct4j", h, h, h), side("libtorch", h, h, h));
        assertEquals("checksum of the generated ids: instruct4j " + h + ", libtorch " + h + " (equal)",
                GenerateSideBySide.checksums(result, ids));
    }

    @Test
    void aDifferenceAndARunThatChangedAreSaid() {
        int[][] ids = {{5, 17, 900}, {5, 17, 901}};
        int a = Arrays.hashCode(ids[0]), b = Arrays.hashCode(ids[1]);
        var result = new SideBySide.Result(side("instruct4j", a, a, a), side("libtorch", 3f, b, b));
        assertEquals("checksum of the generated ids: instruct4j " + a + ", libtorch " + b
                + " (different); libtorch's ids changed between runs", GenerateSideBySide.checksums(result, ids));
    }
}
