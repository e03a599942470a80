package org.instruct4j.bench;

import java.util.concurrent.TimeUnit;
import org.instruct4j.engine.Device;
import org.instruct4j.engine.Rng;
import org.instruct4j.engine.Scope;
import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.nn.Gpt;
import org.instruct4j.engine.nn.GptConfig;
import org.instruct4j.engine.ops.CrossEntropy;
import org.instruct4j.engine.optim.AdamW;
import org.instruct4j.engine.optim.GradClip;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One full training step of the tiny GPT on the CPU: forward, cross-entropy, backward, global-norm clipping
 * and AdamW. Each invocation trains on BATCH x SEQ tokens and says so to JMH, so the reported ops/s are
 * tokens/s.
 */
@State(org.openjdk.jmh.annotations.Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class TrainStepBenchmark {
    static final int BATCH = 8;
    static final int SEQ = 128;
    static final GptConfig CONFIG = GptConfig.tiny().withContext(SEQ);

    Gpt model;
    AdamW optimizer;
    Tensor inputs, targets;

    @Setup public void setup() {
        Rng rng = new Rng(1234);
        model = new Gpt(CONFIG, rng, Device.CPU);
        optimizer = AdamW.of(model.parameters(), 0.1f);
        int[] in = new int[BATCH * SEQ], out = new int[BATCH * SEQ];
        for (int i = 0; i < in.length; i++) {
            in[i] = rng.nextInt(CONFIG.vocabSize());
            out[i] = rng.nextInt(CONFIG.vocabSize());
        }
        inputs = Tensor.ofInts(in, BATCH, SEQ);
        targets = Tensor.ofInts(out, BATCH, SEQ);
    }

    @Benchmark
    @OperationsPerInvocation(BATCH * SEQ)
    public float trainStep() {
        try (Scope step = Scope.open()) {
            Tensor loss = CrossEntropy.mean(model.forward(inputs, null), targets);
            loss.backward();
            float scale = GradClip.clipScale(GradClip.globalNorm(model.parameters().values()), 1f);
            optimizer.step(3e-4f, scale);
            optimizer.zeroGrad();
            return loss.item();
        }
    }
}
