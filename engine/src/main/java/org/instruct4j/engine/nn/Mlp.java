package org.instruct4j.engine.nn;

import org.instruct4j.engine.DType;
import org.instruct4j.engine.Device;
import org.instruct4j.engine.Rng;
import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.ops.Gelu;

/** The feed-forward half of a block: C -> 4C, tanh-GELU, 4C -> C. */
public final class Mlp extends Module {
    private final Linear fc, proj;

    public Mlp(GptConfig c, Rng rng, Device device, DType dtype) {
        fc = child("c_fc", new Linear(c.dim(), 4 * c.dim(), Gpt.INIT_STD, rng, device, dtype));
        proj = child("c_proj", new Linear(4 * c.dim(), c.dim(), Gpt.residualStd(c), rng, device, dtype));
    }

    public Tensor apply(Tensor x) { return proj.apply(Gelu.gelu(fc.apply(x))); }
}
