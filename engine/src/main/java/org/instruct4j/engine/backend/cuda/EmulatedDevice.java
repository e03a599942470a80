package org.instruct4j.engine.backend.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The emulated CUDA device (emulator/ in the repository): stand-ins for libcuda.so.1 and libcublas.so.13 that run
 * the kernels of kernels/src, compiled for the host, on the CPU. Chosen only explicitly, never in place of a GPU:
 * the system property instruct4j.cuda.emulator, else the environment variable INSTRUCT4J_CUDA_EMULATOR, names
 * the folder holding the two libraries (emulator/target/lib after emulator/build.sh). NVRTC stays the real one.
 */
public final class EmulatedDevice {
    public static final String PROPERTY = "instruct4j.cuda.emulator", ENVIRONMENT = "INSTRUCT4J_CUDA_EMULATOR";
    private static final List<String> STAND_INS = List.of("libcuda.so.1", "libcublas.so.13");

    private EmulatedDevice() {}

    /** The folder of the stand-in libraries when the emulated device is chosen, else null. */
    public static Path chosen() { return chosen(System.getProperty(PROPERTY), System.getenv()); }

    static Path chosen(String property, Map<String, String> env) {
        String folder = property != null && !property.isBlank() ? property : env.get(ENVIRONMENT);
        return folder == null || folder.isBlank() ? null : Path.of(folder);
    }

    /** How the device was chosen, for `instruct4j doctor`; null when it was not. */
    public static String describeChoice() {
        Path folder = chosen();
        if (folder == null) return null;
        String property = System.getProperty(PROPERTY);
        String how = property != null && !property.isBlank() ? "-D" + PROPERTY : ENVIRONMENT;
        return "EMULATED CUDA device chosen by " + how + "=" + folder + ": kernels run on the CPU, nothing runs on a GPU";
    }

    /**
     * The stand-in for the library with these sonames when the emulated device is chosen and it is one the emulator
     * replaces (the driver, cuBLAS); null otherwise, so the real library is looked for as usual.
     */
    static NativeLibraries.Loaded standIn(String name, List<String> sonames) {
        Path folder = chosen();
        if (folder == null) return null;
        for (String standIn : STAND_INS) {
            if (!sonames.contains(standIn)) continue;
            Path library = folder.resolve(standIn).toAbsolutePath();
            if (!Files.isRegularFile(library))
                throw new CudaException("the emulated CUDA device was chosen (" + PROPERTY + " / " + ENVIRONMENT + " = " + folder
                        + ") but " + library + " is missing: build it with emulator/build.sh (needs gcc, g++, make and the CUDA headers)");
            return new NativeLibraries.Loaded(name, SymbolLookup.libraryLookup(library, Arena.global()), library + " (EMULATED device)");
        }
        return null;
    }
}
