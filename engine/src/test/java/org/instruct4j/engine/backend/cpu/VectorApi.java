package org.instruct4j.engine.backend.cpu;

/**
 * For tests of the Vector API code itself: {@code @EnabledIf(VectorApi.PRESENT)} skips such a class, before its
 * vector fields are touched, on a JVM started without jdk.incubator.vector (the engine then runs on plain loops).
 */
final class VectorApi {
    static final String PRESENT = "org.instruct4j.engine.backend.cpu.VectorApi#present";
    static final String ABSENT = "the JVM was started without --add-modules jdk.incubator.vector: the engine runs its plain loops";

    private VectorApi() {}

    static boolean present() { return VectorSupport.AVAILABLE; }
}
