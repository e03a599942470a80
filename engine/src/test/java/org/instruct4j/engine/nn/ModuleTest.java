package org.instruct4j.engine.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.instruct4j.engine.Device;
import org.instruct4j.engine.Rng;
import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.autograd.GradMode;
import org.junit.jupiter.api.Test;

class ModuleTest {
    static final GptConfig CONFIG = new GptConfig(64, 16, 2, 2, 32, 0f, 1e-5f);

    /** A frozen copy is a reference model: its own values, no gradients, while the original trains on. */
    @Test void aFrozenCopyTakesNoGradientAndKeepsItsValues() {
        Gpt policy = new Gpt(CONFIG.withDropout(0.1f), new Rng(1), Device.CPU), reference = policy.copy(0f);
        reference.freeze();
        assertThat(reference.config().dropout()).isZero();
        Tensor tokens = Tensor.ofInts(new int[] {1, 2, 3, 4}, 1, 4);
        policy.forward(tokens, null).plus(reference.forward(tokens, null)).sum().backward();
        assertThat(policy.parameters().values()).allMatch(p -> p.grad() != null);
        assertThat(reference.parameters().values()).allMatch(p -> p.grad() == null && !p.requiresGrad());
        float[] before = reference.parameters().get("wte.weight").toFloatArray();
        policy.parameters().get("wte.weight").free();   // the copy owns its own storage
        assertThat(reference.parameters().get("wte.weight").toFloatArray()).containsExactly(before);
    }

    @Test void parameterNamesAndShapesAreHuggingFaces() {
        Gpt model = new Gpt(CONFIG, new Rng(1), Device.CPU);
        List<String> expected = new ArrayList<>(List.of("wte.weight", "wpe.weight"));
        for (int i = 0; i < 2; i++)
            for (String s : List.of("ln_1.weight", "ln_1.bias", "attn.c_attn.weight", "attn.c_attn.bias", "attn.c_proj.weight",
                    "attn.c_proj.bias", "ln_2.weight", "ln_2.bias", "mlp.c_fc.weight", "mlp.c_fc.bias", "mlp.c_proj.weight", "mlp.c_proj.bias"))
                expected.add("h." + i + "." + s);
        expected.addAll(List.of("ln_f.weight", "ln_f.bias"));
        assertThat(model.parameters().keySet()).containsExactlyElementsOf(expected);
        var p = model.parameters();
        assertThat(p.get("wte.weight").shape()).containsExactly(64, 32);
        assertThat(p.get("h.1.attn.c_attn.weight").shape()).containsExactly(32, 96);
        assertThat(p.get("h.1.mlp.c_proj.weight").shape()).containsExactly(128, 32);
        assertThat(p.values()).allMatch(Tensor::requiresGrad);
        assertThat(p.get("h.0.ln_1.weight").toFloatArray()).containsOnly(1f);
        assertThat(p.get("h.0.mlp.c_fc.bias").toFloatArray()).containsOnly(0f);
        // GPT-2 124M has 124,439,808 parameters: check the count formula on the tiny model.
        int c = 32, l = 2;
        long count = 64L * c + 16L * c + l * (12L * c * c + 13L * c) + 2L * c;
        assertThat(model.parameterCount()).isEqualTo(count);
        assertThat(std(p.get("h.0.attn.c_attn.weight"))).isBetween(0.017, 0.023);
        assertThat(std(p.get("h.0.mlp.c_proj.weight"))).isBetween(0.8 * 0.01, 1.2 * 0.01);   // 0.02 / sqrt(2 * 2)
    }

    @Test void copyFromMakesAnIdenticalModel() {
        Gpt a = new Gpt(CONFIG, new Rng(1), Device.CPU), b = new Gpt(CONFIG, new Rng(2), Device.CPU);
        b.copyFrom(a);
        Tensor tokens = Tensor.ofInts(new int[] {1, 2, 3}, 1, 3);
        try (GradMode g = GradMode.off()) {
            assertThat(b.forward(tokens, null).toFloatArray()).containsExactly(a.forward(tokens, null).toFloatArray());
        }
        assertThat(b.parameters().get("wte.weight")).isNotSameAs(a.parameters().get("wte.weight"));
        assertThatThrownBy(() -> new Gpt(CONFIG.withContext(8), new Rng(1), Device.CPU).copyFrom(a))
                .hasMessageContaining("wpe.weight").hasMessageContaining("[8,32]").hasMessageContaining("[16,32]");
    }

    @Test void scalarHead() {
        ScalarHead head = new ScalarHead(32, new Rng(3), Device.CPU);
        assertThat(head.parameters().keySet()).containsExactly("score.weight", "score.bias");
        assertThat(head.parameters().get("score.weight").shape()).containsExactly(32, 1);
        head.setBias(0.5f);
        assertThat(head.bias()).isEqualTo(0.5f);
        Tensor hidden = Tensor.randn(new Rng(4), 1f, 2, 3, 32);
        Tensor scores = head.apply(hidden);
        assertThat(scores.shape()).containsExactly(2, 3);
        float[] h = hidden.toFloatArray(), w = head.parameters().get("score.weight").toFloatArray();
        double expected = 0.5;
        for (int i = 0; i < 32; i++) expected += h[32 + i] * w[i];   // row (0, 1)
        assertThat((double) scores.toFloatArray()[1]).isCloseTo(expected, org.assertj.core.data.Offset.offset(1e-5));
    }

    @Test void configPresetsAndValidation() {
        assertThat(GptConfig.preset("gpt2")).isEqualTo(GptConfig.gpt2());
        assertThat(GptConfig.preset("gpt2-xl").dim()).isEqualTo(1600);
        assertThat(GptConfig.gpt2().headDim()).isEqualTo(64);
        assertThat(GptConfig.tiny().withVocab(100).vocabSize()).isEqualTo(100);
        assertThatThrownBy(() -> GptConfig.preset("gpt3")).hasMessageContaining("unknown model preset 'gpt3'");
        assertThatThrownBy(() -> new GptConfig(64, 16, 2, 3, 32, 0f, 1e-5f)).hasMessageContaining("dim 32 is not a multiple of heads 3");
        assertThatThrownBy(() -> GptConfig.tiny().withContext(0)).hasMessageContaining("contextLength must be positive");
    }

    static double std(Tensor t) {
        double s = 0;
        float[] v = t.toFloatArray();
        for (float x : v) s += x * x;
        return Math.sqrt(s / v.length);
    }
}
