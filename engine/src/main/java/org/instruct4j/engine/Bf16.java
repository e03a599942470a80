package org.instruct4j.engine;

/**
 * bfloat16 on the host: the top 16 bits of a float, rounded to nearest even (the same rounding as the CUDA kernels);
 * the CUDA backend's uploads and downloads and safetensors files both go through it.
 */
public final class Bf16 {
    private Bf16() {}

    public static short fromFloat(float f) {
        int u = Float.floatToRawIntBits(f);
        if ((u & 0x7fffffff) > 0x7f800000) return (short) 0x7fc0;  // NaN stays NaN
        u += 0x7fff + ((u >>> 16) & 1);
        return (short) (u >>> 16);
    }

    public static float toFloat(short bits) { return Float.intBitsToFloat((bits & 0xffff) << 16); }
}
