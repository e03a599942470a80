package org.instruct4j.engine.backend.cpu;

/** Runs GEMM tasks on the pool, or all on the calling thread (tests use that to check determinism). */
final class GemmTasks {
    private GemmTasks() {}

    static void run(int tasks, int grain, boolean parallel, Parallel.RangeBody body) {
        if (parallel) Parallel.forRange(tasks, grain, body);
        else if (tasks > 0) body.run(0, tasks);
    }
}
