package org.instruct4j.engine.backend.cuda;

import java.util.List;

/**
 * One kernel launch described as data, so launch planning (pure Java, unit-tested without a GPU) is apart from
 * launching (the CUDA backend). module is the kernels/src file name without ".cu"; args name, in order, what the
 * kernel's parameters are bound to.
 */
public record KernelLaunch(String module, String kernel, int[] grid, int[] block, int sharedBytes, List<AttentionArg> args) {
    public KernelLaunch {
        if (grid.length != 3 || block.length != 3) throw new IllegalArgumentException("grid and block need 3 dims");
        args = List.copyOf(args);
    }
}
