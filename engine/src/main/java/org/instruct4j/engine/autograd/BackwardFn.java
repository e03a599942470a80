package org.instruct4j.engine.autograd;

import org.instruct4j.engine.Tensor;

/**
 * The local derivative of one op: given the gradient of its output, the gradients of its inputs (in the order
 * of {@link Node#inputs()}); null where an input needs none.
 */
@FunctionalInterface
public interface BackwardFn {
    Tensor[] apply(Tensor gradOutput);
}
