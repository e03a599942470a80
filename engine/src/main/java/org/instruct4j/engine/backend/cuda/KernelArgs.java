package org.instruct4j.engine.backend.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * Marshals kernel arguments into the void*[] cuLaunchKernel takes. A CudaBuffer or a Long is a 64-bit value (a device
 * pointer, or a long long); an Integer a 32-bit int; a Float a 32-bit float. 0L passes a null pointer.
 */
final class KernelArgs {
    private KernelArgs() {}

    /** The width in bytes the kernel parameter bound to arg must have. */
    static int bytes(Object arg, int index) {
        return switch (arg) {
            case CudaBuffer b -> 8;
            case Long l -> 8;
            case Integer n -> 4;
            case Float f -> 4;
            case null -> throw new IllegalArgumentException("kernel argument " + index + " is null (pass 0L for a null pointer)");
            default -> throw new IllegalArgumentException("kernel argument " + index + " has unsupported type " + arg.getClass().getSimpleName());
        };
    }

    static MemorySegment pack(Arena arena, List<?> args) {
        MemorySegment array = arena.allocate(Native.PTR, Math.max(1, args.size()));
        for (int i = 0; i < args.size(); i++) {
            Object a = args.get(i);
            bytes(a, i);  // rejects what cannot be passed, naming the argument
            MemorySegment value = switch (a) {
                case CudaBuffer b -> arena.allocateFrom(Native.LONG, b.pointer());
                case Long l -> arena.allocateFrom(Native.LONG, l);
                case Integer n -> arena.allocateFrom(Native.INT, n);
                case Float f -> arena.allocateFrom(Native.FLOAT, f);
                default -> throw new AssertionError(a);
            };
            array.setAtIndex(Native.PTR, i, value);
        }
        return array;
    }
}
