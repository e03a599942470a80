package org.instruct4j.engine.nn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.instruct4j.engine.Tensor;

/**
 * Something with named parameters. A module registers its own tensors and its children's (under a dotted
 * prefix, "h.3.attn.c_attn.weight") in the order it makes them, so {@link #parameters()} lists them in the
 * same order as a Hugging Face state dict.
 *
 * <p>Parameters are leaves that require grad and are owned by no scope: build a module with no
 * {@link org.instruct4j.engine.Scope} open (or inside one that lives as long as the module).
 */
public abstract class Module {
    private final LinkedHashMap<String, Tensor> params = new LinkedHashMap<>();

    /** Registers a parameter under name; returns it, named and requiring grad. */
    protected final Tensor parameter(String name, Tensor value) {
        if (params.containsKey(name)) throw new IllegalStateException("parameter '" + name + "' registered twice");
        value.named(name).requiresGrad(true);
        params.put(name, value);
        return value;
    }

    /** Registers a child's parameters under prefix + "."; returns the child. */
    protected final <M extends Module> M child(String prefix, M module) {
        for (Map.Entry<String, Tensor> e : ((Module) module).params.entrySet()) {
            String name = prefix + "." + e.getKey();
            if (params.containsKey(name)) throw new IllegalStateException("parameter '" + name + "' registered twice");
            params.put(name, e.getValue().named(name));
        }
        return module;
    }

    /** The parameters by Hugging Face name, in registration order (a fresh map; the tensors are the live ones). */
    public LinkedHashMap<String, Tensor> parameters() { return new LinkedHashMap<>(params); }

    /**
     * Makes every parameter a constant: backward passes no gradient into them (a frozen reference model). Forward
     * still builds a graph through the activations where grad mode is on; run a frozen model under
     * {@link org.instruct4j.engine.autograd.GradMode#off()} where nothing behind it needs a gradient.
     */
    public void freeze() {
        for (Tensor p : params.values()) p.requiresGrad(false);
    }

    public void zeroGrad() {
        for (Tensor p : params.values()) p.zeroGrad();
    }

    public long parameterCount() {
        long n = 0;
        for (Tensor p : params.values()) n += p.numel();
        return n;
    }

    /**
     * Copies values into the parameters of the same names. A misshaped tensor is always an error; strict also
     * makes a missing parameter and an unexpected name errors (buffers Hugging Face stores beside the weights,
     * "attn.bias" and "attn.masked_bias", and the tied "lm_head.weight" are ignored; a "transformer." prefix is
     * stripped). Without strict, parameters with no value keep theirs.
     */
    public void loadParameters(Map<String, Tensor> values, boolean strict) {
        Map<String, Tensor> byName = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : values.entrySet()) {
            String name = e.getKey().startsWith("transformer.") ? e.getKey().substring("transformer.".length()) : e.getKey();
            byName.put(name, e.getValue());
        }
        List<String> missing = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : params.entrySet()) {
            Tensor src = byName.get(e.getKey());
            if (src == null) {
                missing.add(e.getKey());
                continue;
            }
            Tensor dst = e.getValue();
            if (!Arrays.equals(src.shape(), dst.shape()))
                throw new IllegalArgumentException("parameter '" + e.getKey() + "': expected shape "
                        + Tensor.shapeString(dst.shape()) + ", got " + Tensor.shapeString(src.shape()));
            copyInto(src, dst, e.getKey());
        }
        if (strict && !missing.isEmpty())
            throw new IllegalArgumentException("missing parameter" + (missing.size() > 1 ? "s " : " ") + missing
                    + " (" + getClass().getSimpleName() + " has " + params.size() + ", given " + values.size() + ")");
        if (strict) {
            List<String> unexpected = new ArrayList<>();
            for (String name : byName.keySet())
                if (!params.containsKey(name) && !ignorable(name)) unexpected.add(name);
            if (!unexpected.isEmpty())
                throw new IllegalArgumentException("unexpected tensor" + (unexpected.size() > 1 ? "s " : " ") + unexpected
                        + " for " + getClass().getSimpleName());
        }
    }

    /** Copies another module's parameters into this one (same architecture): the frozen reference, value init. */
    public void copyFrom(Module other) {
        if (other == this) return;
        loadParameters(other.params, true);
    }

    private static boolean ignorable(String name) {
        return name.endsWith(".attn.bias") || name.endsWith(".attn.masked_bias") || name.equals("lm_head.weight");
    }

    private static void copyInto(Tensor src, Tensor dst, String name) {
        if (src.dtype() == dst.dtype() && src.device().equals(dst.device())) {
            dst.backend().copyBlock(src.buffer(), 0, src.numel(), dst.buffer(), 0, dst.numel(), 1, dst.numel());
        } else if (src.dtype().isFloating() && dst.dtype().isFloating()) {
            dst.backend().upload(src.toFloatArray(), dst.buffer());
        } else {
            throw new IllegalArgumentException("parameter '" + name + "': cannot load a " + src.dtype() + " tensor into " + dst.dtype());
        }
    }
}
