package org.instruct4j.engine.nn;

import org.instruct4j.engine.DType;
import org.instruct4j.engine.Device;
import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.ops.LayerNormOp;

/** LayerNorm over the last dim; weight starts at 1 and bias at 0. */
public final class LayerNorm extends Module {
    private final Tensor weight, bias;
    private final float eps;

    public LayerNorm(int dim, float eps, Device device, DType dtype) {
        this.eps = eps;
        weight = parameter("weight", Tensor.full(1f, dtype, device, dim));
        bias = parameter("bias", Tensor.full(0f, dtype, device, dim));
    }

    public Tensor apply(Tensor x) { return LayerNormOp.apply(x, weight, bias, eps); }
}
