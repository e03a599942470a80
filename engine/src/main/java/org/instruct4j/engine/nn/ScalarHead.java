package org.instruct4j.engine.nn;

import org.instruct4j.engine.Device;
import org.instruct4j.engine.Rng;
import org.instruct4j.engine.Tensor;

/**
 * A scalar per position from the final hidden state: the reward model's and the value model's head.
 * Weight "score.weight" (C, 1) starts N(0, 1/sqrt(C + 1)) as in the InstructGPT recipe, bias "score.bias" 0.
 */
public final class ScalarHead extends Module {
    private final Linear score;

    public ScalarHead(int dim, Rng rng, Device device) {
        score = child("score", new Linear(dim, 1, (float) (1.0 / Math.sqrt(dim + 1.0)), rng, device));
    }

    /** hidden (B, T, C) -> scores (B, T). */
    public Tensor apply(Tensor hidden) {
        Tensor s = score.apply(hidden);
        return s.reshape(hidden.dim(0), hidden.dim(1));
    }

    /** Sets the bias (the reward model is shifted so that demonstrations score 0 on average). */
    public void setBias(float value) { score.bias().backend().upload(new float[] {value}, score.bias().buffer()); }

    public float bias() { return score.bias().item(); }
}
