package org.instruct4j.engine.backend.cuda;

import java.util.ArrayList;
import java.util.List;

/**
 * What `instruct4j doctor` prints about CUDA: the driver version, each GPU's name, compute capability and memory,
 * which libraries loaded from where, and whether each kernel file compiles for the GPU; or why there is no GPU.
 * Never throws: every failure becomes a line of the report.
 */
public final class CudaDoctor {
    private CudaDoctor() {}

    public static String report() {
        List<String> lines = new ArrayList<>();
        if (EmulatedDevice.describeChoice() != null) lines.add(EmulatedDevice.describeChoice());
        CudaDriver driver;
        try {
            driver = CudaDriver.get();
            int v = driver.driverVersion();
            lines.add("CUDA driver: " + driver.loadedFrom() + ", CUDA " + v / 1000 + "." + (v % 1000) / 10);
        } catch (Throwable t) {
            lines.addAll(said("no CUDA: ", t));
            return String.join("\n", lines);
        }
        String arch = null;
        try {
            int count = driver.deviceCount();
            if (count == 0) lines.add("no CUDA device visible (CUDA_VISIBLE_DEVICES?)");
            for (int i = 0; i < count; i++) {
                int dev = driver.device(i);
                int major = driver.attribute(CudaDriver.ATTR_COMPUTE_CAPABILITY_MAJOR, dev);
                int minor = driver.attribute(CudaDriver.ATTR_COMPUTE_CAPABILITY_MINOR, dev);
                if (i == 0) arch = "sm_" + major + minor;
                lines.add(String.format("cuda:%d %s, compute capability %d.%d, %d SMs, %.1f GiB", i, driver.deviceName(dev), major, minor,
                        driver.attribute(CudaDriver.ATTR_MULTIPROCESSOR_COUNT, dev), driver.totalMemory(dev) / (double) (1L << 30)));
            }
        } catch (Throwable t) {
            lines.add("device query failed: " + t.getMessage());
        }
        Nvrtc nvrtc = null;
        try {
            nvrtc = Nvrtc.forDriver(driver.driverVersion());
            lines.add(nvrtc.release() + ": " + nvrtc.loadedFrom());
        } catch (Throwable t) {
            lines.addAll(said("NVRTC unusable: ", t));
        }
        try {
            lines.add("cuBLAS: " + CuBlas.forDriver(driver.driverVersion()).loadedFrom());
        } catch (Throwable t) {
            lines.addAll(said("cuBLAS missing: ", t));
        }
        if (nvrtc != null && arch != null) {
            KernelCache cache = new KernelCache(KernelCache.defaultDirectory(), nvrtc);
            lines.add("kernel cache: " + KernelCache.defaultDirectory());
            for (String module : KernelSources.MODULES) {
                try {
                    long t0 = System.nanoTime();
                    byte[] image = cache.image(KernelSources.load(module), arch);
                    lines.add(String.format("  %-13s ok for %s (%d bytes, %.0f ms)", module + ".cu", arch, image.length, (System.nanoTime() - t0) / 1e6));
                } catch (Throwable t) {
                    lines.add("  " + module + ".cu FAILED: " + t.getMessage());
                }
            }
        }
        return String.join("\n", lines);
    }

    /**
     * A failure as lines of the report, after its label: a library that did not load as what it is on the first line,
     * then each place tried on a line of its own and the advice (one line of ten paths and reasons could not be read).
     */
    static List<String> said(String label, Throwable t) {
        NativeLibraries.NotLoaded missing = t instanceof CudaException e ? e.notLoaded() : null;
        if (missing == null) return List.of(label + t.getMessage());
        List<String> lines = new ArrayList<>();
        lines.add(label + missing.headline());
        lines.add("  tried, in order:");
        for (String place : missing.tried()) lines.add("    " + place);
        if (!missing.advice().isEmpty()) lines.add("  " + missing.advice());
        return lines;
    }
}
