package org.instruct4j.engine.backend.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class ProcessorTest {

    @Test
    void readsTheFirstProcessorBlock() {
        List<String> cpuinfo = List.of("processor\t: 0", "vendor_id\t: AuthenticAMD", "cpu family\t: 25",
                "model\t\t: 1", "model name\t: AMD EPYC 7B13", "flags\t\t: fpu sse sse2 avx fma avx2 bmi2",
                "", "processor\t: 1", "model name\t: something else");
        Processor p = Processor.parse(cpuinfo);
        assertThat(p).isEqualTo(new Processor("AMD EPYC 7B13", "25", "1", "AVX2"));
        assertThat(p.describe()).isEqualTo("AMD EPYC 7B13 (family 25, model 1), AVX2");
    }

    @Test
    void namesTheWidestVectorsAndWhatItCannotRead() {
        assertThat(Processor.parse(List.of("flags : sse2 avx2 avx512f avx512bw")).vectors()).isEqualTo("AVX-512");
        assertThat(Processor.parse(List.of("flags : sse sse2")).vectors()).isEqualTo("SSE2");
        assertThat(Processor.parse(List.of()).describe()).isEqualTo("unknown (family unknown, model unknown), unknown");
    }
}
