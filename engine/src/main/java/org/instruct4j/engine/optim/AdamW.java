package org.instruct4j.engine.optim;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.instruct4j.engine.DType;
import org.instruct4j.engine.Tensor;

/**
 * AdamW (Loshchilov and Hutter) with decoupled weight decay, one fused backend kernel per parameter.
 *
 * <p>Weight decay applies to parameters of rank 2 and more: the matrices of the linear layers and, as in
 * nanoGPT and llm.c, the token and position embeddings (the token embedding is also the tied output
 * projection, a matrix like the others). Biases and LayerNorm gains and shifts (rank 1) are not decayed.
 *
 * <p>The moments m and v are F32 tensors beside each parameter. A BF16 parameter (mixed precision on the GPU) also
 * has an F32 master weight, made from it here: the update accumulates there, since most updates are far below
 * BF16's resolution, and the parameter gets its rounding. The master weights are part of {@link #state()}, so a
 * resumed run continues from the same F32 values. Like the parameters all of this must outlive every step, so
 * create the optimizer with no {@link org.instruct4j.engine.Scope} open (or in the model's own scope).
 */
public final class AdamW {
    private final LinkedHashMap<String, Tensor> params;
    private final LinkedHashMap<String, Tensor> m = new LinkedHashMap<>(), v = new LinkedHashMap<>();
    /** The F32 master weight of each BF16 parameter. */
    private final LinkedHashMap<String, Tensor> master = new LinkedHashMap<>();
    private final float beta1, beta2, eps, weightDecay;
    private int step;

    /** The learning rate is not a setting here but each {@link #step}'s, as a schedule gives it. */
    public AdamW(Map<String, Tensor> params, float beta1, float beta2, float eps, float weightDecay) {
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1))
            throw new IllegalArgumentException("AdamW: betas must be in [0, 1), got " + beta1 + " and " + beta2);
        if (!(eps > 0)) throw new IllegalArgumentException("AdamW: eps must be positive, got " + eps);
        if (!(weightDecay >= 0)) throw new IllegalArgumentException("AdamW: weight decay must be >= 0, got " + weightDecay);
        this.params = new LinkedHashMap<>(params);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        for (Map.Entry<String, Tensor> e : this.params.entrySet()) {
            Tensor p = e.getValue();
            m.put(e.getKey(), Tensor.zeros(DType.F32, p.device(), p.shape()).named(e.getKey() + ".m"));
            v.put(e.getKey(), Tensor.zeros(DType.F32, p.device(), p.shape()).named(e.getKey() + ".v"));
            if (p.dtype() == DType.BF16) {
                Tensor w = Tensor.zeros(DType.F32, p.device(), p.shape()).named(e.getKey() + ".master");
                copyParameter(p, w);
                master.put(e.getKey(), w);
            }
        }
    }

    /** dst (F32) = the parameter's values. */
    private static void copyParameter(Tensor p, Tensor dst) {
        long n = p.numel();
        p.backend().copyBlock(p.buffer(), 0, n, dst.buffer(), 0, n, 1, n);
    }

    /** beta1 0.9, beta2 0.95, eps 1e-8 (GPT-3's and InstructGPT's settings). */
    public static AdamW of(Map<String, Tensor> params, float weightDecay) {
        return new AdamW(params, 0.9f, 0.95f, 1e-8f, weightDecay);
    }

    /** Whether a parameter gets weight decay: matrices and embeddings yes, biases and LayerNorm no. */
    public static boolean decays(Tensor param) { return param.rank() >= 2; }

    /**
     * One step at learning rate lr; every gradient is multiplied by gradScale first (global-norm clipping,
     * averaging over micro-batches). Parameters without a gradient are left alone (their moments too); the step
     * count of the bias correction, one for all parameters, still advances.
     */
    public void step(float lr, float gradScale) {
        step++;
        for (Map.Entry<String, Tensor> e : params.entrySet()) {
            Tensor p = e.getValue(), g = p.grad();
            if (g == null) continue;
            float wd = decays(p) ? weightDecay : 0f;
            Tensor w = master.get(e.getKey());
            p.backend().adamw(p.buffer(), w == null ? null : w.buffer(), g.buffer(), m.get(e.getKey()).buffer(),
                    v.get(e.getKey()).buffer(), p.numel(), lr, beta1, beta2, eps, wd, step, gradScale);
        }
    }

    /** Drops every parameter's gradient, so the next backward starts from nothing. */
    public void zeroGrad() {
        for (Tensor p : params.values()) p.zeroGrad();
    }

    /** Number of steps taken (the bias correction's t). */
    public int stepCount() { return step; }

    /**
     * The moments as "&lt;param&gt;.m" and "&lt;param&gt;.v", a BF16 parameter's master weight as "&lt;param&gt;.master"
     * (live tensors), and "step" as an I32 (1) tensor.
     */
    public Map<String, Tensor> state() {
        LinkedHashMap<String, Tensor> s = new LinkedHashMap<>();
        for (String name : params.keySet()) {
            s.put(name + ".m", m.get(name));
            s.put(name + ".v", v.get(name));
            if (master.containsKey(name)) s.put(name + ".master", master.get(name));
        }
        s.put("step", Tensor.ofInts(new int[] {step}, 1));
        return s;
    }

    /**
     * Restores what {@link #state()} saved: the moments (every "&lt;param&gt;.m" and ".v" must be there with the
     * parameter's shape), the master weights and "step". A BF16 parameter whose "&lt;param&gt;.master" is absent (the
     * state of an F32 run) gets its master weight from the parameter as it is now, so load the weights first.
     */
    public void loadState(Map<String, Tensor> state) {
        int step = savedStep(state);
        for (String name : params.keySet()) {
            copy(state, name + ".m", m.get(name));
            copy(state, name + ".v", v.get(name));
            Tensor w = master.get(name);
            if (w == null) continue;
            if (state.containsKey(name + ".master")) copy(state, name + ".master", w);
            else copyParameter(params.get(name), w);
        }
        this.step = step;
    }

    private static int savedStep(Map<String, Tensor> state) {
        Tensor saved = state.get("step");
        if (saved == null) throw new IllegalArgumentException("AdamW state: missing 'step'");
        if (saved.dtype() != DType.I32 || saved.numel() != 1)
            throw new IllegalArgumentException("AdamW state: 'step' should be one I32, got " + saved.describe());
        int step = saved.toIntArray()[0];
        if (step < 0) throw new IllegalArgumentException("AdamW state: negative step " + step);
        return step;
    }

    private static void copy(Map<String, Tensor> state, String key, Tensor dst) {
        Tensor src = state.get(key);
        if (src == null) throw new IllegalArgumentException("AdamW state: missing '" + key + "'");
        if (!Arrays.equals(src.shape(), dst.shape()))
            throw new IllegalArgumentException("AdamW state: '" + key + "' has shape " + Tensor.shapeString(src.shape())
                    + ", expected " + Tensor.shapeString(dst.shape()));
        dst.backend().upload(src.toFloatArray(), dst.buffer());
    }
}
