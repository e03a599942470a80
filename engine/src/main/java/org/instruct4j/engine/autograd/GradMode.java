package org.instruct4j.engine.autograd;

/**
 * Whether ops record the graph. {@code try (var g = GradMode.off()) { ... }} turns recording off for generation
 * and evaluation, and restores what was there before when it closes.
 */
public final class GradMode implements AutoCloseable {
    private static final ThreadLocal<Boolean> ENABLED = ThreadLocal.withInitial(() -> true);
    private final boolean previous;

    private GradMode(boolean enabled) {
        previous = ENABLED.get();
        ENABLED.set(enabled);
    }

    public static boolean isEnabled() { return ENABLED.get(); }

    public static GradMode off() { return new GradMode(false); }

    public static GradMode on() { return new GradMode(true); }

    @Override public void close() { ENABLED.set(previous); }
}
