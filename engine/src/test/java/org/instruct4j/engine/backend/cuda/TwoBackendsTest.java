package org.instruct4j.engine.backend.cuda;

import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.instruct4j.engine.DType;
import org.instruct4j.engine.backend.Buffer;
import org.junit.jupiter.api.Test;

/**
 * Two backends on one device have two streams, which a GPU does not order against each other: a buffer of one is
 * refused by the other, where the emulated device (every call in order) would have let the race pass.
 */
class TwoBackendsTest {
    @Test void aBackendRefusesAnotherBackendsBuffer() {
        assumeTrue(CudaBackend.isAvailable(), "no CUDA GPU on this machine (libcuda or a device is missing): two-backends test skipped");
        CudaBackend first = (CudaBackend) CudaBackend.open(0), second = (CudaBackend) CudaBackend.open(0);
        try (Buffer b = first.allocate(DType.F32, 4)) {
            first.fill(b, 1f);
            assertThatThrownBy(() -> second.fill(b, 2f)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("another CUDA backend").hasMessageContaining("another stream");
        }
    }
}
