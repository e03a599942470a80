package org.instruct4j.engine.backend.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Random;
import java.util.function.Consumer;
import org.instruct4j.engine.Bf16;
import org.instruct4j.engine.DType;
import org.instruct4j.engine.backend.Backend;
import org.instruct4j.engine.backend.Buffer;
import org.instruct4j.engine.backend.cpu.CpuBackend;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every Backend primitive on CUDA against the CPU reference, on random inputs, in F32 (relative error by norm
 * <= 1e-5) and BF16 (<= 1e-2; inputs are rounded to bf16 first so both sides see the same values). Outputs are
 * poisoned with NaN before each run, so a kernel that leaves an element unwritten fails; NaN never passes.
 * Skipped, with the reason, where there is no CUDA GPU.
 */
class CudaParityTest {
    static Backend gpu;
    static final Backend cpu = CpuBackend.INSTANCE;

    @BeforeEach void open() {
        assumeTrue(CudaBackend.isAvailable(), "no CUDA GPU on this machine (libcuda or a device is missing): CUDA parity tests skipped");
        if (gpu == null) gpu = CudaBackend.open(0);
    }

    /** One primitive's inputs as host arrays, run on both backends. */
    final class Case {
        final DType dt;
        final Random r = new Random(42);

        Case(DType dt) { this.dt = dt; }

        float[] random(int n) {
            float[] x = new float[n];
            for (int i = 0; i < n; i++) x[i] = (float) r.nextGaussian();
            if (dt == DType.BF16) for (int i = 0; i < n; i++) x[i] = Bf16.toFloat(Bf16.fromFloat(x[i]));
            return x;
        }

        Buffer[] pair(float[] data, DType onGpu) {
            Buffer c = cpu.allocate(DType.F32, data.length), g = gpu.allocate(onGpu, data.length);
            cpu.upload(data, c);
            gpu.upload(data, g);
            return new Buffer[] {c, g};
        }

        Buffer[] in(float[] data) { return pair(data, dt); }

        Buffer[] f32(float[] data) { return pair(data, DType.F32); }

        Buffer[] ints(int[] data) {
            Buffer c = cpu.allocate(DType.I32, data.length), g = gpu.allocate(DType.I32, data.length);
            cpu.upload(data, c);
            gpu.upload(data, g);
            return new Buffer[] {c, g};
        }

        /** An output, poisoned with NaN on both sides. */
        Buffer[] out(int n, DType onGpu) {
            float[] nan = new float[n];
            java.util.Arrays.fill(nan, Float.NaN);
            return pair(nan, onGpu);
        }

        Buffer[] out(int n) { return out(n, dt); }

        double tolerance() { return dt == DType.F32 ? 1e-5 : 1e-2; }

        void check(String what, Buffer[] pair, double tol) {
            float[] expected = cpu.downloadFloats(pair[0]), actual = gpu.downloadFloats(pair[1]);
            assertThat(actual).as(what).hasSameSizeAs(expected);
            double diff = 0, norm = 0;
            for (int i = 0; i < expected.length; i++) {
                assertThat(Float.isNaN(actual[i])).as("%s [%s]: NaN at %d (expected %s)", what, dt, i, expected[i]).isFalse();
                if (actual[i] == expected[i]) continue;  // equal infinities (lse of a row that sees no key) differ by 0
                diff += Math.pow(actual[i] - expected[i], 2);
                norm += Math.pow(expected[i], 2);
            }
            double rel = Math.sqrt(diff) / Math.max(Math.sqrt(norm), 1e-30);
            assertThat(rel).as("%s [%s]: relative error by norm", what, dt).isLessThanOrEqualTo(tol);
        }

        void check(String what, Buffer[] pair) { check(what, pair, tolerance()); }
    }

    static void bothTypes(Consumer<CudaParityTest.Case> body, CudaParityTest self) {
        body.accept(self.new Case(DType.F32));
        body.accept(self.new Case(DType.BF16));
    }

    static <T> T g(T[] pair) { return pair[1]; }

    static <T> T c(T[] pair) { return pair[0]; }

    @Test void memoryPrimitives() {
        bothTypes(t -> {
            var x = t.in(t.random(300));
            t.check("upload/download", x);
            var o = t.out(300);
            cpu.fill(c(o), 1.25f);
            gpu.fill(g(o), 1.25f);
            t.check("fill", o);
            var dst = t.out(12 * 20);
            cpu.fill(c(dst), 0f);
            gpu.fill(g(dst), 0f);
            cpu.copyBlock(c(x), 5, 25, c(dst), 3, 20, 12, 17);
            gpu.copyBlock(g(x), 5, 25, g(dst), 3, 20, 12, 17);
            t.check("copyBlock strided", dst);
            var flat = t.out(300);
            cpu.copyBlock(c(x), 0, 300, c(flat), 0, 300, 1, 300);
            gpu.copyBlock(g(x), 0, 300, g(flat), 0, 300, 1, 300);
            t.check("copyBlock contiguous", flat);
            var tr = t.out(300);
            cpu.transpose12(c(x), c(tr), 2, 3, 5, 10);
            gpu.transpose12(g(x), g(tr), 2, 3, 5, 10);
            t.check("transpose12", tr);
        }, this);
        int[] ids = {3, -1, 7, 42};
        Buffer gi = gpu.allocate(DType.I32, 4);
        gpu.upload(ids, gi);
        assertThat(gpu.downloadInts(gi)).containsExactly(ids);
    }

    @Test void gemm() {
        bothTypes(t -> {
            int batch = 3, m = 33, n = 47, k = 65;
            for (boolean ta : new boolean[] {false, true})
                for (boolean tb : new boolean[] {false, true}) {
                    var a = t.in(t.random(batch * m * k)); var b = t.in(t.random(k * n)); var cc = t.in(t.random(batch * m * n));
                    cpu.gemm(ta, tb, batch, m, n, k, 0.7f, c(a), (long) m * k, c(b), 0, 0.3f, c(cc), (long) m * n);
                    gpu.gemm(ta, tb, batch, m, n, k, 0.7f, g(a), (long) m * k, g(b), 0, 0.3f, g(cc), (long) m * n);
                    t.check("gemm transA=" + ta + " transB=" + tb, cc);
                }
        }, this);
    }

    @Test void elementwise() {
        bothTypes(t -> {
            int n = 1000, period = 40;
            var a = t.in(t.random(n)); var b = t.in(t.random(period)); var y = t.in(t.random(n));
            var o = t.out(n);
            cpu.add(c(a), c(b), c(o), n, period); gpu.add(g(a), g(b), g(o), n, period); t.check("add", o);
            o = t.out(n);
            cpu.mul(c(a), c(b), c(o), n, period); gpu.mul(g(a), g(b), g(o), n, period); t.check("mul", o);
            o = t.out(n);
            cpu.axpby(0.5f, c(a), -2f, c(y), c(o), n); gpu.axpby(0.5f, g(a), -2f, g(y), g(o), n); t.check("axpby", o);
            o = t.out(n);
            cpu.axpby(3f, c(a), 0f, null, c(o), n); gpu.axpby(3f, g(a), 0f, null, g(o), n); t.check("axpby without y", o);
            o = t.out(n);
            cpu.gelu(c(a), c(o), n); gpu.gelu(g(a), g(o), n); t.check("gelu", o);
            o = t.out(n);
            cpu.geluBackward(c(a), c(y), c(o), n); gpu.geluBackward(g(a), g(y), g(o), n); t.check("geluBackward", o);
            o = t.out(n);
            cpu.dropout(c(a), c(o), n, 0.3f, 1234567L); gpu.dropout(g(a), g(o), n, 0.3f, 1234567L); t.check("dropout", o, t.dt == DType.F32 ? 0 : 4e-3);  // BF16: x / (1 - p) rounded
        }, this);
    }

    @Test void reductions() {
        bothTypes(t -> {
            int rows = 300, cols = 77, n = rows * cols;
            var x = t.in(t.random(n));
            var o = t.out(cols);
            cpu.sumRows(c(x), c(o), rows, cols); gpu.sumRows(g(x), g(o), rows, cols); t.check("sumRows", o);
            o = t.out(1);
            cpu.sum(c(x), c(o), n); gpu.sum(g(x), g(o), n); t.check("sum", o, t.dt == DType.F32 ? 1e-4 : 1e-2);
            o = t.out(1);
            cpu.sumSquares(c(x), c(o), n); gpu.sumSquares(g(x), g(o), n); t.check("sumSquares", o);
            var s = t.in(t.random(1)); o = t.out(500);
            cpu.broadcastScalar(c(s), 0.25f, c(o), 500); gpu.broadcastScalar(g(s), 0.25f, g(o), 500); t.check("broadcastScalar", o);
        }, this);
    }

    /** LayerNorm forward and backward of x (rows x cols) with output gradient dout, on both backends. */
    static void layerNorm(Case t, Buffer[] x, Buffer[] dout, int rows, int cols) {
        String s = " (" + rows + " x " + cols + ")";
        var w = t.in(t.random(cols)); var b = t.in(t.random(cols));
        var out = t.out(rows * cols); var mean = t.out(rows, DType.F32); var rstd = t.out(rows, DType.F32);
        cpu.layerNorm(c(x), c(w), c(b), c(out), c(mean), c(rstd), rows, cols, 1e-5f);
        gpu.layerNorm(g(x), g(w), g(b), g(out), g(mean), g(rstd), rows, cols, 1e-5f);
        t.check("layerNorm out" + s, out); t.check("layerNorm mean" + s, mean); t.check("layerNorm rstd" + s, rstd);
        var dx = t.out(rows * cols); var dw = t.out(cols); var db = t.out(cols);
        cpu.layerNormBackward(c(dout), c(x), c(w), c(mean), c(rstd), c(dx), c(dw), c(db), rows, cols);
        gpu.layerNormBackward(g(dout), g(x), g(w), g(mean), g(rstd), g(dx), g(dw), g(db), rows, cols);
        t.check("layerNorm dx" + s, dx); t.check("layerNorm dweight" + s, dw); t.check("layerNorm dbias" + s, db);
    }

    @Test void layerNormAndSoftmax() {
        bothTypes(t -> {
            int rows = 37, cols = 200;
            var x = t.in(t.random(rows * cols)); var dout = t.in(t.random(rows * cols));
            layerNorm(t, x, dout, rows, cols);
            var y = t.out(rows * cols);
            cpu.softmax(c(x), c(y), rows, cols); gpu.softmax(g(x), g(y), rows, cols); t.check("softmax", y);
            var dsx = t.out(rows * cols);
            cpu.softmaxBackward(c(y), c(dout), c(dsx), rows, cols); gpu.softmaxBackward(g(y), g(dout), g(dsx), rows, cols);
            t.check("softmaxBackward", dsx);
        }, this);
    }

    /**
     * Columns wide enough that layerNormBackward's dynamic shared memory (2 * cols floats, exactly 48 KB here) fits
     * the default limit alone but not with the kernel's static shared memory: the backend must opt in
     * (cuFuncSetAttribute), and the emulated device, like a GPU, refuses the launch if it does not.
     * LaunchContractTest checks this premise against the kernel as compiled.
     */
    static final int SHARED_OPT_IN_LAYERNORM_COLS = 6144;

    @Test void layerNormWideEnoughToNeedTheSharedMemoryOptIn() {
        int rows = 3, cols = SHARED_OPT_IN_LAYERNORM_COLS;
        bothTypes(t -> layerNorm(t, t.in(t.random(rows * cols)), t.in(t.random(rows * cols)), rows, cols), this);
    }

    @Test void attention() {
        bothTypes(t -> {
            // The last two span several blocks of the BF16 flash forward (128 query rows a block at D 64, 64 at D 128),
            // left-padded like the others; the last is the only one at D 128, so the only run of its flash kernels.
            for (int[] shape : new int[][] {{2, 3, 20, 20, 64}, {2, 2, 1, 17, 64}, {1, 2, 9, 9, 32}, {2, 1, 70, 75, 64}, {2, 2, 40, 40, 32},
                    {1, 2, 300, 300, 64}, {1, 2, 300, 300, 128}}) {
                int B = shape[0], H = shape[1], tq = shape[2], tk = shape[3], D = shape[4];
                int[] start = {0, 3};
                if (B == 1) start = new int[] {2};
                var q = t.in(t.random(B * H * tq * D)); var k = t.in(t.random(B * H * tk * D)); var v = t.in(t.random(B * H * tk * D));
                var out = t.out(B * H * tq * D); var lse = t.out(B * H * tq, DType.F32);
                float scale = (float) (1 / Math.sqrt(D));
                cpu.attention(c(q), c(k), c(v), c(out), c(lse), start, B, H, tq, tk, D, scale);
                gpu.attention(g(q), g(k), g(v), g(out), g(lse), start, B, H, tq, tk, D, scale);
                String s = java.util.Arrays.toString(shape);
                t.check("attention out " + s, out); t.check("attention lse " + s, lse);
                var dout = t.in(t.random(B * H * tq * D));
                var dq = t.out(B * H * tq * D); var dk = t.out(B * H * tk * D); var dv = t.out(B * H * tk * D);
                cpu.attentionBackward(c(q), c(k), c(v), c(out), c(lse), c(dout), c(dq), c(dk), c(dv), start, B, H, tq, tk, D, scale);
                gpu.attentionBackward(g(q), g(k), g(v), g(out), g(lse), g(dout), g(dq), g(dk), g(dv), start, B, H, tq, tk, D, scale);
                double tol = t.dt == DType.F32 ? 1e-4 : 2e-2;  // fp32 sums over keys in another order
                t.check("attention dq " + s, dq, tol); t.check("attention dk " + s, dk, tol); t.check("attention dv " + s, dv, tol);
            }
        }, this);
    }

    @Test void embeddingAndCrossEntropy() {
        bothTypes(t -> {
            int vocab = 50, dim = 24, n = 64;
            int[] ids = new int[n];
            for (int i = 0; i < n; i++) ids[i] = t.r.nextInt(vocab);
            var table = t.in(t.random(vocab * dim)); var id = t.ints(ids);
            var out = t.out(n * dim);
            cpu.embedding(c(table), c(id), c(out), n, dim); gpu.embedding(g(table), g(id), g(out), n, dim); t.check("embedding", out);
            var dout = t.in(t.random(n * dim)); var dtable = t.out(vocab * dim);
            cpu.embeddingBackward(c(dout), c(id), c(dtable), n, dim, vocab);
            gpu.embeddingBackward(g(dout), g(id), g(dtable), n, dim, vocab);
            t.check("embeddingBackward", dtable);

            int rows = 31, v = 1000;
            int[] targets = new int[rows];
            for (int i = 0; i < rows; i++) targets[i] = i % 7 == 0 ? -1 : t.r.nextInt(v);
            float[] values = t.random(rows * v);
            for (int r = 1; r < rows; r += 5)  // rows that start with masked (-inf) logits: no thread may add exp(-inf + inf)
                for (int c = 0; c < 300; c++) if (c != targets[r]) values[r * v + c] = Float.NEGATIVE_INFINITY;
            var logits = t.in(values); var tg = t.ints(targets);
            var loss = t.out(rows, DType.F32); var lse = t.out(rows, DType.F32);
            cpu.crossEntropy(c(logits), c(tg), c(loss), c(lse), rows, v);
            gpu.crossEntropy(g(logits), g(tg), g(loss), g(lse), rows, v);
            t.check("crossEntropy loss", loss); t.check("crossEntropy lse", lse);
            var dloss = t.f32(t.random(rows)); var dlogits = t.out(rows * v);
            cpu.crossEntropyBackward(c(logits), c(tg), c(lse), c(dloss), c(dlogits), rows, v);
            gpu.crossEntropyBackward(g(logits), g(tg), g(lse), g(dloss), g(dlogits), rows, v);
            t.check("crossEntropyBackward", dlogits);
        }, this);
    }

    @Test void adamw() {
        bothTypes(t -> {
            int n = 2000;
            var p = t.in(t.random(n)); var grad = t.in(t.random(n));
            var m = t.f32(new float[n]); var v = t.f32(new float[n]);
            var master = t.dt == DType.BF16 ? t.f32(cpu.downloadFloats(c(p))) : null;  // the CPU's F32 parameter is its own master
            for (int step = 1; step <= 3; step++) {
                cpu.adamw(c(p), null, c(grad), c(m), c(v), n, 1e-3f, 0.9f, 0.95f, 1e-8f, 0.1f, step, 0.5f);
                gpu.adamw(g(p), master == null ? null : g(master), g(grad), g(m), g(v), n, 1e-3f, 0.9f, 0.95f, 1e-8f, 0.1f, step, 0.5f);
            }
            t.check("adamw param", p, t.dt == DType.F32 ? 1e-5 : 1e-2); t.check("adamw m", m); t.check("adamw v", v);
            if (master != null) t.check("adamw master", new Buffer[] {c(p), g(master)}, 1e-5);
        }, this);
    }
}
