package org.instruct4j.bench.gpu;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.instruct4j.bench.BenchArgs;
import org.instruct4j.engine.DType;
import org.instruct4j.engine.Device;
import org.instruct4j.engine.Rng;
import org.instruct4j.engine.Scope;
import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.nn.Gpt;
import org.instruct4j.engine.nn.GptConfig;
import org.instruct4j.engine.ops.CrossEntropy;
import org.instruct4j.engine.optim.AdamW;

/**
 * GPT-2 124M training on cuda:0: forward, mean cross-entropy, backward, AdamW with global-norm clipping at 1, the
 * step torch_gpt2_train.py times for PyTorch (transformers' GPT2LMHeadModel, the same shapes; F32 with TF32 off, and
 * bf16 autocast). Here F32, or BF16 parameters and activations with F32 master weights. Random token ids, dropout
 * off. Each step is timed on the host up to its loss read back (which waits for the GPU); the median over the timed
 * steps gives tokens per second.
 *
 * <p>Usage: CudaTrainStep [batch 8] [sequence 1024] [timed steps 10] [warm-up steps 3] [f32 | bf16, default f32]
 */
public final class CudaTrainStep {
    /** What one run measured: the median step, its tokens per second, and the first and last loss. */
    record Result(DType dtype, int batch, int seq, double medianMs, double tokensPerSecond, float firstLoss, float lastLoss) {}

    static final String USAGE = "usage: CudaTrainStep [batch; default 8] [sequence, at most 1024; default 1024]"
            + " [timed steps; default 10] [warm-up steps; default 3] [f32 or bf16; default f32]";

    private CudaTrainStep() {}

    public static void main(String[] args) {
        BenchArgs a = BenchArgs.of("CudaTrainStep", USAGE, args);
        GptConfig config = GptConfig.gpt2().withDropout(0f);
        int batch = a.count(0, "batch", 1, 8);
        int seq = a.count(1, "sequence", 1, 1024);
        if (seq > config.contextLength())
            throw a.fail("sequence must be at most " + config.contextLength() + " (GPT-2's context), got " + seq);
        int timed = a.count(2, "timed steps", 1, 10);
        int warmup = a.count(3, "warm-up steps", 0, 3);
        DType dtype = DType.valueOf(a.name(4, "precision", "f32", List.of("f32", "bf16")).toUpperCase(Locale.ROOT));
        a.done();
        Result r = run(config, dtype, batch, seq, warmup, timed);
        System.out.printf("instruct4j gpt2-124M %s train step\tB%d T%d\t%.2f ms\t%.0f tokens/s\tloss %.4f -> %.4f%n",
                r.dtype().name().toLowerCase(Locale.ROOT), r.batch(), r.seq(), r.medianMs(), r.tokensPerSecond(),
                r.firstLoss(), r.lastLoss());
    }

    static Result run(GptConfig config, DType dtype, int batch, int seq, int warmup, int timed) {
        Device gpu = Device.cuda(0);
        Rng rng = new Rng(1);
        Gpt model = new Gpt(config, rng, gpu, dtype);
        int[] tokens = new int[batch * (seq + 1)];
        for (int i = 0; i < tokens.length; i++) tokens[i] = rng.nextInt(config.vocabSize());
        int[] in = new int[batch * seq], out = new int[batch * seq];
        for (int b = 0; b < batch; b++) {
            System.arraycopy(tokens, b * (seq + 1), in, b * seq, seq);
            System.arraycopy(tokens, b * (seq + 1) + 1, out, b * seq, seq);
        }
        Tensor inputs = Tensor.ofInts(in, gpu, batch, seq), targets = Tensor.ofInts(out, gpu, batch, seq);
        AdamW opt = AdamW.of(model.parameters(), 0.1f);
        double[] ms = new double[timed];
        float first = Float.NaN, last = Float.NaN;
        for (int s = 0; s < warmup + timed; s++) {
            long t0 = System.nanoTime();
            float loss;
            try (Scope step = Scope.open()) {
                Tensor l = CrossEntropy.mean(model.logits(model.hidden(inputs, null, null, false, null)), targets);
                l.backward();
                opt.step(3e-4f, 1f);
                opt.zeroGrad();
                loss = l.item();
            }
            long t1 = System.nanoTime();
            if (s == 0) first = loss;
            last = loss;
            if (s >= warmup) ms[s - warmup] = (t1 - t0) / 1e6;
            System.out.printf("step %d: %.2f ms, loss %.4f%n", s, (t1 - t0) / 1e6, loss);
        }
        Arrays.sort(ms);
        double median = ms[timed / 2];
        return new Result(dtype, batch, seq, median, batch * seq / (median / 1e3), first, last);
    }
}
