package org.instruct4j.engine;

/**
 * The engine's random numbers: a SplitMix64 stream whose whole state is one long, so a checkpoint can save it
 * and a resumed run continues the same sequence. Same seed, same numbers, on every JVM: the Gaussian's log and cos
 * are StrictMath's (fdlibm's, specified to the bit), not Math's, which a JVM may compute to within an ulp its own way.
 */
public final class Rng {
    private long state;

    public Rng(long seed) { this.state = seed; }

    public long state() { return state; }

    public void setState(long state) { this.state = state; }

    public long nextLong() {
        long z = (state += 0x9E3779B97F4A7C15L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Uniform in [0, 1). */
    public double nextDouble() { return (nextLong() >>> 11) * 0x1.0p-53; }

    public float nextFloat() { return (nextLong() >>> 40) * 0x1.0p-24f; }

    /** Uniform in [0, bound). */
    public int nextInt(int bound) {
        if (bound <= 0) throw new IllegalArgumentException("bound must be positive, got " + bound);
        return (int) Math.floorMod(nextLong(), (long) bound);
    }

    /** Standard normal by Box-Muller (one draw per call keeps the state a single long). */
    public double nextGaussian() {
        double u1 = nextDouble(), u2 = nextDouble();
        if (u1 < 1e-300) u1 = 1e-300;
        return Math.sqrt(-2 * StrictMath.log(u1)) * StrictMath.cos(2 * Math.PI * u2);
    }

    /** A new independent stream derived from this one (for per-worker or per-op seeds). */
    public Rng fork() { return new Rng(nextLong()); }
}
