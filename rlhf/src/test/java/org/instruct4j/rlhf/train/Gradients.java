package org.instruct4j.rlhf.train;

import java.util.LinkedHashMap;
import java.util.Map;
import org.instruct4j.engine.Tensor;

/** The gradients a backward pass left in a model's parameters, and how far two such sets are apart. */
public final class Gradients {
    private Gradients() {}

    public static Map<String, float[]> of(Map<String, Tensor> parameters) {
        Map<String, float[]> out = new LinkedHashMap<>();
        parameters.forEach((name, p) -> { if (p.grad() != null) out.put(name, p.grad().toFloatArray()); });
        return out;
    }

    /** The largest difference of two gradient sets over the same parameters, relative to the largest gradient (at least 1). */
    public static double maxRelativeDifference(Map<String, float[]> a, Map<String, float[]> b) {
        if (!a.keySet().equals(b.keySet())) throw new AssertionError("gradients of other parameters: " + a.keySet() + " vs " + b.keySet());
        double diff = 0, largest = 0;
        for (String name : a.keySet()) {
            float[] x = a.get(name), y = b.get(name);
            for (int i = 0; i < x.length; i++) {
                diff = Math.max(diff, Math.abs(x[i] - y[i]));
                largest = Math.max(largest, Math.abs(x[i]));
            }
        }
        if (largest < 1e-6) throw new AssertionError("no gradient to compare");
        return diff / Math.max(1, largest);
    }
}
