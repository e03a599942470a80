package org.instruct4j.rlhf.train;

import java.nio.file.Path;
import java.util.Collection;
import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.optim.GradClip;

/**
 * Stops a run at the first loss or gradient that is not a finite number, before the optimizer step that would
 * spread it into every weight and moment. The message names the stage, the step and the last checkpoint the run
 * saved, which is left as it was. Every trainer measures its gradient norm here (for clipping), so the check
 * costs nothing extra and cannot be forgotten by one of them.
 */
public final class NonFiniteGuard {
    private final String stage;
    private Path lastCheckpoint;
    private long lastCheckpointStep;

    /** stage: how the messages name the run ("sft", "ppo", ...). */
    public NonFiniteGuard(String stage) { this.stage = stage; }

    /** Records that a complete checkpoint of the given step is now in folder. */
    public void saved(Path folder, long step) {
        lastCheckpoint = folder;
        lastCheckpointStep = step;
    }

    /**
     * The factor that clips the gradients of params to maxNorm (1 when maxNorm is 0 or less: no clipping), after
     * checking that the loss and the gradients' global norm are finite.
     *
     * @param step the step being taken, counted from 1 (the message names it)
     * @throws NonFiniteLossException when the loss or a gradient is NaN or infinite
     */
    public float clipScale(long step, double loss, Collection<Tensor> params, float maxNorm) {
        if (!Double.isFinite(loss)) throw stop(step, "the loss is " + loss);
        float norm = GradClip.globalNorm(params);
        if (!Float.isFinite(norm)) throw stop(step, "the gradient norm is " + norm + " (the loss was " + loss + ")");
        return maxNorm > 0 ? GradClip.clipScale(norm, maxNorm) : 1f;
    }

    private NonFiniteLossException stop(long step, String what) {
        String checkpoint = lastCheckpoint == null
                ? "no checkpoint was saved in this run (--save-every N saves one every N steps)"
                : "the last checkpoint, saved after step " + lastCheckpointStep + " (whose loss was finite), is " + lastCheckpoint
                        + ", left intact";
        return new NonFiniteLossException(stage + ": step " + step + ": " + what + "; training stopped before the update, "
                + checkpoint + ". A lower learning rate usually helps.");
    }

    /** Training stopped at a non-finite loss or gradient; the message says where and which checkpoint to go back to. */
    public static final class NonFiniteLossException extends RuntimeException {
        NonFiniteLossException(String message) { super(message); }
    }
}
