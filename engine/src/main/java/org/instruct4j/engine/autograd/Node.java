package org.instruct4j.engine.autograd;

import org.instruct4j.engine.Tensor;

/** How a tensor was made: the op's name (for errors), its inputs, and its backward. */
public record Node(String op, Tensor[] inputs, BackwardFn backward) {}
