package org.instruct4j.rlhf.train;

import java.util.LinkedHashMap;
import java.util.Map;
import org.instruct4j.engine.Tensor;

/** Host copies of parameter values: keeping the best checkpoint in memory, restoring it later. */
public final class Snapshots {
    private Snapshots() {}

    public static Map<String, float[]> take(Map<String, Tensor> params) {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : params.entrySet()) out.put(e.getKey(), e.getValue().toFloatArray());
        return out;
    }

    public static void restore(Map<String, Tensor> params, Map<String, float[]> values) {
        for (Map.Entry<String, Tensor> e : params.entrySet()) {
            float[] v = values.get(e.getKey());
            if (v == null) throw new IllegalArgumentException("snapshot has no '" + e.getKey() + "'");
            e.getValue().backend().upload(v, e.getValue().buffer());
        }
    }

    /** Wraps host copies as CPU tensors (to save them in a checkpoint). */
    public static Map<String, Tensor> asTensors(Map<String, float[]> values, Map<String, Tensor> shapes) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, float[]> e : values.entrySet()) out.put(e.getKey(), Tensor.of(e.getValue(), shapes.get(e.getKey()).shape()));
        return out;
    }
}
