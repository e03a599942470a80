package org.instruct4j.bench.gpu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.instruct4j.bench.BenchArgs;
import org.instruct4j.engine.DType;
import org.instruct4j.engine.backend.Buffer;
import org.instruct4j.engine.backend.cuda.CudaBackend;

/**
 * The CUDA kernels' speed on the GPU it runs on, side by side with a peer in the same run: the memory-bound
 * kernels (layernorm, AdamW, cross-entropy) in GB/s against a plain copy (cuMemcpyDtoD and the copy_block kernel),
 * GEMM in TFLOP/s (cuBLAS, BF16 in, F32 compute), and attention in TFLOP/s at the shapes of attention_bench.py,
 * whose PyTorch SDPA figures the first-contact script puts beside these. Writes DIR/microbench.tsv.
 *
 * <p>Each case runs 3 times to warm up (compiling its kernels), then as many times as fit in about 0.3 s
 * (at least 5), timed on the host around a synchronize: launch overhead counts, as it does in training.
 *
 * <p>Usage: CudaMicrobench DIR [quick]. "quick" runs the smaller shapes only.
 */
public final class CudaMicrobench {
    /** One measured case: milliseconds per call, the bytes it must move and the FLOPs it does. */
    record Result(String name, String shape, double ms, double bytes, double flops) {
        String row() {
            return String.format("%s\t%s\t%.4f\t%.1f\t%.2f", name, shape, ms, bytes / ms / 1e6, flops / ms / 1e9);
        }
    }

    private final CudaBackend gpu = (CudaBackend) CudaBackend.open(0);
    private final Random random = new Random(1);
    private final List<Result> results = new ArrayList<>();

    public static void main(String[] args) throws IOException {
        BenchArgs a = BenchArgs.of("CudaMicrobench", "usage: CudaMicrobench DIR [quick: the smaller shapes only]", args);
        Path out = Path.of(a.text(0, "DIR (where microbench.tsv goes)", null));
        boolean quick = args.length > 1 && a.name(1, "second argument", "quick", List.of("quick")).equals("quick");
        a.done();
        CudaMicrobench bench = new CudaMicrobench();
        System.out.println("device: " + bench.gpu.describe());
        bench.copies(64L << 20);
        bench.layerNorm(8 * 1024, 768);
        bench.layerNorm(8 * 1024, 1600);
        bench.adamw(quick ? 25_000_000 : 124_000_000);
        bench.crossEntropy(4 * 1024, 50257);
        bench.gemm(4096, 4096, 4096);
        bench.gemm(8 * 1024, 3072, 768);
        bench.attention(8, 12, 1024, 64);
        if (!quick) bench.attention(4, 16, 2048, 128);
        Files.createDirectories(out);
        List<String> lines = new ArrayList<>(List.of("name\tshape\tms\tGB/s\tTFLOP/s"));
        bench.results.forEach(r -> lines.add(r.row()));
        Files.write(out.resolve("microbench.tsv"), lines);
        lines.forEach(System.out::println);
    }

    private Buffer buffer(DType dtype, long n, boolean randomValues) {
        Buffer b = gpu.allocate(dtype, n);
        if (randomValues) {
            float[] x = new float[Math.toIntExact(n)];
            long seed = random.nextLong();
            for (int i = 0; i < x.length; i++) x[i] = ((seed + i) * 0x9E3779B97F4A7C15L >>> 40) / (float) (1 << 23) - 1f;  // uniform in [-1, 1): cheap for 10^8 values
            gpu.upload(x, b);
        }
        return b;
    }

    private void time(String name, String shape, double bytes, double flops, Runnable op) {
        for (int i = 0; i < 3; i++) op.run();
        gpu.synchronize();
        long start = System.nanoTime();
        int reps = 0;
        do {
            op.run();
            reps++;
            if (reps % 5 == 0) gpu.synchronize();
        } while (reps < 5 || System.nanoTime() - start < 300_000_000L);
        gpu.synchronize();
        Result r = new Result(name, shape, (System.nanoTime() - start) / 1e6 / reps, bytes, flops);
        results.add(r);
        System.out.println(r.row());
    }

    /** The peers of the memory-bound kernels: n F32 elements copied (read once, written once). */
    void copies(long n) {
        try (Buffer src = buffer(DType.F32, n, false); Buffer dst = buffer(DType.F32, n, false)) {
            time("copy cuMemcpyDtoD", n + " f32", 8.0 * n, 0, () -> gpu.copyBlock(src, 0, n, dst, 0, n, 1, n));
            long cols = 8192, rows = n / (cols + 32);  // rows padded by 32 elements: the copy_block kernel, not a memcpy
            time("copy copy_block kernel", rows + "x" + cols + " f32", 8.0 * rows * cols, 0,
                    () -> gpu.copyBlock(src, 0, cols + 32, dst, 0, cols + 32, rows, cols));
        }
    }

    void layerNorm(int rows, int cols) {
        long n = (long) rows * cols;
        try (Buffer x = buffer(DType.BF16, n, true); Buffer w = buffer(DType.BF16, cols, true); Buffer b = buffer(DType.BF16, cols, true);
             Buffer y = buffer(DType.BF16, n, false); Buffer mean = buffer(DType.F32, rows, false); Buffer rstd = buffer(DType.F32, rows, false);
             Buffer dy = buffer(DType.BF16, n, true); Buffer dx = buffer(DType.BF16, n, false);
             Buffer dw = buffer(DType.BF16, cols, false); Buffer db = buffer(DType.BF16, cols, false)) {
            String shape = rows + "x" + cols + " bf16";
            time("layernorm forward", shape, 2.0 * n * 2, 0, () -> gpu.layerNorm(x, w, b, y, mean, rstd, rows, cols, 1e-5f));
            time("layernorm backward", shape, 3.0 * n * 2, 0, () -> gpu.layerNormBackward(dy, x, w, mean, rstd, dx, dw, db, rows, cols));
        }
    }

    /** A BF16 model's step: master, m, v F32 read and written, the BF16 gradient read and parameter written. */
    void adamw(long n) {
        try (Buffer p = buffer(DType.BF16, n, false); Buffer master = buffer(DType.F32, n, false); Buffer g = buffer(DType.BF16, n, false);
             Buffer m = buffer(DType.F32, n, false); Buffer v = buffer(DType.F32, n, false)) {
            int[] t = {0};
            time("adamw bf16 + f32 master", n + " params", 28.0 * n, 0,
                    () -> gpu.adamw(p, master, g, m, v, n, 1e-4f, 0.9f, 0.95f, 1e-8f, 0.1f, ++t[0], 1f));
        }
    }

    void crossEntropy(int rows, int vocab) {
        long n = (long) rows * vocab;
        try (Buffer logits = buffer(DType.BF16, n, true); Buffer targets = gpu.allocate(DType.I32, rows);
             Buffer loss = buffer(DType.F32, rows, false); Buffer lse = buffer(DType.F32, rows, false);
             Buffer dloss = buffer(DType.F32, rows, true); Buffer dlogits = buffer(DType.BF16, n, false)) {
            String shape = rows + "x" + vocab + " bf16";
            time("cross-entropy forward", shape, 2.0 * n, 0, () -> gpu.crossEntropy(logits, targets, loss, lse, rows, vocab));
            time("cross-entropy backward", shape, 4.0 * n, 0,
                    () -> gpu.crossEntropyBackward(logits, targets, lse, dloss, dlogits, rows, vocab));
        }
    }

    void gemm(int m, int n, int k) {
        try (Buffer a = buffer(DType.BF16, (long) m * k, true); Buffer b = buffer(DType.BF16, (long) k * n, true);
             Buffer c = buffer(DType.BF16, (long) m * n, false)) {
            time("gemm cuBLAS", m + "x" + n + "x" + k + " bf16", 2.0 * ((long) m * k + (long) k * n + (long) m * n), 2.0 * m * n * k,
                    () -> gpu.gemm(false, false, 1, m, n, k, 1f, a, 0, b, 0, 0f, c, 0));
        }
    }

    /** Causal attention; FLOPs as flash-attention counts them: 4 B H V D with V = T(T+1)/2 pairs, backward 2.5x. */
    void attention(int batch, int heads, int t, int d) {
        long n = (long) batch * heads * t * d;
        double flops = 4.0 * batch * heads * (t * (t + 1L) / 2.0) * d;
        float scale = (float) (1 / Math.sqrt(d));
        try (Buffer q = buffer(DType.BF16, n, true); Buffer k = buffer(DType.BF16, n, true); Buffer v = buffer(DType.BF16, n, true);
             Buffer o = buffer(DType.BF16, n, false); Buffer lse = buffer(DType.F32, (long) batch * heads * t, false);
             Buffer dout = buffer(DType.BF16, n, true); Buffer dq = buffer(DType.BF16, n, false);
             Buffer dk = buffer(DType.BF16, n, false); Buffer dv = buffer(DType.BF16, n, false)) {
            String shape = "B" + batch + " H" + heads + " T" + t + " D" + d + " bf16";
            Runnable forward = () -> gpu.attention(q, k, v, o, lse, null, batch, heads, t, t, d, scale);
            time("attention forward", shape, 4.0 * n * 2, flops, forward);
            time("attention forward+backward", shape, 12.0 * n * 2, 3.5 * flops, () -> {
                forward.run();
                gpu.attentionBackward(q, k, v, o, lse, dout, dq, dk, dv, null, batch, heads, t, t, d, scale);
            });
        }
    }
}
