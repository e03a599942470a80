package org.instruct4j.engine.backend.cuda;

/**
 * What an attention kernel parameter is bound to. Tensors and workspaces are passed as 64-bit device pointers
 * (START is a device int array of B offsets, or a null pointer when there is no padding); BATCH .. HEAD_DIM as
 * 32-bit ints; SCALE as a 32-bit float.
 */
public enum AttentionArg {
    Q, K, V, OUT, LSE, START, DOUT, DQ, DK, DV,
    /** Per-row dot(dout, out), F32 (B*H*Tq), computed before the backward proper. */
    WORKSPACE_DELTA,
    BATCH, HEADS, TQ, TK, HEAD_DIM, SCALE
}
