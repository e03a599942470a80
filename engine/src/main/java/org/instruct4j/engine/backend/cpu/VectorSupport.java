package org.instruct4j.engine.backend.cpu;

/**
 * Whether jdk.incubator.vector is in the boot layer. Kernel classes that use the Vector API are only touched
 * when it is, so the engine still runs (on plain loops) on a JVM started without --add-modules.
 */
public final class VectorSupport {
    public static final boolean AVAILABLE = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()
            && !Boolean.getBoolean("instruct4j.noVector");
    /** Floats per vector register of the preferred species (8 on AVX2), or 1 without the Vector API. */
    public static final int FLOAT_LANES = AVAILABLE ? VectorLanes.floatLanes() : 1;

    private VectorSupport() {}
}
