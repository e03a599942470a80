package org.instruct4j.rlhf.rm;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.instruct4j.engine.Rng;
import org.instruct4j.engine.Scope;
import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.optim.AdamW;
import org.instruct4j.engine.optim.LrSchedule;
import org.instruct4j.engine.nn.ModelKind;
import org.instruct4j.rlhf.train.Checkpoint;
import org.instruct4j.rlhf.train.CheckpointPlan;
import org.instruct4j.rlhf.train.MetricsLog;
import org.instruct4j.rlhf.train.ModelFolder;
import org.instruct4j.rlhf.train.TrainState;
import org.instruct4j.rlhf.train.NonFiniteGuard;
import org.instruct4j.rlhf.train.ProgressBar;
import org.instruct4j.rlhf.train.Sequences;

/**
 * Trains a {@link RewardModel} on K-way rankings: per step, the responses of a batch of prompts go through the
 * model once, and {@link KWayLoss} turns each prompt's C(K,2) comparisons into one batch element.
 */
public final class RmTrainer {
    private final RewardModel model;
    private final RmConfig cfg;
    private final AdamW optimizer;
    private final NonFiniteGuard guard = new NonFiniteGuard("rm");
    private int step;
    private final List<Double> losses = new ArrayList<>();
    private boolean progress = true;

    public RmTrainer(RewardModel model, RmConfig cfg) {
        this.model = model;
        this.cfg = cfg;
        this.optimizer = AdamW.of(model.parameters(), cfg.weightDecay());
    }

    public RmTrainer quiet() { progress = false; return this; }

    public record Result(List<Double> losses, double trainAccuracy, double validationAccuracy) {}

    public Result train(List<RmExample> train, List<RmExample> validation, MetricsLog log) {
        return train(train, validation, log, CheckpointPlan.none());
    }

    /**
     * Trains from the step reached so far (0, or a resumed checkpoint's) to the end of the configured epochs,
     * saving a checkpoint when the plan says; the batches of each epoch are seeded by (seed, epoch), each of prompts
     * of similar lengths ({@link Sequences#lengthBatches}), so step s always sees the same batch. Returns the losses
     * of every step of the run (a resumed run's included) and the final accuracies.
     */
    public Result train(List<RmExample> train, List<RmExample> validation, MetricsLog log, CheckpointPlan plan) {
        if (train.isEmpty()) throw new IllegalArgumentException("RM: no training rankings");
        boolean hasValidation = validation != null && !validation.isEmpty();
        double valAcc = Double.NaN;
        int perEpoch = (train.size() + cfg.batchPrompts() - 1) / cfg.batchPrompts();
        int total = perEpoch * cfg.epochs();
        LrSchedule schedule = LrSchedule.cosine(cfg.lr(), total, 0.1f);
        ProgressBar bar = progress ? new ProgressBar("rm", total) : null;
        int[] lengths = new int[train.size()];
        for (int i = 0; i < lengths.length; i++) lengths[i] = train.get(i).longest(cfg.maxLen());
        List<int[]> batches = null;
        int batchesEpoch = -1;
        while (step < total) {
            int epoch = step / perEpoch, b = step % perEpoch;
            if (epoch != batchesEpoch) {
                batches = Sequences.lengthBatches(lengths, cfg.batchPrompts(), new Rng(cfg.seed() * 1_000_003L + epoch));
                batchesEpoch = epoch;
            }
            List<RmExample> batch = new ArrayList<>();
            for (int i : batches.get(b)) batch.add(train.get(i));
            StepResult r = step(batch, schedule.at(step), step + 1);
            losses.add(r.loss());
            Map<String, Double> m = new LinkedHashMap<>();
            m.put("loss", r.loss());
            m.put("accuracy", r.accuracy());
            m.put("lr", (double) schedule.at(step));
            step++;
            if (log != null) log.log(step, m);
            if (bar != null) bar.update(step, Map.of("loss", r.loss(), "acc", r.accuracy()));
            if (step % perEpoch == 0 && hasValidation) {   // each epoch's end
                valAcc = model.accuracy(validation, cfg.maxLen());
                if (log != null) log.log(step, Map.of("val_accuracy", valAcc));
            }
            if (plan.due(step)) save(plan, log);
        }
        double trainAcc = model.accuracy(train.subList(0, Math.min(train.size(), 64)), cfg.maxLen());
        if (hasValidation && Double.isNaN(valAcc)) valAcc = model.accuracy(validation, cfg.maxLen());   // resumed after the end
        return new Result(List.copyOf(losses), trainAcc, valAcc);
    }

    /** One step's K-way loss and the fraction of the batch's comparisons the model ranked right before the step. */
    public record StepResult(double loss, double accuracy) {}

    /**
     * One optimizer step (the stepNumber-th, counted from 1, for the messages) on a batch of prompts. With a
     * micro-batch the prompts go through in pieces whose gradients add up: each piece's loss (a mean over its
     * prompts with comparisons) weighted by its share of those prompts.
     */
    public StepResult step(List<RmExample> batch, float lr, long stepNumber) {
        try (Scope s = Scope.open()) {
            StepResult result = accumulateGradients(batch);
            optimizer.step(lr, guard.clipScale(stepNumber, result.loss(), model.parameters().values(), cfg.gradClip()));
            optimizer.zeroGrad();
            return result;
        }
    }

    /** The batch's K-way loss backward into the parameters' gradients, a micro-batch at a time. */
    StepResult accumulateGradients(List<RmExample> batch) {
        List<List<RmExample>> pieces = Sequences.pieces(batch, cfg.microBatch());
        int batchCompared = Math.max(1, compared(batch));
        double loss = 0;
        int right = 0, all = 0;
        for (List<RmExample> piece : pieces) {
            float share = pieces.size() == 1 ? 1f : (float) ((double) compared(piece) / batchCompared);
            if (share == 0f) continue;   // no comparisons in this piece: nothing to learn from it
            PieceResult p = backward(piece, share);
            loss += share * p.loss();
            right += p.right();
            all += p.pairs();
        }
        return new StepResult(loss, all == 0 ? Double.NaN : (double) right / all);
    }

    /** A piece's K-way loss, and how many of its comparisons the model ranked right before the step. */
    private record PieceResult(double loss, int right, int pairs) {}

    /** share times the piece's K-way loss, backward into the gradients. */
    private PieceResult backward(List<RmExample> piece, float share) {
        try (Scope s = Scope.open()) {
            List<int[]> seqs = new ArrayList<>();
            List<int[][]> groups = new ArrayList<>();
            for (RmExample ex : piece) {
                int base = seqs.size();
                for (int[] r : ex.responses()) seqs.add(Sequences.fit(ex.prompt(), r, cfg.maxLen()));
                int[][] pairs = new int[ex.pairs().size()][];   // KWayLoss's form: {winner, loser} rows of the batch
                for (int i = 0; i < pairs.length; i++) pairs[i] = new int[] {base + ex.pairs().get(i).winner(), base + ex.pairs().get(i).loser()};
                groups.add(pairs);
            }
            Tensor rewards = model.scores(seqs);
            Tensor loss = KWayLoss.apply(rewards, groups);
            (share == 1f ? loss : loss.scale(share)).backward();
            float[] r = rewards.toFloatArray();
            int right = 0, all = 0;
            for (int[][] g : groups) for (int[] p : g) { all++; if (r[p[0]] > r[p[1]]) right++; }
            return new PieceResult(loss.item(), right, all);
        }
    }

    /** The prompts with at least one comparison: the K-way loss averages over them. */
    private static int compared(List<RmExample> examples) {
        int n = 0;
        for (RmExample e : examples) if (!e.pairs().isEmpty()) n++;
        return n;
    }

    public AdamW optimizer() { return optimizer; }

    /** Steps done. */
    public int step() { return step; }

    /** A checkpoint into plan.folder(): the reward model's folder, the optimizer's moments, the step. */
    public void save(CheckpointPlan plan, MetricsLog log) {
        try (Scope s = Scope.open()) {
            Checkpoint.save(plan.folder(), ModelFolder.asFolder(model, ModelKind.REWARD), plan.tokenizer(),
                    plan.stamp(new TrainState(step, 0, Map.of()).withHistory(Map.of("loss", losses)), log), optimizer.state());
        }
        guard.saved(plan.folder(), step);
        if (progress) System.err.println("rm: checkpoint of step " + step + " in " + plan.folder());
    }

    /** Continues from the checkpoint {@link #save} left in plan.folder() (refused when made with other settings). Returns its state. */
    public TrainState resume(CheckpointPlan plan) {
        Checkpoint.Loaded c = plan.resume(model.trunk().device());
        model.trunk().copyFrom(c.model().gpt());
        model.head().loadParameters(c.model().extras(), true);
        optimizer.loadState(c.optimizer());
        step = (int) c.state().step();
        losses.clear();
        losses.addAll(c.state().history("loss"));
        guard.saved(plan.folder(), step);
        return c.state();
    }
}
