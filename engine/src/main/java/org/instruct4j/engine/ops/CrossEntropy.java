package org.instruct4j.engine.ops;

import java.util.Arrays;
import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.autograd.Node;

/**
 * Fused softmax cross-entropy over the last dim of logits (..., V) with I32 targets (...); a negative target
 * is ignored (loss 0, gradient 0). The probabilities are never kept: the backward recomputes them from the
 * saved log-sum-exp. Log-probabilities of given tokens are the same kernel with the sign flipped.
 */
public final class CrossEntropy {
    private CrossEntropy() {}

    /** The loss of each row, shaped like targets. */
    public static Tensor perRow(Tensor logits, Tensor targets) {
        Ops.sameDevice("cross_entropy", logits, targets);
        Ops.floating("cross_entropy", logits);
        Ops.ints("cross_entropy", targets);
        if (logits.rank() != targets.rank() + 1
                || !Arrays.equals(Arrays.copyOf(logits.shape(), targets.rank()), targets.shape()))
            throw Ops.shapes("cross_entropy", "logits must be targets' shape plus a vocab dim", logits, targets);
        int vocab = logits.dim(-1), rows = (int) targets.numel();
        Tensor loss = Ops.newF32(logits, targets.shape()), lse = Ops.newF32(logits, rows);
        logits.backend().crossEntropy(logits.buffer(), targets.buffer(), loss.buffer(), lse.buffer(), rows, vocab);
        return loss.recordOp(new Node("cross_entropy", new Tensor[] {logits, targets}, g -> {
            Tensor dl = Ops.newLike(logits, logits.shape());   // the logits' dtype, though the loss (g) is F32
            g.backend().crossEntropyBackward(logits.buffer(), targets.buffer(), lse.buffer(), g.buffer(), dl.buffer(), rows, vocab);
            return new Tensor[] {dl, null};
        }));
    }

    /** Mean loss over the rows whose target is not ignored (0 when all are ignored). */
    public static Tensor mean(Tensor logits, Tensor targets) {
        Tensor total = Reduce.sum(perRow(logits, targets));
        int counted = 0;
        for (int t : targets.toIntArray()) if (t >= 0) counted++;
        return Arith.scale(total, counted == 0 ? 0f : 1f / counted);
    }

    /** log p(token) under softmax(logits) for each position; ignored (negative) tokens give 0. */
    public static Tensor tokenLogProbs(Tensor logits, Tensor tokens) {
        return Arith.scale(perRow(logits, tokens), -1f);
    }
}
