package org.instruct4j.engine.backend.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.instruct4j.engine.Bf16;

/** The parts of the native bindings that need no GPU: library search order, status mapping, bf16 rounding. */
class BindingLogicTest {
    @Test void sonamesAreTriedNewestFirstAndEachInEveryPlace() {
        List<String> c = NativeLibraries.candidates(List.of("libnvrtc.so.13", "libnvrtc.so.12"), Map.of("CUDA_HOME", "/opt/cuda"));
        assertThat(c.get(0)).isEqualTo("libnvrtc.so.13");
        assertThat(c.get(1)).isEqualTo("/opt/cuda/lib64/libnvrtc.so.13");
        assertThat(c.indexOf("/usr/local/cuda/lib64/libnvrtc.so.13")).isLessThan(c.indexOf("libnvrtc.so.12"));
        assertThat(c.indexOf("/usr/lib/x86_64-linux-gnu/libnvrtc.so.13")).isLessThan(c.indexOf("libnvrtc.so.12"));
        assertThat(c).contains("/usr/lib/x86_64-linux-gnu/libnvrtc.so.12");
        assertThat(c).doesNotHaveDuplicates();
    }

    @Test void cudaPathCountsToo() {
        assertThat(NativeLibraries.candidates(List.of("libcublas.so.12"), Map.of("CUDA_PATH", "/x")))
                .contains("/x/lib64/libcublas.so.12", "/x/lib/libcublas.so.12");
    }

    @Test void aMissingLibraryNamesEveryPlaceTried() {
        assertThatThrownBy(() -> NativeLibraries.load("the test library", List.of("libinstruct4j-absent.so.13", "libinstruct4j-absent.so.12"), null,
                Map.of("CUDA_HOME", "/nonexistent-cuda")))
                .isInstanceOf(CudaException.class)
                .hasMessageContaining("the test library")
                .hasMessageContaining("libinstruct4j-absent.so.13")
                .hasMessageContaining("/nonexistent-cuda/lib64/libinstruct4j-absent.so.12")
                .hasMessageContaining("/usr/local/cuda/lib64/libinstruct4j-absent.so.12");
    }

    @Test void companionsAreTheFilesBesideTheLibraryWithItsVersion(@TempDir Path dir) throws IOException {
        for (String f : List.of("libnvrtc.so.13", "libnvrtc-builtins.so.13.1", "libnvrtc-builtins.so.12.4", "libcublas.so.13"))
            Files.createFile(dir.resolve(f));
        assertThat(NativeLibraries.companions(dir.resolve("libnvrtc.so.13"), "libnvrtc-builtins"))
                .containsExactly(dir.resolve("libnvrtc-builtins.so.13.1"));
        assertThat(NativeLibraries.companions(dir.resolve("libnvrtc.so.12"), "libnvrtc-builtins"))
                .containsExactly(dir.resolve("libnvrtc-builtins.so.12.4"));
    }

    @Test void nvrtcIsChosenForTheDriversMajorVersion() {
        assertThat(Nvrtc.sonames(13000)).containsExactly("libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so");
        assertThat(Nvrtc.sonames(12040)).as("a CUDA 12.4 driver cannot load NVRTC 13's cubins").containsExactly("libnvrtc.so.12", "libnvrtc.so");
        assertThat(CuBlas.sonames(13000)).containsExactly("libcublas.so.13", "libcublas.so.12", "libcublas.so");
        assertThat(CuBlas.sonames(12080)).as("cuBLAS 13 does not start on a CUDA 12 driver").containsExactly("libcublas.so.12", "libcublas.so");
    }

    @Test void anNvrtcNewerThanTheDriverIsRefusedWithWhatToInstall() {
        assertThat(Nvrtc.incompatibility(new Nvrtc.Version(12, 8), 12040)).as("a newer minor: cubins are minor-version compatible").isNull();
        assertThat(Nvrtc.incompatibility(new Nvrtc.Version(12, 4), 13000)).isNull();
        assertThat(Nvrtc.incompatibility(new Nvrtc.Version(13, 1), 12040))
                .contains("NVRTC 13.1 is newer than the CUDA driver (CUDA 12.4)")
                .contains("nvidia-cuda-nvrtc-cu12");
    }

    @Test void aFailedStatusNamesTheCallTheErrorAndTheCode() {
        CudaException.check("CUDA driver", "cuInit", 0, s -> { throw new AssertionError("success is not described"); });
        assertThatThrownBy(() -> CudaException.check("CUDA driver", "cuMemAlloc_v2", 2, s -> "CUDA_ERROR_OUT_OF_MEMORY (out of memory)"))
                .isInstanceOf(CudaException.class)
                .hasMessage("cuMemAlloc_v2 failed: CUDA_ERROR_OUT_OF_MEMORY (out of memory) [CUDA driver status 2]")
                .extracting(e -> ((CudaException) e).status()).isEqualTo(2);
    }

    /** On a GPU a kernel's fault surfaces at a later call, and every call after it fails: the message says so. */
    @Test void aKernelFaultSaysTheContextIsLostAndHowToNameTheKernel() {
        assertThatThrownBy(() -> CudaException.check("CUDA driver", "cuMemcpyDtoH_v2", 700, s -> "CUDA_ERROR_ILLEGAL_ADDRESS"))
                .hasMessageStartingWith("cuMemcpyDtoH_v2 failed: CUDA_ERROR_ILLEGAL_ADDRESS [CUDA driver status 700]; a kernel")
                .hasMessageContaining("context is lost").hasMessageContaining("-Dinstruct4j.cuda.syncLaunches=true");
        assertThat(CudaException.isKernelFault(719)).isTrue();
        assertThat(CudaException.isKernelFault(2)).as("out of memory is not a fault").isFalse();
    }

    @Test void aDescriberThatFailsStillGivesTheCode() {
        assertThatThrownBy(() -> CudaException.check("cuBLAS", "cublasCreate_v2", 1, s -> { throw new IllegalStateException("x"); }))
                .hasMessage("cublasCreate_v2 failed: unknown status [cuBLAS status 1]");
    }

    @Test void statusTablesNameTheCommonCodes() {
        assertThat(StatusNames.cublas(15)).startsWith("CUBLAS_STATUS_NOT_SUPPORTED");
        assertThat(StatusNames.cublas(7)).startsWith("CUBLAS_STATUS_INVALID_VALUE");
        assertThat(StatusNames.cublas(99)).isEqualTo("CUBLAS status 99");
        assertThat(StatusNames.driver(700)).isEqualTo("CUDA_ERROR_ILLEGAL_ADDRESS");
        assertThat(StatusNames.driver(100)).isEqualTo("CUDA_ERROR_NO_DEVICE");
    }

    @Test void bf16RoundsToNearestEven() {
        assertThat(Bf16.toFloat(Bf16.fromFloat(1f))).isEqualTo(1f);
        assertThat(Bf16.toFloat(Bf16.fromFloat(-2.5f))).isEqualTo(-2.5f);
        float halfway = Float.intBitsToFloat(0x3f808000);  // exactly between two bf16 values: ties to even (down)
        assertThat(Bf16.toFloat(Bf16.fromFloat(halfway))).isEqualTo(Float.intBitsToFloat(0x3f800000));
        float above = Float.intBitsToFloat(0x3f808001);
        assertThat(Bf16.toFloat(Bf16.fromFloat(above))).isEqualTo(Float.intBitsToFloat(0x3f810000));
        assertThat(Bf16.toFloat(Bf16.fromFloat(Float.NaN))).isNaN();
        assertThat(Bf16.toFloat(Bf16.fromFloat(Float.POSITIVE_INFINITY))).isEqualTo(Float.POSITIVE_INFINITY);
        java.util.Random r = new java.util.Random(1);
        for (int i = 0; i < 1000; i++) {
            float x = (float) r.nextGaussian() * 100;
            assertThat(Math.abs(Bf16.toFloat(Bf16.fromFloat(x)) - x)).isLessThanOrEqualTo(Math.abs(x) / 256);
        }
    }

    @Test void kernelArgsRejectNullAndUnknownTypes() {
        try (var arena = java.lang.foreign.Arena.ofConfined()) {
            var packed = KernelArgs.pack(arena, java.util.List.of(5, 2.5f, 7L));
            assertThat(packed.getAtIndex(Native.PTR, 0).reinterpret(4).get(Native.INT, 0)).isEqualTo(5);
            assertThat(packed.getAtIndex(Native.PTR, 1).reinterpret(4).get(Native.FLOAT, 0)).isEqualTo(2.5f);
            assertThat(packed.getAtIndex(Native.PTR, 2).reinterpret(8).get(Native.LONG, 0)).isEqualTo(7L);
            assertThatThrownBy(() -> KernelArgs.pack(arena, java.util.Arrays.asList(1, null))).hasMessageContaining("argument 1 is null");
            assertThatThrownBy(() -> KernelArgs.pack(arena, List.of("x"))).hasMessageContaining("String");
        }
    }
}
