package org.instruct4j.engine.optim;

import java.util.Collection;
import java.util.List;
import java.util.Objects;
import org.instruct4j.engine.DType;
import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.backend.Buffer;

/**
 * Global-norm gradient clipping. The norm is measured here; the scale is not applied to the gradients but
 * folded into {@link AdamW#step(float, float)}'s gradScale, which saves a pass over every gradient.
 */
public final class GradClip {
    private GradClip() {}

    /**
     * sqrt of the sum of the squares of every gradient (parameters without one are skipped): each gradient's sum
     * of squares in one backend call, then their total in double, in the parameters' order.
     */
    public static float globalNorm(Collection<Tensor> params) {
        List<Tensor> grads = params.stream().map(Tensor::grad).filter(Objects::nonNull).toList();
        if (grads.isEmpty()) return 0f;
        Buffer[] buffers = new Buffer[grads.size()];
        for (int i = 0; i < buffers.length; i++) {
            Tensor g = grads.get(i);
            if (!g.device().equals(grads.get(0).device()))
                throw new IllegalArgumentException("global norm of gradients on different devices: " + grads.get(0).device() + " and " + g.device());
            buffers[i] = g.buffer();
        }
        double total = 0;
        try (Tensor each = Tensor.zeros(DType.F32, grads.get(0).device(), buffers.length)) {
            grads.get(0).backend().sumSquaresEach(buffers, each.buffer());
            for (float s : each.toFloatArray()) total += s;
        }
        return (float) Math.sqrt(total);
    }

    /** min(1, maxNorm / (norm + 1e-6)): the factor that brings the gradient's norm down to maxNorm. */
    public static float clipScale(float norm, float maxNorm) {
        if (!(maxNorm > 0)) throw new IllegalArgumentException("max gradient norm must be positive, got " + maxNorm);
        return (float) Math.min(1.0, maxNorm / (norm + 1e-6));
    }
}
