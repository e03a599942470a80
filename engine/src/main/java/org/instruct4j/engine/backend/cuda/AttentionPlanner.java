package org.instruct4j.engine.backend.cuda;

import java.util.List;
import org.instruct4j.engine.DType;

/**
 * Plans the launches of causal attention on the GPU for the shapes of Backend.attention: q (B,H,Tq,D), k and v
 * (B,H,Tk,D), out like q, lse F32 (B,H,Tq). The CUDA backend allocates the workspaces the plan asks for
 * (zero-filled), binds the arguments, and runs the launches in order on one stream.
 */
public interface AttentionPlanner {
    List<KernelLaunch> forward(DType dtype, int batch, int heads, int tq, int tk, int headDim);

    List<KernelLaunch> backward(DType dtype, int batch, int heads, int tq, int tk, int headDim);

    /** Bytes of a workspace argument (0 when the plan does not use it). */
    long workspaceBytes(AttentionArg workspace, DType dtype, int batch, int heads, int tq, int tk, int headDim);
}
