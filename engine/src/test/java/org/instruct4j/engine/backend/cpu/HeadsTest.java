package org.instruct4j.engine.backend.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;
import org.instruct4j.engine.DType;
import org.instruct4j.engine.backend.Backend;
import org.instruct4j.engine.backend.Buffer;
import org.junit.jupiter.api.Test;

/**
 * The packed attention's head split and merge, which the CPU does in one pass: every float where its index says
 * (part p, head h, position i, lane j of a (B, T, 3C) tensor is element (b, h, i, j) of part p), the same as the
 * backend's default (a column copy, then a transpose), and a merge leaves the other two parts as they were.
 */
class HeadsTest {
    private static final Backend CPU = CpuBackend.INSTANCE;
    /** The CPU backend with splitHeads and mergeHeads left to Backend's default methods. */
    private static final Backend DEFAULTS = (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(),
            new Class<?>[] {Backend.class}, (proxy, method, args) -> method.getName().endsWith("Heads")
                    ? InvocationHandler.invokeDefault(proxy, method, args) : method.invoke(CPU, args));

    @Test void splitAndMergePutEveryFloatWhereItsIndexSays() {
        for (int[] s : new int[][] {{1, 1, 1, 1}, {2, 5, 3, 4}, {16, 192, 3, 32}, {3, 7, 12, 64}}) {
            int b = s[0], t = s[1], heads = s[2], d = s[3], c = heads * d, n = b * t * 3 * c, part = n / 3;
            try (Buffer qkv = CPU.allocate(DType.F32, n); Buffer out = CPU.allocate(DType.F32, part);
                 Buffer viaDefault = CPU.allocate(DType.F32, part)) {
                float[] q = CpuBackend.f(qkv);
                for (int i = 0; i < n; i++) q[i] = i + 1;
                for (int p = 0; p < 3; p++) {
                    CPU.splitHeads(qkv, p, out, b, t, heads, d);
                    float[] o = CPU.downloadFloats(out), want = new float[part];
                    for (int bi = 0; bi < b; bi++)
                        for (int h = 0; h < heads; h++)
                            for (int i = 0; i < t; i++)
                                for (int j = 0; j < d; j++)
                                    want[((bi * heads + h) * t + i) * d + j] = q[(bi * t + i) * 3 * c + p * c + h * d + j];
                    assertThat(o).as("split part %d of %s", p, java.util.Arrays.toString(s)).isEqualTo(want);
                    DEFAULTS.splitHeads(qkv, p, viaDefault, b, t, heads, d);
                    assertThat(CPU.downloadFloats(viaDefault)).isEqualTo(want);

                    // and back into part p of a packed tensor whose other floats must stay
                    try (Buffer packed = CPU.allocate(DType.F32, n); Buffer packedViaDefault = CPU.allocate(DType.F32, n)) {
                        java.util.Arrays.fill(CpuBackend.f(packed), -7f);
                        java.util.Arrays.fill(CpuBackend.f(packedViaDefault), -7f);
                        CPU.mergeHeads(out, p, packed, b, t, heads, d);
                        DEFAULTS.mergeHeads(out, p, packedViaDefault, b, t, heads, d);
                        float[] back = new float[n];
                        java.util.Arrays.fill(back, -7f);
                        for (int row = 0; row < b * t; row++)
                            System.arraycopy(q, row * 3 * c + p * c, back, row * 3 * c + p * c, c);
                        assertThat(CPU.downloadFloats(packed)).as("merge into part %d of %s", p, java.util.Arrays.toString(s))
                                .isEqualTo(back);
                        assertThat(CPU.downloadFloats(packedViaDefault)).isEqualTo(back);
                    }
                }
            }
        }
    }
}
