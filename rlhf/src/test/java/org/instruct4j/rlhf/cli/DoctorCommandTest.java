package org.instruct4j.rlhf.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** What doctor says of this machine, one labelled line each. */
class DoctorCommandTest {
    @Test
    void theCpuLineSaysTheProcessorOnceLabelled() throws Exception {
        String said = CommandOutput.stdout(() -> new DoctorCommand().run(new String[0]));
        assertThat(said).containsPattern("(?m)^cpu {7}\\S").doesNotContainPattern("(?m)^cpu +cpu");
        assertThat(DoctorCommand.withoutName("cpu (AMD EPYC (family 26, model 2), AVX-512; 2 threads, Vector API 16 float lanes)"))
                .isEqualTo("AMD EPYC (family 26, model 2), AVX-512; 2 threads, Vector API 16 float lanes");
    }
}
