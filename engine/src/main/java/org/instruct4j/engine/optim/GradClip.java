package org.instruct4j.engine.optim;

import java.util.Collection;
import org.instruct4j.engine.DType;
import org.instruct4j.engine.Tensor;

/**
 * Global-norm gradient clipping. The norm is measured here; the scale is not applied to the gradients but
 * folded into {@link AdamW#step(float, float)}'s gradScale, which saves a pass over every gradient.
 */
public final class GradClip {
    private GradClip() {}

    /** sqrt of the sum of the squares of every gradient (parameters without one are skipped), summed in double. */
    public static float globalNorm(Collection<Tensor> params) {
        double total = 0;
        for (Tensor p : params) {
            Tensor g = p.grad();
            if (g == null) continue;
            Tensor out = Tensor.zeros(DType.F32, g.device(), 1);
            g.backend().sumSquares(g.buffer(), out.buffer(), g.numel());
            total += out.item();
            out.free();
        }
        return (float) Math.sqrt(total);
    }

    /** min(1, maxNorm / (norm + 1e-6)): the factor that brings the gradient's norm down to maxNorm. */
    public static float clipScale(float norm, float maxNorm) {
        if (!(maxNorm > 0)) throw new IllegalArgumentException("max gradient norm must be positive, got " + maxNorm);
        return (float) Math.min(1.0, maxNorm / (norm + 1e-6));
    }
}
