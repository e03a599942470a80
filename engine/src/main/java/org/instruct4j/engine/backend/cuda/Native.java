package org.instruct4j.engine.backend.cuda;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/** Small helpers shared by the three bindings: finding a function, calling it, reading C strings. */
final class Native {
    static final Linker LINKER = Linker.nativeLinker();
    static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;
    static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT;
    static final ValueLayout.OfByte BYTE = ValueLayout.JAVA_BYTE;
    static final java.lang.foreign.AddressLayout PTR = ValueLayout.ADDRESS;

    private Native() {}

    /** A downcall to name returning an int status, or null when the library lacks it (optional functions). */
    static MethodHandle find(NativeLibraries.Loaded lib, String name, FunctionDescriptor fd) {
        return lib.symbols().find(name).map(s -> LINKER.downcallHandle(s, fd)).orElse(null);
    }

    static MethodHandle require(NativeLibraries.Loaded lib, String name, FunctionDescriptor fd) {
        MethodHandle h = find(lib, name, fd);
        if (h == null) throw new CudaException(lib.from() + " has no function " + name + " (library too old?)");
        return h;
    }

    static FunctionDescriptor status(java.lang.foreign.MemoryLayout... args) { return FunctionDescriptor.of(INT, args); }

    static Object call(MethodHandle h, Object... args) {
        try {
            return h.invokeWithArguments(args);
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    /** What a downcall threw, as it goes on: unchecked ones as they are, anything else in a CudaException. */
    static RuntimeException failed(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new CudaException("native call failed: " + t);
    }

    static int callStatus(MethodHandle h, Object... args) { return (int) call(h, args); }

    /** The NUL-terminated string at a char* returned by a library (null pointer gives null). */
    static String string(MemorySegment charPointer) {
        if (charPointer == null || charPointer.equals(MemorySegment.NULL)) return null;
        return charPointer.reinterpret(Long.MAX_VALUE).getString(0);
    }
}
