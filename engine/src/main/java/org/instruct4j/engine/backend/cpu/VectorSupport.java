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

    static {
        if (!AVAILABLE && !Boolean.getBoolean("instruct4j.noVector"))   // an embedder's JVM without the module: say it once
            System.getLogger(VectorSupport.class.getName()).log(System.Logger.Level.WARNING, "jdk.incubator.vector is not in this JVM: "
                    + "the CPU kernels run on plain Java loops, about 4x slower; start the JVM with --add-modules jdk.incubator.vector");
    }

    private VectorSupport() {}
}
