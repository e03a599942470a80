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
import java.util.List;
import java.util.Map;

/**
 * NVRTC (libnvrtc.so.13, then .12): compiles CUDA C source to a cubin for one architecture (--gpu-architecture=sm_XY),
 * or to PTX when the option names a virtual architecture (compute_XY). A failed compile throws with the program log.
 */
public final class Nvrtc implements KernelCache.Compiler {
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

    public static Nvrtc get() {
        Nvrtc n = instance;
        if (n != null) return n;
        synchronized (Nvrtc.class) {
            if (instance == null)
                instance = new Nvrtc(NativeLibraries.load("NVRTC", List.of("libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so")));
            return instance;
        }
    }

    public String loadedFrom() { return lib.from(); }

    String describe(int status) {
        String s = Native.string((MemorySegment) Native.call(nvrtcGetErrorString, status));
        return s == null ? "nvrtcResult " + status : s;
    }

    private void check(String call, int status) { CudaException.check("NVRTC", call, status, this::describe); }

    /** {major, minor}. */
    public int[] version() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment major = arena.allocate(INT), minor = arena.allocate(INT);
            check("nvrtcVersion", callStatus(nvrtcVersion, major, minor));
            return new int[] {major.get(INT, 0), minor.get(INT, 0)};
        }
    }

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
