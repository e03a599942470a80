package org.instruct4j.engine.backend.cpu;

/**
 * Whether the CPU kernels use the Vector API: jdk.incubator.vector is in the boot layer and its vectors hold at least
 * 4 floats (the row sums fold their 16 running lanes from 4, 8 or 16; only a JVM told -XX:MaxVectorSize=8 has fewer).
 * Kernel classes that use the Vector API are only touched when it is, so the engine still runs (on plain loops) on a
 * JVM started without --add-modules.
 */
public final class VectorSupport {
    private static final boolean MODULE = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()
            && !Boolean.getBoolean("instruct4j.noVector");
    private static final int PREFERRED_LANES = MODULE ? VectorLanes.floatLanes() : 0;
    public static final boolean AVAILABLE = PREFERRED_LANES >= 4;
    /** Floats per vector register of the preferred species (8 on AVX2), or 1 without the Vector API. */
    public static final int FLOAT_LANES = AVAILABLE ? PREFERRED_LANES : 1;

    static {
        System.Logger log = System.getLogger(VectorSupport.class.getName());
        if (!MODULE && !Boolean.getBoolean("instruct4j.noVector"))   // an embedder's JVM without the module: say it once
            log.log(System.Logger.Level.WARNING, "jdk.incubator.vector is not in this JVM: "
                    + "the CPU kernels run on plain Java loops (the same results), 3-7x slower; start the JVM with --add-modules jdk.incubator.vector");
        else if (MODULE && !AVAILABLE)
            log.log(System.Logger.Level.WARNING, "this JVM's vectors hold " + PREFERRED_LANES + " floats (-XX:MaxVectorSize?) "
                    + "and the CPU kernels need at least 4: they run on plain Java loops (the same results), 3-7x slower");
    }

    private VectorSupport() {}
}
