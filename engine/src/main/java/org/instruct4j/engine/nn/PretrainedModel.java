package org.instruct4j.engine.nn;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.instruct4j.engine.Tensor;

/**
 * A GPT-2 read from a Hugging Face folder, with the tensors of that folder that are not GPT-2's (for example a
 * reward or value head, "score.weight" and "score.bias"), by their names in the file, on the model's device.
 */
public record PretrainedModel(Gpt gpt, Map<String, Tensor> extras) {
    public PretrainedModel {
        extras = Collections.unmodifiableMap(new LinkedHashMap<>(extras));
    }
}
