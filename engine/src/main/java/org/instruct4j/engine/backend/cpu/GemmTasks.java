package org.instruct4j.engine.backend.cpu;

/**
 * Runs GEMM tasks on the pool, each task claimed on its own (see {@link Parallel#forEachItem}), or all on the calling
 * thread (tests use that to check determinism).
 */
final class GemmTasks {
    private GemmTasks() {}

    static void run(int tasks, boolean parallel, Parallel.RangeBody body) {
        if (parallel) Parallel.forEachItem(tasks, body);
        else if (tasks > 0) body.run(0, tasks);
    }
}
