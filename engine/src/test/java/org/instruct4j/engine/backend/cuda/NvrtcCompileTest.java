package org.instruct4j.engine.backend.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every kernel file compiles with a real NVRTC through the project's own binding and kernel cache, for the two GPU
 * generations the backend targets (A100: sm_80, H100/H200: sm_90). No GPU needed: NVRTC is a plain library.
 */
class NvrtcCompileTest {
    @TempDir Path cacheDir;

    @Test void theBindingReportsTheLoadedRelease() {
        Nvrtc nvrtc = RealNvrtc.get();
        assertThat(nvrtc.version().major()).isEqualTo(13);
        assertThat(nvrtc.release()).isEqualTo("NVRTC " + nvrtc.version()).startsWith("NVRTC 13.");
        assertThat(nvrtc.loadedFrom()).endsWith("/libnvrtc.so.13");
    }

    @Test void everyKernelFileCompilesToACubinForSm80AndSm90() {
        KernelCache cache = new KernelCache(cacheDir, RealNvrtc.get());
        for (String module : KernelSources.MODULES)
            for (String arch : new String[] {"sm_80", "sm_90"}) {
                byte[] cubin = cache.image(KernelSources.load(module), arch);
                assertThat(cubin).as(module + ".cu for " + arch + ": an ELF image").startsWith(0x7f, 'E', 'L', 'F');
            }
        assertThat(cache.misses()).isEqualTo(2 * KernelSources.MODULES.size());
    }
}
