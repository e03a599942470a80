package org.instruct4j.engine.backend.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How a library that did not load is said: in one line by the exception, by doctor what on a short line, then each place tried on one of its own. */
class CudaDoctorTest {
    /** A real failure of NativeLibraries (libraries no machine has, no CUDA_HOME), so that the message read is the one it writes. */
    private static CudaException notLoaded() {
        return catchThrowableOfType(CudaException.class, () -> NativeLibraries.load("the CUDA driver (libcuda)",
                List.of("libinstruct4j-absent.so.1", "libinstruct4j-absent.so"), null, Map.of()));
    }

    @Test
    void aLibraryThatDidNotLoadIsCarriedInItsParts() {
        NativeLibraries.NotLoaded missing = notLoaded().notLoaded();
        assertThat(missing.headline()).isEqualTo("could not load the CUDA driver (libcuda)");
        assertThat(missing.tried()).hasSize(2 * 5).first().asString().startsWith("libinstruct4j-absent.so.1 (dynamic loader search: ");
        assertThat(missing.tried()).contains("/usr/local/cuda/lib64/libinstruct4j-absent.so (absent)");
        assertThat(missing.advice()).isEqualTo("Install the CUDA toolkit or driver, or set CUDA_HOME / LD_LIBRARY_PATH.");
        assertThat(new CudaException("cuInit failed: CUDA_ERROR_NO_DEVICE (no CUDA-capable device is detected)").notLoaded()).isNull();
        assertThat(notLoaded()).hasMessageStartingWith("could not load the CUDA driver (libcuda); tried, in order: libinstruct4j-absent.so.1 (")
                .hasMessageEndingWith("(absent). Install the CUDA toolkit or driver, or set CUDA_HOME / LD_LIBRARY_PATH.");
    }

    @Test
    void theReportSaysAMissingLibraryOnAShortLineAndThePlacesTriedBelow() {
        List<String> lines = CudaDoctor.said("no CUDA: ", notLoaded());
        assertThat(lines.getFirst()).isEqualTo("no CUDA: could not load the CUDA driver (libcuda)");
        assertThat(lines.get(1)).isEqualTo("  tried, in order:");
        assertThat(lines.subList(2, 12)).allMatch(l -> l.startsWith("    ") && l.contains("libinstruct4j-absent.so"));
        assertThat(lines).hasSize(13).last().isEqualTo("  Install the CUDA toolkit or driver, or set CUDA_HOME / LD_LIBRARY_PATH.");
        assertThat(lines).allMatch(l -> l.length() < 120, "no line longer than a terminal");
        // any other failure stays as it was said
        assertThat(CudaDoctor.said("cuBLAS missing: ", new CudaException("cublasCreate failed"))).containsExactly("cuBLAS missing: cublasCreate failed");
    }
}
