package org.instruct4j.rlhf.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** What doctor says of this machine, one labelled line each. */
class DoctorCommandTest {
    @Test
    void theCpuLineSaysTheProcessorOnceLabelled() throws Exception {
        String said = CommandOutput.stdout(() -> new DoctorCommand().run(new String[0]));
        assertThat(said).containsPattern("(?m)^cpu {7}\\S").doesNotContainPattern("(?m)^cpu +cpu");
        String hardware = org.instruct4j.engine.backend.cpu.CpuBackend.INSTANCE.hardware();
        assertThat(said).contains("cpu       " + hardware + "\n");
        assertThat(org.instruct4j.engine.backend.Backends.cpu().describe()).isEqualTo("cpu (" + hardware + ")");
    }
}
