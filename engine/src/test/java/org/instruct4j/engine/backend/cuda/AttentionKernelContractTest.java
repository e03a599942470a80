package org.instruct4j.engine.backend.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.instruct4j.engine.DType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The launch plans against the extern "C" signatures in kernels/src/attention.cu (read from the classpath). */
class AttentionKernelContractTest {
    private static final Pattern KERNEL = Pattern.compile(
            "extern \"C\" __global__ void\\s+(?:__launch_bounds__\\([^)]*\\)\\s*)?(\\w+)\\s*\\(([^)]*)\\)\\s*\\{\\s*([^;]*);");
    private static final Pattern FLASH_CALL = Pattern.compile("(\\w+)<(\\d+), (\\d+), (\\d+)>");

    record Param(String type, String name) {}
    record Kernel(List<Param> params, String body) {}

    private static final Map<String, Kernel> kernels = new LinkedHashMap<>();

    @BeforeAll
    static void parse() throws IOException {
        String src;
        try (InputStream in = AttentionKernelContractTest.class.getResourceAsStream("/org/instruct4j/kernels/attention.cu")) {
            assertThat(in).as("attention.cu on the classpath (kernels module resources)").isNotNull();
            src = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Matcher m = KERNEL.matcher(src);
        while (m.find()) {
            List<Param> params = new ArrayList<>();
            for (String p : m.group(2).split(",")) {
                String s = p.trim().replaceAll("\\s+", " ");
                int cut = s.lastIndexOf(' ');
                params.add(new Param(s.substring(0, cut).replace("const ", "").replace(" *", "*"), s.substring(cut + 1)));
            }
            kernels.put(m.group(1), new Kernel(params, m.group(3)));
        }
        assertThat(kernels).isNotEmpty();
    }

    private static List<KernelLaunch> allPlans() {
        AttentionPlan plan = new AttentionPlan();
        List<KernelLaunch> all = new ArrayList<>();
        for (DType dtype : List.of(DType.F32, DType.BF16))
            for (int d : new int[] {32, 64, 128})
                for (int tq : new int[] {1, 512}) {
                    all.addAll(plan.forward(dtype, 2, 2, tq, 512, d));
                    all.addAll(plan.backward(dtype, 2, 2, tq, 512, d));
                }
        return all;
    }

    @Test
    void everyPlannedKernelExistsWithItsArgumentsInOrder() {
        for (KernelLaunch l : allPlans()) {
            Kernel k = kernels.get(l.kernel());
            assertThat(k).as("kernel " + l.kernel() + " in attention.cu").isNotNull();
            assertThat(k.params().stream().map(p -> AttentionArg.valueOf(p.name().toUpperCase())).toList())
                    .as(l.kernel()).isEqualTo(l.args());
        }
    }

    @Test
    void parameterTypesMatchTheArgumentKinds() {
        for (KernelLaunch l : allPlans()) {
            String element = l.kernel().contains("bf16") ? "bf16_t*" : "float*";
            for (Param p : kernels.get(l.kernel()).params()) {
                String expected = switch (AttentionArg.valueOf(p.name().toUpperCase())) {
                    case Q, K, V, OUT, DOUT, DQ, DK, DV -> element;
                    case LSE, WORKSPACE_DELTA -> "float*";
                    case START -> "int*";
                    case BATCH, HEADS, TQ, TK, HEAD_DIM -> "int";
                    case SCALE -> "float";
                };
                assertThat(p.type()).as(l.kernel() + " parameter " + p.name()).isEqualTo(expected);
            }
        }
    }

    @Test
    void everyKernelInTheFileIsPlannedSomewhere() {
        var planned = new TreeSet<String>();
        allPlans().forEach(l -> planned.add(l.kernel()));
        assertThat(planned).containsExactlyInAnyOrderElementsOf(kernels.keySet());
    }

    @Test
    void flashTemplateInstancesMatchTheJavaTiling() {
        for (int d : new int[] {64, 128}) {
            assertTiling("attention_forward_bf16_d" + d, AttentionTiling.forward(d));
            assertTiling("attention_backward_dq_bf16_d" + d, AttentionTiling.backwardDq(d));
            assertTiling("attention_backward_dkdv_bf16_d" + d, AttentionTiling.backwardDkDv(d));
        }
    }

    private static void assertTiling(String kernel, AttentionTiling t) {
        Matcher m = FLASH_CALL.matcher(kernels.get(kernel).body());
        assertThat(m.find()).as(kernel + " calls a <D, BM, BN> template").isTrue();
        assertThat(List.of(Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)), Integer.parseInt(m.group(4))))
                .as(kernel).containsExactly(t.headDim(), t.blockM(), t.blockN());
        // shared memory: two (BM or BN) x D bf16 operands each for the forward's double-buffered K/V and Q,
        // recomputed here from the tile sizes as the kernels lay them out
        int bytes = switch (m.group(1)) {
            case "flash_forward" -> 2 * (t.blockM() * t.headDim() + 4 * t.blockN() * t.headDim());
            default -> 2 * (2 * t.blockM() * t.headDim() + 2 * t.blockN() * t.headDim());
        };
        assertThat(t.sharedBytes()).as(kernel + " shared bytes").isEqualTo(bytes);
        assertThat(t.warps() * 16).as(kernel + " warps own 16 rows each")
                .isEqualTo(m.group(1).equals("flash_backward_dkdv") ? t.blockN() : t.blockM());
    }
}
