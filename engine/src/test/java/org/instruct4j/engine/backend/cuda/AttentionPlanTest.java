package org.instruct4j.engine.backend.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.instruct4j.engine.DType;
import org.junit.jupiter.api.Test;

class AttentionPlanTest {
    private static final int[] LENGTHS = {1, 7, 64, 255, 1024, 2048, 4096};
    private final AttentionPlan plan = new AttentionPlan();

    @Test
    void forwardGridCoversEveryQueryRowExactlyOnce() {
        for (DType dtype : List.of(DType.BF16, DType.F32))
            for (int d : new int[] {32, 64, 128, 80})
                for (int t : LENGTHS) {
                    List<KernelLaunch> launches = plan.forward(dtype, 3, 5, t, t, d);
                    assertThat(launches).hasSize(1);
                    assertCoversOnce(launches.get(0), t, 5, 3, rowsPerCta(launches.get(0)));
                    // decode-shaped call: few queries against a long cache
                    for (int tq = 1; tq <= Math.min(t, 6); tq++) {
                        KernelLaunch decode = plan.forward(dtype, 2, 4, tq, t, d).get(0);
                        assertCoversOnce(decode, tq, 4, 2, rowsPerCta(decode));
                    }
                }
    }

    @Test
    void backwardGridsCoverEveryQueryAndKeyRowExactlyOnce() {
        for (DType dtype : List.of(DType.BF16, DType.F32))
            for (int d : new int[] {32, 64, 128, 40})
                for (int t : LENGTHS) {
                    List<KernelLaunch> launches = plan.backward(dtype, 2, 3, t, t + 5, d);
                    assertThat(launches).hasSize(3);
                    KernelLaunch delta = launches.get(0), dq = launches.get(1), dkdv = launches.get(2);
                    assertThat(delta.kernel()).startsWith("attention_backward_delta_");
                    assertCoversOnce(delta, 2 * 3 * t, 1, 1, delta.block()[0] / 32);
                    assertCoversOnce(dq, t, 3, 2, rowsPerCta(dq));
                    assertCoversOnce(dkdv, t + 5, 3, 2, rowsPerCta(dkdv));
                }
    }

    @Test
    void flashKernelsAreChosenForBf16WithHeadDim64And128OnlyAndTiledOnesForF32WithHeadDim32And64() {
        assertThat(plan.forward(DType.BF16, 1, 1, 256, 256, 64).get(0).kernel()).isEqualTo("attention_forward_bf16_d64");
        assertThat(plan.forward(DType.BF16, 1, 1, 256, 256, 128).get(0).kernel()).isEqualTo("attention_forward_bf16_d128");
        assertThat(plan.forward(DType.BF16, 1, 1, 1, 256, 64).get(0).kernel()).isEqualTo("attention_forward_rows_bf16");
        assertThat(plan.forward(DType.BF16, 1, 1, 256, 256, 96).get(0).kernel()).isEqualTo("attention_forward_rows_bf16");
        assertThat(plan.forward(DType.F32, 1, 1, 256, 256, 64).get(0).kernel()).isEqualTo("attention_forward_f32_tiled");
        assertThat(plan.forward(DType.F32, 1, 1, 256, 256, 32).get(0).kernel()).isEqualTo("attention_forward_f32_tiled");
        assertThat(plan.forward(DType.F32, 1, 1, 256, 256, 96).get(0).kernel()).isEqualTo("attention_forward_rows_f32");
        assertThat(plan.forward(DType.F32, 1, 1, 1, 256, 64).get(0).kernel()).isEqualTo("attention_forward_rows_f32");
        assertThat(plan.backward(DType.BF16, 1, 1, 256, 256, 128).stream().map(KernelLaunch::kernel)).containsExactly(
                "attention_backward_delta_bf16", "attention_backward_dq_bf16_d128", "attention_backward_dkdv_bf16_d128");
        assertThat(plan.backward(DType.F32, 1, 1, 256, 256, 64).stream().map(KernelLaunch::kernel)).containsExactly(
                "attention_backward_delta_f32", "attention_backward_dq_f32_tiled", "attention_backward_dkdv_f32_tiled");
        assertThat(plan.backward(DType.F32, 1, 1, 256, 256, 96).stream().map(KernelLaunch::kernel)).containsExactly(
                "attention_backward_delta_f32", "attention_backward_dq_rows_f32", "attention_backward_dkdv_rows_f32");
    }

    @Test
    void everyLaunchFitsTheDefault48KbOfSharedMemoryAndAWholeNumberOfWarps() {
        for (DType dtype : List.of(DType.BF16, DType.F32))
            for (int d : new int[] {16, 32, 64, 128, 256})
                for (int tq : new int[] {1, 4, 5, 1024}) {
                    var all = new java.util.ArrayList<>(plan.forward(dtype, 2, 2, tq, 2048, d));
                    all.addAll(plan.backward(dtype, 2, 2, tq, 2048, d));
                    for (KernelLaunch l : all) {
                        assertThat(l.module()).isEqualTo("attention");
                        assertThat(l.sharedBytes()).as(l.kernel()).isBetween(0, AttentionTiling.DEFAULT_SHARED_LIMIT);
                        assertThat(l.block()[0] % 32).as(l.kernel()).isZero();
                        assertThat(l.block()[0]).isBetween(32, 1024);
                        assertThat(l.block()[1] * l.block()[2]).isEqualTo(1);
                    }
                }
        for (int d : new int[] {64, 128})
            for (AttentionTiling t : List.of(AttentionTiling.forward(d), AttentionTiling.backwardDq(d), AttentionTiling.backwardDkDv(d)))
                assertThat(t.sharedBytes()).isLessThanOrEqualTo(AttentionTiling.DEFAULT_SHARED_LIMIT);
    }

    @Test
    void theDeltaWorkspaceHoldsOneFloatPerQueryRow() {
        assertThat(AttentionPlan.deltaBytes(4, 16, 2048)).isEqualTo(4L * 16 * 2048 * 4);
    }

    @Test
    void badShapesAreRejectedWithTheValuesNamed() {
        assertThatThrownBy(() -> plan.forward(DType.I32, 1, 1, 4, 4, 64)).hasMessageContaining("I32");
        assertThatThrownBy(() -> plan.forward(DType.F32, 1, 1, 8, 4, 64)).hasMessageContaining("Tq=8 > Tk=4");
        assertThatThrownBy(() -> plan.forward(DType.F32, 1, 1, 4, 4, 300)).hasMessageContaining("head dim 300");
        assertThatThrownBy(() -> plan.backward(DType.BF16, 1, 1, 4, 4, 512)).hasMessageContaining("head dim 512");
        assertThatThrownBy(() -> plan.forward(DType.F32, 0, 1, 4, 4, 64)).hasMessageContaining("B=0");
        assertThatThrownBy(() -> AttentionTiling.forward(96)).hasMessageContaining("head dim 96");
    }

    /** Rows of the launch's own dimension (query rows, key rows or delta rows) one CTA handles. */
    private static int rowsPerCta(KernelLaunch l) {
        String k = l.kernel();
        if (k.startsWith("attention_forward_bf16_d")) return AttentionTiling.forward(headDim(k)).blockM();
        if (k.startsWith("attention_backward_dq_bf16_d")) return AttentionTiling.backwardDq(headDim(k)).blockM();
        if (k.startsWith("attention_backward_dkdv_bf16_d")) return AttentionTiling.backwardDkDv(headDim(k)).blockN();
        if (k.startsWith("attention_forward_rows_")) return 1;
        if (k.endsWith("_f32_tiled")) return AttentionPlan.TILED_ROWS;
        if (k.startsWith("attention_backward_")) return l.block()[0] / 32;   // one warp per row
        throw new AssertionError("unknown kernel " + k);
    }

    private static int headDim(String kernel) { return Integer.parseInt(kernel.substring(kernel.lastIndexOf("_d") + 2)); }

    /** Counts, row by row, how many CTAs of grid.x claim it: each of the rows must be claimed once. */
    private static void assertCoversOnce(KernelLaunch l, int rows, int heads, int batch, int perCta) {
        assertThat(l.grid()[1]).as(l.kernel() + " grid.y").isEqualTo(heads);
        assertThat(l.grid()[2]).as(l.kernel() + " grid.z").isEqualTo(batch);
        int[] claimed = new int[rows];
        for (int cta = 0; cta < l.grid()[0]; cta++) {
            int from = cta * perCta;
            assertThat(from).as(l.kernel() + ": CTA " + cta + " has no rows").isLessThan(rows);
            for (int r = from; r < Math.min(from + perCta, rows); r++) claimed[r]++;
        }
        for (int r = 0; r < rows; r++) assertThat(claimed[r]).as(l.kernel() + " row " + r + " of " + rows).isEqualTo(1);
    }
}
