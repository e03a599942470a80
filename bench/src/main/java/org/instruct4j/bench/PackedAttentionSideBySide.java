package org.instruct4j.bench;

import java.util.List;
import org.instruct4j.engine.Rng;
import org.instruct4j.engine.Scope;
import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.nn.GptConfig;
import org.instruct4j.engine.ops.Attention;
import org.instruct4j.engine.ops.ShapeOps;

/**
 * Attention on c_attn's (B, T, 3C) output, forward and backward, two ways side by side ({@link SideBySide}):
 * {@code packed}, the one op the model uses (Attention.causalPacked, whose backward writes q's, k's and v's
 * gradients into one (B, T, 3C) buffer), and {@code sliced}, the form it replaced (three ShapeOps.slice split into
 * heads, then Attention.causal: each slice's backward zero-fills a (B, T, 3C) gradient and autograd adds the
 * three). Both give the same bits; the checksums printed (sums of the qkv gradient) show it. One unit of work is
 * one training step's worth: as many blocks as the size has layers, at TrainStepSideBySide's sizes.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -Xmx4g -cp bench/target/benchmarks.jar \
 *     org.instruct4j.bench.PackedAttentionSideBySide [tiny,demo,pretrain,gpt2] [rounds, 60]
 * </pre>
 */
public final class PackedAttentionSideBySide {
    static { RunEnvironment.requireLib("PackedAttentionSideBySide", false); }   // before any field that needs the engine

    static final String USAGE = "usage: PackedAttentionSideBySide [sizes, comma-separated, of tiny, demo, pretrain, gpt2;"
            + " default tiny,demo,gpt2] [rounds; default 60]";

    private PackedAttentionSideBySide() {}

    public static void main(String[] args) {
        BenchArgs a = BenchArgs.of("PackedAttentionSideBySide", USAGE, args);
        List<String> sizes = a.names(0, "size", "tiny,demo,gpt2", TrainStepSideBySide.SIZES);
        int rounds = a.count(1, "rounds", 1, 60);
        a.done();
        RunEnvironment.start("PackedAttentionSideBySide");
        for (String name : sizes) {
            TrainStepSideBySide.Size size = TrainStepSideBySide.size(name);
            GptConfig config = size.config();
            int b = size.batch(), t = size.seq(), h = config.heads(), c = config.dim();
            Rng rng = new Rng(7);
            Tensor qkv = Tensor.randn(rng, 1f, b, t, 3 * c).requiresGrad(true);
            Tensor gradOut = Tensor.randn(rng, 1f, b, h, t, c / h);
            SideBySide.Work packed = blocks(config.layers(), qkv, gradOut, x -> Attention.causalPacked(x, h, null));
            SideBySide.Work sliced = blocks(config.layers(), qkv, gradOut, x -> Attention.causal(
                    heads(ShapeOps.slice(x, 2, 0, c), h), heads(ShapeOps.slice(x, 2, c, 2 * c), h),
                    heads(ShapeOps.slice(x, 2, 2 * c, 3 * c), h), null));
            SideBySide.Result result = SideBySide.run("packed", packed, "sliced", sliced, 10, rounds);
            System.out.printf("%n== attention from c_attn's output, %s: %d layers, batch %d x %d, %d dims, %d heads; %d timed steps each%n",
                    size.name(), config.layers(), b, t, c, h, rounds);
            SideBySide.print(result, (long) b * t * config.layers(), "tokens");
        }
    }

    /** (B, T, C) -> (B, H, T, D), as CausalSelfAttention splits heads. */
    private static Tensor heads(Tensor x, int h) {
        return ShapeOps.transpose(x.reshape(x.dim(0), x.dim(1), h, x.dim(2) / h), 1, 2);
    }

    /**
     * layers times: attention forward from qkv (through a reshape, so its gradient arrives as an op's, not a
     * leaf's), backward; returns the sum of qkv's gradient over the blocks.
     */
    private static SideBySide.Work blocks(int layers, Tensor qkv, Tensor gradOut, java.util.function.UnaryOperator<Tensor> attention) {
        return () -> {
            float checksum = 0;
            for (int l = 0; l < layers; l++) {
                try (Scope block = Scope.open()) {
                    attention.apply(qkv.reshape(qkv.shape())).backward(gradOut);
                    checksum += qkv.grad().sum().item();
                    qkv.zeroGrad();
                }
            }
            return checksum;
        };
    }
}
