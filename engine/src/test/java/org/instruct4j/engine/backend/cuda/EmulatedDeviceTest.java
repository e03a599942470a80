package org.instruct4j.engine.backend.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The emulated device (emulator/) catches what a GPU would do wrong silently or not at all: a read past a buffer,
 * a race between blocks, a launch beyond an H200's limits, a kernel name the image lacks. Each case drives a real
 * kernel of kernels/src, compiled by the real NVRTC, through CudaDriver. Runs where the emulated device is chosen
 * (the engine's build chooses it); fails if it was chosen and built but does not open.
 */
class EmulatedDeviceTest {
    static CudaDriver driver;
    static MemorySegment elementwise, embedding, layernorm;

    @BeforeAll static void open() throws IOException {
        Path folder = EmulatedDevice.chosen();
        assumeTrue(folder != null, "the emulated CUDA device is not chosen (-D" + EmulatedDevice.PROPERTY + "): skipped");
        Path notBuilt = folder.getParent().resolve("NOT-BUILT");
        assumeTrue(!Files.exists(notBuilt), () -> "the emulated CUDA device was not built: " + readQuietly(notBuilt));
        driver = CudaDriver.get();  // a binding the stand-in cannot satisfy fails here, naming the function
        assertThat(CudaBackend.isAvailable()).as("the chosen emulated device opens").isTrue();
        driver.setCurrent(driver.retainPrimaryContext(driver.device(0)));
        KernelCache cache = new KernelCache(KernelCache.defaultDirectory(), Nvrtc.forDriver(driver.driverVersion()));
        elementwise = driver.loadModule(cache.image(KernelSources.load("elementwise"), "sm_90"));
        embedding = driver.loadModule(cache.image(KernelSources.load("embedding"), "sm_90"));
        layernorm = driver.loadModule(cache.image(KernelSources.load("layernorm"), "sm_90"));
    }

    static String readQuietly(Path file) {
        try { return Files.readString(file).strip(); } catch (IOException e) { return file + " (unreadable)"; }
    }

    static void launch(MemorySegment module, String kernel, int[] grid, int[] block, int shared, Object... args) {
        try (Arena arena = Arena.ofConfined()) {
            driver.launch(kernel, driver.function(module, kernel), grid, block, shared, MemorySegment.NULL, KernelArgs.pack(arena, java.util.List.of(args)));
        }
    }

    static long upload(float[] values) {
        long p = driver.malloc(values.length * 4L);
        try (Arena arena = Arena.ofConfined()) { driver.copyToDevice(p, arena.allocateFrom(Native.FLOAT, values), values.length * 4L); }
        return p;
    }

    static long upload(int[] values) {
        long p = driver.malloc(values.length * 4L);
        try (Arena arena = Arena.ofConfined()) { driver.copyToDevice(p, arena.allocateFrom(Native.INT, values), values.length * 4L); }
        return p;
    }

    @Test void theDeviceSaysItIsEmulated() {
        assertThat(CudaBackend.open(0).describe()).contains("EMULATED");
        assertThat(CudaDoctor.report()).contains("EMULATED CUDA device chosen").contains("nothing runs on a GPU");
    }

    @Test void aReadPastABufferNamesTheKernel() {
        long a = upload(new float[64]), b = upload(new float[64]), out = upload(new float[64]);
        long n = 5000;  // the kernel is told the buffers are longer than they are
        assertThatThrownBy(() -> launch(elementwise, "add_f32", new int[] {20, 1, 1}, new int[] {256, 1, 1}, 0, a, b, out, n, n))
                .isInstanceOf(CudaException.class)
                .hasMessageContaining("CUDA_ERROR_ILLEGAL_ADDRESS").hasMessageContaining("kernel add_f32")
                .hasMessageContaining("past the end of a 256-byte device buffer");
    }

    @Test void blocksWritingTheSameRowAreARace() {
        // Two buckets that name the same table row: each block writes its own sum there, and which one lands
        // depends on the order the blocks run in.
        long dout = upload(new float[] {1f, 2f, 3f, 4f}), dtable = upload(new float[8 * 2]);
        long positions = upload(new int[] {0, 1}), bucketStart = upload(new int[] {0, 1, 2}), bucketId = upload(new int[] {5, 5});
        assertThatThrownBy(() -> launch(embedding, "embedding_backward_f32", new int[] {2, 1, 1}, new int[] {32, 1, 1}, 0,
                dout, positions, bucketStart, bucketId, dtable, 2))
                .isInstanceOf(CudaException.class)
                .hasMessageContaining("kernel embedding_backward_f32 has a race");
        // with distinct rows it runs, and both orders agree
        long distinct = upload(new int[] {5, 6});
        launch(embedding, "embedding_backward_f32", new int[] {2, 1, 1}, new int[] {32, 1, 1}, 0, dout, positions, bucketStart, distinct, dtable, 2);
    }

    @Test void launchesBeyondAnH200sLimitsFail() {
        long buffer = upload(new float[64]);
        Object[] fill = {buffer, 0f, 64L};
        assertThatThrownBy(() -> launch(elementwise, "fill_f32", new int[] {1, 1, 1}, new int[] {1025, 1, 1}, 0, fill))
                .hasMessageContaining("fill_f32: block (1025,1,1) exceeds the device's limits");
        assertThatThrownBy(() -> launch(elementwise, "fill_f32", new int[] {1, 65536, 1}, new int[] {32, 1, 1}, 0, fill))
                .hasMessageContaining("grid (1,65536,1) exceeds");
        // layernorm_backward: 128 bytes of static shared memory (block_sum), dynamic up to 48 KB - 128 without the attribute
        long f = upload(new float[64]);
        Object[] empty = {f, f, f, f, f, f, f, f, 0, 0, 1};
        MemorySegment backward = driver.function(layernorm, "layernorm_backward_f32");
        launch(layernorm, "layernorm_backward_f32", new int[] {1, 1, 1}, new int[] {256, 1, 1}, 48 * 1024 - 128, empty);
        assertThatThrownBy(() -> launch(layernorm, "layernorm_backward_f32", new int[] {1, 1, 1}, new int[] {256, 1, 1}, 48 * 1024, empty))
                .hasMessageContaining("49152 bytes of dynamic shared memory (plus 128 static) exceed the 49024 allowed without");
        driver.setFunctionAttribute(backward, CudaDriver.FUNC_ATTR_MAX_DYNAMIC_SHARED_SIZE_BYTES, 96 * 1024);
        launch(layernorm, "layernorm_backward_f32", new int[] {1, 1, 1}, new int[] {256, 1, 1}, 96 * 1024, empty);
        assertThatThrownBy(() -> driver.setFunctionAttribute(backward, CudaDriver.FUNC_ATTR_MAX_DYNAMIC_SHARED_SIZE_BYTES, 227 * 1024))
                .hasMessageContaining("exceed the 232448 a block may opt in to");
    }

    @Test void aKernelNameTheImageLacksIsNotFound() {
        assertThatThrownBy(() -> driver.function(elementwise, "add_f64"))
                .isInstanceOf(CudaException.class)
                .hasMessageContaining("CUDA_ERROR_NOT_FOUND").hasMessageContaining("no kernel named add_f64");
    }
}
