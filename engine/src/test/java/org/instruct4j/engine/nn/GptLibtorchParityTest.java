package org.instruct4j.engine.nn;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.instruct4j.engine.Device;
import org.instruct4j.engine.Rng;
import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.ops.CrossEntropy;
import org.junit.jupiter.api.Test;

/**
 * The whole GPT-2 forward and the loss gradient against libtorch: the same architecture written with DJL
 * NDArray ops (PyTorch engine, CPU) from the same parameters.
 *
 * <p>Tolerances: logits within 1e-4 relative (by norm) and gradients within 1e-3 relative; both sides compute
 * in float32 with different summation orders, which costs about 1e-6 per op.
 */
class GptLibtorchParityTest {
    static final GptConfig CONFIG = new GptConfig(64, 16, 2, 2, 32, 0f, 1e-5f);
    static final int B = 2, T = 12;

    @Test void logitsAndGradientsMatchLibtorch() {
        Rng rng = new Rng(42);
        Gpt model = new Gpt(CONFIG, rng, Device.CPU);
        // Bigger-than-init random values everywhere (biases and LayerNorm too), so every path matters.
        Map<String, Tensor> values = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : model.parameters().entrySet()) {
            Tensor p = e.getValue();
            Tensor v = Tensor.randn(rng, 0.2f, p.shape());
            if (e.getKey().contains("ln_")) v = v.plus(Tensor.full(e.getKey().endsWith("weight") ? 1f : 0f, Device.CPU, p.shape()));
            values.put(e.getKey(), v);
        }
        model.loadParameters(values, true);
        int[] tokens = new int[B * T], targets = new int[B * T];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = rng.nextInt(CONFIG.vocabSize());
            targets[i] = rng.nextInt(CONFIG.vocabSize());
        }

        Tensor logits = model.forward(Tensor.ofInts(tokens, B, T), null);
        Tensor loss = CrossEntropy.mean(logits, Tensor.ofInts(targets, B, T));
        loss.backward();

        List<String> checked = List.of("wte.weight", "wpe.weight", "h.0.ln_1.weight", "h.0.attn.c_attn.weight",
                "h.0.attn.c_attn.bias", "h.1.attn.c_proj.weight", "h.1.mlp.c_fc.weight", "h.1.mlp.c_proj.bias", "ln_f.bias");
        Reference ref = libtorch(model.parameters(), tokens, targets, checked);
        // One CI run compared wte's gradient as NaN, once in dozens of runs, with no way left to tell which side held
        // it. A non-finite value of the reference is its own glitch: it is computed again, once. Ours still fails.
        if (ref.gradients().values().stream().anyMatch(g -> nonFinite(g) > 0)) {
            System.out.println("libtorch's gradients held non-finite elements: computing the reference again");
            ref = libtorch(model.parameters(), tokens, targets, checked);
        }

        double logitsError = relativeError(logits.toFloatArray(), ref.logits());
        System.out.printf("logits relative error %.3g%n", logitsError);
        assertThat(logitsError).as("logits").isLessThan(1e-4);
        assertThat(loss.item()).isCloseTo(ref.loss(), org.assertj.core.data.Offset.offset(1e-4f));
        for (String name : checked) {
            float[] ours = model.parameters().get(name).grad().toFloatArray(), theirs = ref.gradients().get(name);
            double error = relativeError(ours, theirs);
            System.out.printf("gradient of %s relative error %.3g%n", name, error);
            assertThat(error).as("gradient of %s (non-finite elements: instruct4j %d, libtorch %d)", name,
                    nonFinite(ours), nonFinite(theirs)).isLessThan(1e-3);
        }
    }

    /** libtorch's logits, mean loss and the gradients of the named parameters, from the same parameter values. */
    record Reference(float[] logits, float loss, Map<String, float[]> gradients) {}

    static Reference libtorch(Map<String, Tensor> parameters, int[] tokens, int[] targets, List<String> names) {
        try (NDManager nd = Engine.getEngine("PyTorch").newBaseManager()) {
            Map<String, NDArray> p = new LinkedHashMap<>();
            for (Map.Entry<String, Tensor> e : parameters.entrySet()) {
                NDArray a = nd.create(e.getValue().toFloatArray(), shape(e.getValue().shape()));
                a.setRequiresGradient(true);
                p.put(e.getKey(), a);
            }
            try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
                NDArray refLogits = torchForward(nd, p, nd.create(tokens, new Shape(B, T)));
                NDArray logp = refLogits.logSoftmax(-1);
                NDArray refLoss = logp.mul(nd.create(targets, new Shape(B, T)).oneHot(CONFIG.vocabSize())).sum().neg().div(B * T);
                gc.backward(refLoss);
                Map<String, float[]> gradients = new LinkedHashMap<>();
                for (String name : names) gradients.put(name, p.get(name).getGradient().toFloatArray());
                return new Reference(refLogits.toFloatArray(), refLoss.getFloat(), gradients);
            }
        }
    }

    /** GPT-2 written out in NDArray ops: the reference. */
    static NDArray torchForward(NDManager nd, Map<String, NDArray> p, NDArray tokens) {
        int c = CONFIG.dim(), h = CONFIG.heads(), d = c / h;
        int[] pos = new int[T];
        for (int i = 0; i < T; i++) pos[i] = i;
        NDArray x = tokens.oneHot(CONFIG.vocabSize()).matMul(p.get("wte.weight"))
                .add(nd.create(pos, new Shape(T)).oneHot(CONFIG.contextLength()).matMul(p.get("wpe.weight")));
        float[] mask = new float[T * T];
        for (int i = 0; i < T; i++) for (int j = i + 1; j < T; j++) mask[i * T + j] = -1e9f;
        NDArray causal = nd.create(mask, new Shape(T, T));
        for (int l = 0; l < CONFIG.layers(); l++) {
            String pre = "h." + l + ".";
            NDArray a = layerNorm(x, p.get(pre + "ln_1.weight"), p.get(pre + "ln_1.bias"));
            NDArray qkv = a.matMul(p.get(pre + "attn.c_attn.weight")).add(p.get(pre + "attn.c_attn.bias"));
            NDArray q = heads(qkv.get(":, :, 0:" + c), h, d);
            NDArray k = heads(qkv.get(":, :, " + c + ":" + 2 * c), h, d);
            NDArray v = heads(qkv.get(":, :, " + 2 * c + ":" + 3 * c), h, d);
            NDArray att = q.matMul(k.transpose(0, 1, 3, 2)).mul(1.0 / Math.sqrt(d)).add(causal).softmax(-1);
            NDArray y = att.matMul(v).transpose(0, 2, 1, 3).reshape(B, T, c);
            x = x.add(y.matMul(p.get(pre + "attn.c_proj.weight")).add(p.get(pre + "attn.c_proj.bias")));
            NDArray m = layerNorm(x, p.get(pre + "ln_2.weight"), p.get(pre + "ln_2.bias"));
            NDArray f = gelu(m.matMul(p.get(pre + "mlp.c_fc.weight")).add(p.get(pre + "mlp.c_fc.bias")));
            x = x.add(f.matMul(p.get(pre + "mlp.c_proj.weight")).add(p.get(pre + "mlp.c_proj.bias")));
        }
        x = layerNorm(x, p.get("ln_f.weight"), p.get("ln_f.bias"));
        return x.matMul(p.get("wte.weight").transpose());
    }

    static NDArray heads(NDArray x, int h, int d) { return x.reshape(B, T, h, d).transpose(0, 2, 1, 3); }

    static NDArray layerNorm(NDArray x, NDArray w, NDArray b) {
        NDArray centred = x.sub(x.mean(new int[] {-1}, true));
        NDArray var = centred.pow(2).mean(new int[] {-1}, true);
        return centred.div(var.add(CONFIG.layerNormEps()).sqrt()).mul(w).add(b);
    }

    static NDArray gelu(NDArray x) {
        NDArray inner = x.add(x.pow(3).mul(0.044715)).mul(Math.sqrt(2 / Math.PI));
        return x.mul(0.5).mul(inner.tanh().add(1));
    }

    static Shape shape(int[] s) {
        long[] l = new long[s.length];
        for (int i = 0; i < s.length; i++) l[i] = s[i];
        return new Shape(l);
    }

    /** How many of a's elements are NaN or infinite: which side of a failed comparison they came from. */
    static int nonFinite(float[] a) {
        int n = 0;
        for (float v : a) if (!Float.isFinite(v)) n++;
        return n;
    }

    /** |a - b| / |b| by Euclidean norm, in double. */
    static double relativeError(float[] a, float[] b) {
        assertThat(a).hasSameSizeAs(b);
        double diff = 0, ref = 0;
        for (int i = 0; i < a.length; i++) {
            diff += (a[i] - (double) b[i]) * (a[i] - (double) b[i]);
            ref += (double) b[i] * b[i];
        }
        return Math.sqrt(diff / Math.max(ref, 1e-30));
    }
}
