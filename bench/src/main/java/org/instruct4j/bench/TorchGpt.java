package org.instruct4j.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import java.util.LinkedHashMap;
import java.util.Map;
import org.instruct4j.engine.Device;
import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.backend.Backends;
import org.instruct4j.engine.backend.cpu.Parallel;
import org.instruct4j.engine.nn.GptConfig;

/**
 * The libtorch peer of instruct4j's GPT-2 for the side-by-side benchmarks: the same architecture, started from
 * the same parameter values, written with the fused libtorch calls DJL exposes (torch::embedding, linear =
 * addmm, layer_norm, gelu, softmax, log_softmax, AdamW as DJL's adamUpdate), as a PyTorch user would write it.
 * Linear weights are kept as torch's nn.Linear keeps them, (out, in); instruct4j keeps Hugging Face's (in, out).
 *
 * <p>Differences that cost little and are said where the figures are: libtorch's GELU is the exact (erf) one,
 * instruct4j's the tanh approximation; attention is the unfused softmax(q k^T / sqrt(d) + mask) v (DJL has no
 * scaled_dot_product_attention). Dropout is off on both sides, so the first losses agree.
 */
final class TorchGpt implements AutoCloseable {
    private final GptConfig config;
    private final NDManager manager;
    private final Map<String, NDArray> params = new LinkedHashMap<>();
    private final Map<String, NDArray[]> moments = new LinkedHashMap<>();
    private final NDArray causalMask;
    private int step;

    /** Copies instruct4j's parameters (Hugging Face names and layout) into libtorch leaves that need gradients. */
    /**
     * libtorch's CPU engine with as many intra-op threads as instruct4j's pool, so both sides of a comparison get the
     * same cores; prints both backends and libtorch's default thread count.
     */
    static NDManager openWithOurThreads() {
        System.out.println("instruct4j: " + Backends.of(Device.CPU).describe());
        NDManager nd = openCpu();
        int torchDefault = JniUtils.getNumThreads();
        JniUtils.setNumThreads(Parallel.THREADS);
        System.out.printf("libtorch %s: %d intra-op threads (default %d)%n", nd.getEngine().getVersion(),
                JniUtils.getNumThreads(), torchDefault);
        return nd;
    }

    /**
     * libtorch's CPU engine (DJL's "PyTorch"); where its native library cannot be loaded, an {@link
     * RunEnvironment.Unavailable} that says in one line what it needs.
     */
    static NDManager openCpu() {
        try {
            return NDManager.newBaseManager(ai.djl.Device.cpu(), "PyTorch");
        } catch (RuntimeException | LinkageError e) {
            throw new RunEnvironment.Unavailable(loadFailure(e), e);
        }
    }

    /** Why libtorch did not load, and what it needs, in one line. */
    static String loadFailure(Throwable e) {
        Throwable root = e;
        boolean offline = false;
        for (Throwable c = e; c != null; c = c.getCause()) {
            root = c;
            offline |= c.getMessage() != null && c.getMessage().contains("Offline mode");
        }
        String cache;
        try {
            cache = ai.djl.util.Utils.getEngineCacheDir("pytorch").toString();
        } catch (RuntimeException | LinkageError unknown) {
            cache = "~/.djl.ai/pytorch";
        }
        if (offline)
            return "libtorch's native library could not be loaded offline (-Dai.djl.offline=true): it needs the pytorch"
                    + " native jar (pytorch-native-cpu-*-linux-x86_64.jar) in " + RunEnvironment.libDir() + " beside"
                    + " benchmarks.jar, as the build copies it there, and its first extraction about 432 MB free in DJL's"
                    + " cache dir, " + cache + " (DJL_CACHE_DIR or ENGINE_CACHE_DIR moves it)";
        return "libtorch's native library could not be loaded (" + root.getClass().getSimpleName() + ": " + root.getMessage()
                + "); it is extracted from the pytorch native jar in " + RunEnvironment.libDir() + " into " + cache;
    }

    TorchGpt(GptConfig config, Map<String, Tensor> source, NDManager parent, int maxSeq) {
        this.config = config;
        this.manager = parent.newSubManager();
        for (Map.Entry<String, Tensor> e : source.entrySet()) {
            Tensor t = e.getValue();
            NDArray a = manager.create(t.toFloatArray(), shape(t.shape()));
            if (isLinearWeight(e.getKey())) a = a.transpose().duplicate();   // (in, out) -> nn.Linear's (out, in)
            a.setRequiresGradient(true);
            params.put(e.getKey(), a);
            moments.put(e.getKey(), new NDArray[] {manager.zeros(a.getShape()), manager.zeros(a.getShape())});
        }
        float[] mask = new float[maxSeq * maxSeq];
        for (int i = 0; i < maxSeq; i++) for (int j = i + 1; j < maxSeq; j++) mask[i * maxSeq + j] = Float.NEGATIVE_INFINITY;
        causalMask = manager.create(mask, new Shape(maxSeq, maxSeq));
    }

    private static boolean isLinearWeight(String name) {
        return name.endsWith(".weight") && (name.contains(".attn.") || name.contains(".mlp."));
    }

    /**
     * One training step as instruct4j's benchmark does it: mean cross-entropy, backward, global-norm clipping at
     * 1, AdamW (beta 0.9 / 0.95, eps 1e-8, decay 0.1 on matrices), gradients zeroed. Returns the loss.
     */
    float trainStep(int[] tokens, int[] targets, int batch, int seq, float lr) {
        try (NDManager stepScope = manager.newSubManager()) {
            NDArray loss;
            try (GradientCollector collector = stepScope.getEngine().newGradientCollector()) {
                loss = loss(stepScope, tokens, targets, batch, seq);
                collector.backward(loss);
            }
            float value = loss.getFloat();
            double squares = 0;
            Map<String, NDArray> grads = new LinkedHashMap<>();
            for (Map.Entry<String, NDArray> e : params.entrySet()) {
                NDArray g = e.getValue().getGradient();
                g.attach(stepScope);
                grads.put(e.getKey(), g);
                try (NDArray s = g.square().sum()) { squares += s.getFloat(); }   // summed in double, as GradClip does
            }
            float clip = (float) Math.min(1.0, 1.0 / (Math.sqrt(squares) + 1e-6));
            step++;
            float correction = (float) (Math.sqrt(1 - Math.pow(0.95, step)) / (1 - Math.pow(0.9, step)));
            for (Map.Entry<String, NDArray> e : params.entrySet()) {
                NDArray p = e.getValue();
                NDArray[] mv = moments.get(e.getKey());
                float decay = p.getShape().dimension() >= 2 ? 0.1f : 0f;
                JniUtils.adamUpdate((PtNDArray) p, (PtNDArray) grads.get(e.getKey()), (PtNDArray) mv[0], (PtNDArray) mv[1],
                        lr, lr * correction, decay, clip, -1f, 0.9f, 0.95f, 1e-8f, true);
                JniUtils.zeroGrad((PtNDArray) p);
            }
            return value;
        }
    }


    /**
     * Greedy generation with a key/value cache as Hugging Face's GPT-2 keeps it (each step concatenates the new
     * keys and values to the cached ones): a prefill of the (batch, promptLen) prompts, then one token per step.
     * Returns the newTokens ids of each row, row after row.
     */
    int[] generate(int[] prompt, int batch, int promptLen, int newTokens) {
        int layers = config.layers();
        NDArray[] keys = new NDArray[layers], values = new NDArray[layers];
        int[] generated = new int[batch * newTokens];
        boolean gradMode = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try (NDManager generation = manager.newSubManager()) {
            int[] next = prompt;
            int past = 0, len = promptLen;
            for (int step = 0; step < newTokens; step++) {
                try (NDManager scope = generation.newSubManager()) {
                    NDArray ids = scope.create(next, new Shape(batch, len)).toType(DataType.INT64, false);
                    NDArray hidden = hidden(scope, ids, batch, len, past, keys, values, generation);
                    NDArray last = hidden.get(":, " + (len - 1) + ", :");
                    NDArray logits = JniUtils.linear((PtNDArray) last, (PtNDArray) params.get("wte.weight"), null);
                    next = logits.argMax(-1).toType(DataType.INT32, false).toIntArray();
                }
                for (int r = 0; r < batch; r++) generated[r * newTokens + step] = next[r];
                past += len;
                len = 1;
            }
        } finally {
            JniUtils.setGradMode(gradMode);
        }
        return generated;
    }

    /**
     * The final LayerNorm output (B, T, C) of tokens at positions past.., reading and extending the per-layer
     * caches (B, H, past, D) when keys is not null; the new cache arrays belong to cacheScope, the rest to scope.
     */
    private NDArray hidden(NDManager scope, NDArray ids, int batch, int seq, int past, NDArray[] keys,
                           NDArray[] values, NDManager cacheScope) {
        int c = config.dim(), h = config.heads(), d = c / h;
        int[] pos = new int[seq];
        for (int i = 0; i < seq; i++) pos[i] = past + i;
        NDArray positions = scope.create(pos, new Shape(seq)).toType(DataType.INT64, false);
        NDArray x = JniUtils.embedding((PtNDArray) ids, (PtNDArray) params.get("wte.weight"), false)
                .add(JniUtils.embedding((PtNDArray) positions, (PtNDArray) params.get("wpe.weight"), false));
        NDArray mask = null;
        if (seq > 1) {   // a prefill (past is 0): the causal mask; one new token sees every cached one
            mask = causalMask.get("0:" + seq + ", 0:" + seq);
            mask.attach(scope);
        }
        for (int l = 0; l < config.layers(); l++) {
            String pre = "h." + l + ".";
            NDList qkv = linear(layerNorm(x, pre + "ln_1"), pre + "attn.c_attn").reshape(batch, seq, 3, h, d)
                    .transpose(2, 0, 3, 1, 4).split(3);
            NDArray q = qkv.get(0).squeeze(0), k = qkv.get(1).squeeze(0), v = qkv.get(2).squeeze(0);
            if (keys != null) {
                if (keys[l] != null) {
                    NDArray k2 = keys[l].concat(k, 2), v2 = values[l].concat(v, 2);
                    keys[l].close();
                    values[l].close();
                    k = k2;
                    v = v2;
                }
                k.attach(cacheScope);
                v.attach(cacheScope);
                keys[l] = k;
                values[l] = v;
            }
            NDArray att = q.matMul(k.transpose(0, 1, 3, 2)).mul(1.0 / Math.sqrt(d));
            if (mask != null) att = att.add(mask);
            NDArray y = att.softmax(-1).matMul(v).transpose(0, 2, 1, 3).reshape(batch, seq, c);
            x = x.add(linear(y, pre + "attn.c_proj"));
            NDArray f = JniUtils.gelu((PtNDArray) linear(layerNorm(x, pre + "ln_2"), pre + "mlp.c_fc"));
            x = x.add(linear(f, pre + "mlp.c_proj"));
        }
        return layerNorm(x, "ln_f");
    }

    /** Forward and mean cross-entropy; every intermediate array belongs to scope. */
    private NDArray loss(NDManager scope, int[] tokens, int[] targets, int batch, int seq) {
        NDArray ids = scope.create(tokens, new Shape(batch, seq)).toType(DataType.INT64, false);
        NDArray h = hidden(scope, ids, batch, seq, 0, null, null, null);
        NDArray logits = JniUtils.linear((PtNDArray) h, (PtNDArray) params.get("wte.weight"), null);
        NDArray target = scope.create(targets, new Shape(batch, seq, 1)).toType(DataType.INT64, false);
        return logits.logSoftmax(-1).gather(target, -1).mean().neg();
    }

    private NDArray linear(NDArray x, String name) {
        return JniUtils.linear((PtNDArray) x, (PtNDArray) params.get(name + ".weight"), (PtNDArray) params.get(name + ".bias"));
    }

    private NDArray layerNorm(NDArray x, String name) {
        return JniUtils.layerNorm((PtNDArray) x, new Shape(config.dim()), (PtNDArray) params.get(name + ".weight"),
                (PtNDArray) params.get(name + ".bias"), config.layerNormEps());
    }

    static Shape shape(int[] s) {
        long[] l = new long[s.length];
        for (int i = 0; i < s.length; i++) l[i] = s[i];
        return new Shape(l);
    }

    @Override public void close() { manager.close(); }
}
