package org.instruct4j.engine.nn;

import org.instruct4j.engine.DType;
import org.instruct4j.engine.Device;
import org.instruct4j.engine.Rng;
import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.ops.MatMul;

/** y = x W + b with W stored (in, out), Hugging Face's Conv1D layout, so no transpose is needed. */
public final class Linear extends Module {
    private final Tensor weight, bias;

    public Linear(int in, int out, float std, Rng rng, Device device) { this(in, out, std, rng, device, DType.F32); }

    public Linear(int in, int out, float std, Rng rng, Device device, DType dtype) {
        weight = parameter("weight", Tensor.randn(rng, std, dtype, device, in, out));
        bias = parameter("bias", Tensor.zeros(dtype, device, out));
    }

    public Tensor weight() { return weight; }

    public Tensor bias() { return bias; }

    /** x (..., in) -> (..., out). */
    public Tensor apply(Tensor x) { return MatMul.linear(x, weight, bias); }
}
