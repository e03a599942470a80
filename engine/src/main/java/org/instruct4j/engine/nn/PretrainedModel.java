package org.instruct4j.engine.nn;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.instruct4j.engine.Tensor;

/**
 * A model folder's content: the GPT-2, what it is for, and the folder's tensors that are not GPT-2's (a reward or
 * value head, "score.weight" and "score.bias"; a trainer's other models under a prefix), by their names in the
 * file, on the model's device.
 */
public record PretrainedModel(Gpt gpt, ModelKind kind, Map<String, Tensor> extras) {
    public PretrainedModel {
        extras = Collections.unmodifiableMap(new LinkedHashMap<>(extras));
    }

    /** A language model with no extra tensors. */
    public static PretrainedModel lm(Gpt gpt) { return new PretrainedModel(gpt, ModelKind.LM, Map.of()); }
}
