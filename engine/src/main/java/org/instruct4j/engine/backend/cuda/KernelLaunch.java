package org.instruct4j.engine.backend.cuda;

import java.util.List;

/**
 * One kernel launch described as data, so launch planning (pure Java, checked without a GPU) is apart from
 * launching (the CUDA backend). module is the kernels/src file name without ".cu"; args are the kernel's
 * arguments in parameter order: values (CudaBuffer, Long, Integer, Float; see KernelArgs) from Launches, or
 * AttentionArg names from AttentionPlan, which the backend binds to values before launching.
 */
public record KernelLaunch(String module, String kernel, int[] grid, int[] block, int sharedBytes, List<?> args) {
    public KernelLaunch {
        if (grid.length != 3 || block.length != 3) throw new IllegalArgumentException("grid and block need 3 dims");
        args = List.copyOf(args);
    }

    /** A launch over no blocks: nothing to do. */
    public boolean isEmpty() { return grid[0] == 0 || grid[1] == 0 || grid[2] == 0; }
}
