package org.instruct4j.rlhf.sft;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import org.instruct4j.engine.Rng;
import org.instruct4j.engine.Scope;
import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.autograd.GradMode;
import org.instruct4j.engine.nn.Gpt;
import org.instruct4j.engine.nn.ModelKind;
import org.instruct4j.engine.nn.PretrainedModel;
import org.instruct4j.engine.optim.AdamW;
import org.instruct4j.engine.optim.LrSchedule;
import org.instruct4j.rlhf.train.Checkpoint;
import org.instruct4j.rlhf.train.CheckpointPlan;
import org.instruct4j.rlhf.train.MetricsLog;
import org.instruct4j.rlhf.train.NonFiniteGuard;
import org.instruct4j.rlhf.train.ProgressBar;
import org.instruct4j.rlhf.train.Sequences;
import org.instruct4j.rlhf.train.Snapshots;
import org.instruct4j.rlhf.train.TrainState;

/**
 * Fine-tunes a GPT on demonstrations, with the loss on completion tokens only. The batches of each epoch are
 * seeded by (seed, epoch), each of similar lengths ({@link Sequences#lengthBatches}), so step s always sees the
 * same batch: with the weights, the optimizer moments and the dropout stream in the checkpoint, a resumed run
 * continues exactly as an uninterrupted one. At the end of each epoch the model is scored (by the given scorer, e.g. the mean reward
 * of its samples on validation prompts; by minus the validation loss when there is none) and the best
 * epoch's weights are the ones kept.
 */
public final class SftTrainer {
    private final Gpt model;
    private final SftConfig cfg;
    private final int padId;
    private final AdamW optimizer;
    private final Rng dropoutRng;
    private final NonFiniteGuard guard = new NonFiniteGuard("sft");
    private long step;
    private Map<String, float[]> best;
    private double bestScore = Double.NEGATIVE_INFINITY;
    private int bestEpoch = -1;
    private final List<Double> trainLosses = new ArrayList<>(), valLosses = new ArrayList<>(), scores = new ArrayList<>();
    private boolean progress = true;

    public SftTrainer(Gpt model, SftConfig cfg, int padId) {
        this.model = model;
        this.cfg = cfg;
        this.padId = padId;
        this.optimizer = AdamW.of(model.parameters(), cfg.weightDecay());
        this.dropoutRng = new Rng(cfg.seed() ^ 0x5F7A3C1DL);   // a stream apart from the batches' order (seed * 1,000,003 + epoch)
    }

    public SftTrainer quiet() { progress = false; return this; }

    public record Result(List<Double> trainLosses, List<Double> validationLosses, List<Double> scores, int bestEpoch, double bestScore) {}

    public long step() { return step; }

    public Result train(List<SftExample> train, List<SftExample> validation, ToDoubleFunction<Gpt> scorer, MetricsLog log) {
        return train(train, validation, scorer, log, CheckpointPlan.none(), Long.MAX_VALUE);
    }

    /**
     * Trains from the step reached so far until the configured epochs are done, or until stopAfter total steps (an
     * interruption, for tests and time limits), saving a checkpoint when the plan says and when stopping early.
     */
    public Result train(List<SftExample> train, List<SftExample> validation, ToDoubleFunction<Gpt> scorer,
                        MetricsLog log, CheckpointPlan plan, long stopAfter) {
        if (train.isEmpty()) throw new IllegalArgumentException("SFT: no training demonstrations");
        int[] lengths = new int[train.size()];
        for (int i = 0; i < lengths.length; i++) lengths[i] = train.get(i).sequence(cfg.maxLen()).length;
        int perEpoch = (train.size() + cfg.batchSize() - 1) / cfg.batchSize();
        long total = (long) perEpoch * cfg.epochs();
        LrSchedule schedule = LrSchedule.cosine(cfg.lr(), (int) total, 0.1f);
        ProgressBar bar = progress ? new ProgressBar("sft", total) : null;
        List<int[]> batches = null;
        int batchesEpoch = -1;
        while (step < total && step < stopAfter) {
            int epoch = (int) (step / perEpoch), b = (int) (step % perEpoch);
            if (epoch != batchesEpoch) {
                batches = Sequences.lengthBatches(lengths, cfg.batchSize(), new Rng(cfg.seed() * 1_000_003L + epoch));
                batchesEpoch = epoch;
            }
            List<SftExample> batch = new ArrayList<>();
            for (int i : batches.get(b)) batch.add(train.get(i));
            float lr = schedule.at((int) step);
            double loss = trainStep(batch, lr, step + 1);
            trainLosses.add(loss);
            step++;
            if (log != null) log.log(step, Map.of("loss", loss, "lr", (double) lr));
            if (bar != null) bar.update(step, Map.of("loss", loss));
            if (step % perEpoch == 0) {
                double val = validation == null || validation.isEmpty() ? Double.NaN : validationLoss(validation);
                double score = scorer != null ? scorer.applyAsDouble(model) : -val;
                valLosses.add(val);
                scores.add(score);
                if (log != null && !Double.isNaN(score)) log.log(step, Double.isNaN(val) ? Map.of("score", score) : Map.of("val_loss", val, "score", score));
                if (Double.isNaN(score) || score > bestScore) {
                    bestScore = score;
                    bestEpoch = epoch;
                    best = Snapshots.take(model.parameters());
                }
            }
            if (plan.due(step)) save(plan, log);
        }
        if (step < total && plan.folder() != null) save(plan, log);
        if (step >= total && best != null) Snapshots.restore(model.parameters(), best);
        return new Result(List.copyOf(trainLosses), List.copyOf(valLosses), List.copyOf(scores), bestEpoch, bestScore);
    }

    /**
     * One optimizer step (the stepNumber-th, counted from 1, for the messages); returns the batch loss. With a
     * micro-batch the batch goes through in pieces whose gradients add up: each piece's loss (a mean over its
     * completion tokens) weighted by its share of the batch's completion tokens.
     */
    public double trainStep(List<SftExample> batch, float lr, long stepNumber) {
        try (Scope s = Scope.open()) {
            double loss = accumulateGradients(batch);
            optimizer.step(lr, guard.clipScale(stepNumber, loss, model.parameters().values(), cfg.gradClip()));
            optimizer.zeroGrad();
            return loss;
        }
    }

    /** The batch's loss backward into the parameters' gradients, a micro-batch at a time; returns the loss. */
    double accumulateGradients(List<SftExample> batch) {
        List<List<SftExample>> pieces = Sequences.pieces(batch, cfg.microBatch());
        long batchTargets = pieces.size() == 1 ? 0 : targets(batch);
        double loss = 0;
        for (List<SftExample> piece : pieces) {
            float share = pieces.size() == 1 ? 1f : (float) ((double) targets(piece) / batchTargets);
            loss += share * backward(piece, share);
        }
        return loss;
    }

    /** share times the piece's loss, backward into the gradients; returns the loss. */
    private double backward(List<SftExample> piece, float share) {
        try (Scope s = Scope.open()) {
            List<int[]> seqs = new ArrayList<>();
            int[] from = new int[piece.size()];
            for (int i = 0; i < piece.size(); i++) {
                seqs.add(piece.get(i).sequence(cfg.maxLen()));
                from[i] = piece.get(i).lossFrom(cfg.maxLen());
            }
            Tensor loss = Sequences.lmLoss(model, seqs, from, padId, true, dropoutRng);
            (share == 1f ? loss : loss.scale(share)).backward();
            return loss.item();
        }
    }

    /** The completion tokens the loss counts. */
    private long targets(List<SftExample> examples) {
        long n = 0;
        for (SftExample e : examples) n += e.sequence(cfg.maxLen()).length - e.lossFrom(cfg.maxLen());
        return n;
    }

    /** Mean per-batch completion-token loss, no dropout, no graph. */
    public double validationLoss(List<SftExample> data) {
        double sum = 0;
        int batches = 0;
        try (GradMode g = GradMode.off()) {
            for (int from = 0; from < data.size(); from += cfg.batchSize()) {
                List<SftExample> batch = data.subList(from, Math.min(data.size(), from + cfg.batchSize()));
                try (Scope s = Scope.open()) {
                    List<int[]> seqs = new ArrayList<>();
                    int[] lf = new int[batch.size()];
                    for (int i = 0; i < batch.size(); i++) { seqs.add(batch.get(i).sequence(cfg.maxLen())); lf[i] = batch.get(i).lossFrom(cfg.maxLen()); }
                    sum += Sequences.lmLoss(model, seqs, lf, padId, false, null).item();
                    batches++;
                }
            }
        }
        return batches == 0 ? Double.NaN : sum / batches;
    }

    /** A checkpoint into plan.folder(): the model folder with the best weights so far as "best." tensors, and the training state. */
    public void save(CheckpointPlan plan, MetricsLog log) {
        try (Scope s = Scope.open()) {
            Map<String, Tensor> extras = best == null ? Map.of() : Checkpoint.prefixed("best.", Snapshots.asTensors(best, model.parameters()));
            Map<String, Double> scalars = new HashMap<>();
            scalars.put("bestEpoch", (double) bestEpoch);
            scalars.put("bestScore", bestScore);
            Checkpoint.save(plan.folder(), new PretrainedModel(model, ModelKind.LM, extras), plan.tokenizer(),
                    plan.stamp(new TrainState(step, dropoutRng.state(), scalars)
                            .withHistory(Map.of("loss", trainLosses, "val_loss", valLosses, "score", scores)), log), optimizer.state());
        }
        guard.saved(plan.folder(), step);
        if (progress) System.err.println("sft: checkpoint of step " + step + " in " + plan.folder());
    }

    /**
     * Continues from the checkpoint {@link #save} left in plan.folder() (refused when made with other settings):
     * weights, optimizer, step, dropout stream, best epoch so far. Returns its state.
     */
    public TrainState resume(CheckpointPlan plan) {
        Checkpoint.Loaded c = plan.resume(model.device());
        model.copyFrom(c.model().gpt());
        optimizer.loadState(c.optimizer());
        step = c.state().step();
        dropoutRng.setState(c.state().rngState());
        bestEpoch = (int) c.state().scalar("bestEpoch", -1);
        bestScore = c.state().scalar("bestScore", Double.NEGATIVE_INFINITY);
        Map<String, Tensor> b = c.extras("best.");
        best = b.isEmpty() ? null : Snapshots.take(b);
        for (var list : List.of(trainLosses, valLosses, scores)) list.clear();
        trainLosses.addAll(c.state().history("loss"));
        valLosses.addAll(c.state().history("val_loss"));
        scores.addAll(c.state().history("score"));
        guard.saved(plan.folder(), step);
        return c.state();
    }

    public Gpt model() { return model; }
}
