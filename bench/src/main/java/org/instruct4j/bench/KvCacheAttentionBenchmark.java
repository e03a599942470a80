package org.instruct4j.bench;

import java.util.concurrent.TimeUnit;
import org.instruct4j.engine.Rng;
import org.instruct4j.engine.Scope;
import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.autograd.GradMode;
import org.instruct4j.engine.ops.Attention;
import org.instruct4j.engine.ops.ShapeOps;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One layer's attention in a KV-cache decode step of the demo's model (batch 64, 3 heads of 32 dims, a cache of
 * 192 positions of which `filled` are keys), two ways side by side: {@code inPlace} reads the keys where the cache
 * keeps them (what KvCache does now); {@code copied} first copies them into tensors of their own, as the cache did
 * before (and as a backend without a strided kernel still does). Each invocation is one step of one layer.
 */
@State(org.openjdk.jmh.annotations.Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class KvCacheAttentionBenchmark {
    static final int BATCH = 64, HEADS = 3, HEAD_DIM = 32, CAPACITY = 192;

    /** Keys in the cache: early in a response, and late. */
    @Param({"48", "160"})
    public int filled;

    Tensor query, keyCache, valueCache;
    int[] start;

    @Setup public void setup() {
        Rng rng = new Rng(42);
        query = Tensor.randn(rng, 1f, BATCH, HEADS, 1, HEAD_DIM);
        keyCache = Tensor.randn(rng, 1f, BATCH, HEADS, CAPACITY, HEAD_DIM);
        valueCache = Tensor.randn(rng, 1f, BATCH, HEADS, CAPACITY, HEAD_DIM);
        start = new int[BATCH];
        for (int b = 0; b < BATCH; b++) start[b] = rng.nextInt(filled / 2); // left padding, as in a batch of prompts
    }

    // Both return the output's size so nothing is optimised away (the output is written to a buffer either way);
    // reading values back would add the same copy to both.
    @Benchmark public long inPlace() {
        try (Scope step = Scope.open(); GradMode noGrad = GradMode.off()) {
            return Attention.inCache(query, keyCache, valueCache, filled, start).numel();
        }
    }

    @Benchmark public long copied() {
        try (Scope step = Scope.open(); GradMode noGrad = GradMode.off()) {
            Tensor k = ShapeOps.slice(keyCache, 2, 0, filled), v = ShapeOps.slice(valueCache, 2, 0, filled);
            return Attention.causal(query, k, v, start).numel();
        }
    }
}
