package org.instruct4j.engine.backend.cuda;

import static org.instruct4j.engine.backend.cuda.Native.INT;
import static org.instruct4j.engine.backend.cuda.Native.LONG;
import static org.instruct4j.engine.backend.cuda.Native.PTR;
import static org.instruct4j.engine.backend.cuda.Native.callStatus;
import static org.instruct4j.engine.backend.cuda.Native.require;
import static org.instruct4j.engine.backend.cuda.Native.status;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * NVRTC (libnvrtc.so.13, then .12): compiles CUDA C source to a cubin for one architecture (--gpu-architecture=sm_XY),
 * or to PTX when the option names a virtual architecture (compute_XY). A failed compile throws with the program log.
 *
 * <p>The driver loads a cubin from an NVRTC of its own CUDA major version or an older one (a newer minor within the
 * major is fine: cubins, unlike PTX, fall under minor version compatibility). So the NVRTC is chosen for the driver:
 * a CUDA 12 driver gets libnvrtc.so.12 even where libnvrtc.so.13 is installed, and an NVRTC whose major is newer
 * than the driver's is refused with what to install.
 */
public final class Nvrtc implements KernelCache.Compiler {
    /** NVRTC sonames newest first; libnvrtc.so (no version) last, checked against the driver once loaded. */
    static final List<Integer> MAJORS = List.of(13, 12);
    /** NVRTC dlopens its builtins (libnvrtc-builtins.so.MAJOR.MINOR) when it compiles; see NativeLibraries. */
    static final String BUILTINS = "libnvrtc-builtins";

    private static volatile Nvrtc instance;

    private final NativeLibraries.Loaded lib;
    private final MethodHandle nvrtcVersion, nvrtcCreateProgram, nvrtcCompileProgram, nvrtcGetProgramLogSize,
            nvrtcGetProgramLog, nvrtcGetCUBINSize, nvrtcGetCUBIN, nvrtcGetPTXSize, nvrtcGetPTX, nvrtcDestroyProgram,
            nvrtcGetErrorString;

    private Nvrtc(NativeLibraries.Loaded lib) {
        this.lib = lib;
        nvrtcVersion = require(lib, "nvrtcVersion", status(PTR, PTR));
        nvrtcCreateProgram = require(lib, "nvrtcCreateProgram", status(PTR, PTR, PTR, INT, PTR, PTR));
        nvrtcCompileProgram = require(lib, "nvrtcCompileProgram", status(PTR, INT, PTR));
        nvrtcGetProgramLogSize = require(lib, "nvrtcGetProgramLogSize", status(PTR, PTR));
        nvrtcGetProgramLog = require(lib, "nvrtcGetProgramLog", status(PTR, PTR));
        nvrtcGetCUBINSize = require(lib, "nvrtcGetCUBINSize", status(PTR, PTR));
        nvrtcGetCUBIN = require(lib, "nvrtcGetCUBIN", status(PTR, PTR));
        nvrtcGetPTXSize = require(lib, "nvrtcGetPTXSize", status(PTR, PTR));
        nvrtcGetPTX = require(lib, "nvrtcGetPTX", status(PTR, PTR));
        nvrtcDestroyProgram = require(lib, "nvrtcDestroyProgram", status(PTR));
        nvrtcGetErrorString = require(lib, "nvrtcGetErrorString", FunctionDescriptor.of(PTR, INT));
    }

    /**
     * The NVRTC for a driver of CUDA version driverVersion (major * 1000 + minor * 10, as cuDriverGetVersion gives),
     * loaded once per JVM; throws naming the versions when the only NVRTC found is too new for the driver.
     */
    public static Nvrtc forDriver(int driverVersion) {
        Nvrtc n = instance;
        if (n == null) {
            synchronized (Nvrtc.class) {
                if (instance == null) instance = new Nvrtc(NativeLibraries.load("NVRTC", sonames(driverVersion), BUILTINS));
                n = instance;
            }
        }
        String problem = incompatibility(n.version(), driverVersion);
        if (problem != null) throw new CudaException(problem);
        return n;
    }

    /** The NVRTC in folder (libnvrtc.so.13 or .12 and its builtins), not a JVM-wide instance. */
    public static Nvrtc loadFrom(Path folder) {
        return new Nvrtc(NativeLibraries.loadFrom(folder, "NVRTC",
                MAJORS.stream().map(m -> "libnvrtc.so." + m).toList(), BUILTINS));
    }

    /** The sonames worth trying for a driver: NVRTC of the driver's major version or older, newest first. */
    static List<String> sonames(int driverVersion) { return NativeLibraries.forDriver("libnvrtc.so", MAJORS, driverVersion); }

    /** Null when cubins of NVRTC {major, minor} load on the driver; else what is wrong and what to do about it. */
    static String incompatibility(Version nvrtc, int driverVersion) {
        int driverMajor = driverVersion / 1000;
        if (nvrtc.major() <= driverMajor) return null;
        return "NVRTC " + nvrtc + " is newer than the CUDA driver (CUDA " + driverMajor + "." + (driverVersion % 1000) / 10
                + "): the driver cannot load its cubins. Install NVRTC " + driverMajor + ".x (e.g. pip install nvidia-cuda-nvrtc-cu"
                + driverMajor + " and put its lib folder in LD_LIBRARY_PATH) or a driver for CUDA " + nvrtc.major() + ".";
    }

    public String loadedFrom() { return lib.from(); }

    String describe(int status) {
        String s = Native.string((MemorySegment) Native.call(nvrtcGetErrorString, status));
        return s == null ? "nvrtcResult " + status : s;
    }

    private void check(String call, int status) { CudaException.check("NVRTC", call, status, this::describe); }

    /** An NVRTC release, as nvrtcVersion gives it. */
    public record Version(int major, int minor) {
        @Override public String toString() { return major + "." + minor; }
    }

    public Version version() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment major = arena.allocate(INT), minor = arena.allocate(INT);
            check("nvrtcVersion", callStatus(nvrtcVersion, major, minor));
            return new Version(major.get(INT, 0), minor.get(INT, 0));
        }
    }

    /** "NVRTC 13.1": part of the kernel cache key, since another release makes another image. */
    @Override public String release() { return "NVRTC " + version(); }

    @Override public byte[] compile(String name, String source, Map<String, String> headers, List<String> options) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment prog = arena.allocate(PTR);
            MemorySegment headerSources = arena.allocate(PTR, Math.max(1, headers.size()));
            MemorySegment headerNames = arena.allocate(PTR, Math.max(1, headers.size()));
            int h = 0;
            for (var e : headers.entrySet()) {
                headerNames.setAtIndex(PTR, h, arena.allocateFrom(e.getKey()));
                headerSources.setAtIndex(PTR, h, arena.allocateFrom(e.getValue()));
                h++;
            }
            check("nvrtcCreateProgram(" + name + ")", callStatus(nvrtcCreateProgram, prog, arena.allocateFrom(source),
                    arena.allocateFrom(name), headers.size(), headerSources, headerNames));
            MemorySegment program = prog.get(PTR, 0);
            try {
                MemorySegment opts = arena.allocate(PTR, Math.max(1, options.size()));
                for (int i = 0; i < options.size(); i++) opts.setAtIndex(PTR, i, arena.allocateFrom(options.get(i)));
                int status = callStatus(nvrtcCompileProgram, program, options.size(), opts);
                if (status != 0)
                    throw new CudaException("NVRTC could not compile " + name + " with " + options + ": " + describe(status)
                            + "\n" + log(arena, program), status);
                boolean ptx = options.stream().anyMatch(o -> o.contains("compute_"));
                MemorySegment size = arena.allocate(LONG);
                check(ptx ? "nvrtcGetPTXSize" : "nvrtcGetCUBINSize", callStatus(ptx ? nvrtcGetPTXSize : nvrtcGetCUBINSize, program, size));
                MemorySegment image = arena.allocate(size.get(LONG, 0));
                check(ptx ? "nvrtcGetPTX" : "nvrtcGetCUBIN", callStatus(ptx ? nvrtcGetPTX : nvrtcGetCUBIN, program, image));
                return image.toArray(Native.BYTE);
            } finally {
                callStatus(nvrtcDestroyProgram, prog);
            }
        }
    }

    private String log(Arena arena, MemorySegment program) {
        MemorySegment size = arena.allocate(LONG);
        if (callStatus(nvrtcGetProgramLogSize, program, size) != 0) return "(no log)";
        MemorySegment text = arena.allocate(Math.max(1, size.get(LONG, 0)));
        if (callStatus(nvrtcGetProgramLog, program, text) != 0) return "(no log)";
        return text.getString(0);
    }
}
