package org.instruct4j.engine.backend.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Marshals kernel arguments into the void*[] cuLaunchKernel takes. A CudaBuffer or a Long is a 64-bit value (a device
 * pointer, or a long long); an Integer a 32-bit int; a Float a 32-bit float. 0L passes a null pointer.
 */
final class KernelArgs {
    private KernelArgs() {}

    static MemorySegment pack(Arena arena, Object... args) {
        MemorySegment array = arena.allocate(Native.PTR, Math.max(1, args.length));
        for (int i = 0; i < args.length; i++) {
            Object a = args[i];
            MemorySegment value = switch (a) {
                case CudaBuffer b -> arena.allocateFrom(Native.LONG, b.pointer());
                case Long l -> arena.allocateFrom(Native.LONG, l);
                case Integer n -> arena.allocateFrom(Native.INT, n);
                case Float f -> arena.allocateFrom(Native.FLOAT, f);
                case null -> throw new IllegalArgumentException("kernel argument " + i + " is null (pass 0L for a null pointer)");
                default -> throw new IllegalArgumentException("kernel argument " + i + " has unsupported type " + a.getClass().getSimpleName());
            };
            array.setAtIndex(Native.PTR, i, value);
        }
        return array;
    }
}
