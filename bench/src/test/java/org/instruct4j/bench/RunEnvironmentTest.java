package org.instruct4j.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;

class RunEnvironmentTest {
    @Test
    void everySettingIsSaidSetOrUnset() {
        assertEquals("MALLOC_MMAP_THRESHOLD_=268435456, MALLOC_TRIM_THRESHOLD_ unset, MALLOC_TOP_PAD_ unset,"
                + " OMP_WAIT_POLICY=PASSIVE, OPENBLAS_THREAD_TIMEOUT unset, OPENBLAS_CORETYPE unset, ATEN_CPU_CAPABILITY unset,"
                + " MKL_ENABLE_INSTRUCTIONS unset, INSTRUCT4J_THREADS unset",
                RunEnvironment.settings(Map.of("MALLOC_MMAP_THRESHOLD_", "268435456", "OMP_WAIT_POLICY", "PASSIVE",
                        "HOME", "/root")));
    }
}
