package org.instruct4j.rlhf.sft;

import java.nio.file.Path;
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
import org.instruct4j.engine.optim.GradClip;
import org.instruct4j.engine.optim.LrSchedule;
import org.instruct4j.rlhf.train.Checkpoint;
import org.instruct4j.rlhf.train.MetricsLog;
import org.instruct4j.rlhf.train.ProgressBar;
import org.instruct4j.rlhf.train.Sequences;
import org.instruct4j.rlhf.train.Snapshots;
import org.instruct4j.rlhf.train.TrainState;

/**
 * Fine-tunes a GPT on demonstrations, with the loss on completion tokens only. The data order of each epoch
 * is a permutation seeded by (seed, epoch), so step s always sees the same batch: with the weights, the
 * optimizer moments and the dropout stream in the checkpoint, a resumed run continues exactly as an
 * uninterrupted one. At the end of each epoch the model is scored (by the given scorer, e.g. the mean reward
 * of its samples on validation prompts; by minus the validation loss when there is none) and the best
 * epoch's weights are the ones kept.
 */
public final class SftTrainer {
    private final Gpt model;
    private final SftConfig cfg;
    private final int padId;
    private final AdamW optimizer;
    private final Rng dropoutRng;
    private long step;
    private Map<String, float[]> best;
    private double bestScore = Double.NEGATIVE_INFINITY;
    private int bestEpoch = -1;
    private boolean progress = true;

    public SftTrainer(Gpt model, SftConfig cfg, int padId) {
        this.model = model;
        this.cfg = cfg;
        this.padId = padId;
        this.optimizer = AdamW.of(model.parameters(), cfg.lr(), cfg.weightDecay());
        this.dropoutRng = new Rng(cfg.seed() ^ 0x5F7A3C1DL);
    }

    /** A copy of model whose config has the given dropout (SFT trains with residual dropout 0.2). */
    public static Gpt withDropout(Gpt model, float dropout) {
        Gpt copy = new Gpt(model.config().withDropout(dropout), new Rng(0), model.device());
        copy.copyFrom(model);
        return copy;
    }

    public SftTrainer quiet() { progress = false; return this; }

    public record Result(List<Double> trainLosses, List<Double> validationLosses, List<Double> scores, int bestEpoch, double bestScore) {}

    public long step() { return step; }

    public Result train(List<SftExample> train, List<SftExample> validation, ToDoubleFunction<Gpt> scorer, MetricsLog log) {
        return train(train, validation, scorer, log, null, Long.MAX_VALUE);
    }

    /**
     * Trains until the configured epochs are done, or stopAfter total steps (an interruption, for tests and
     * time limits), saving a checkpoint into checkpointDir (if not null) at each epoch end and when stopping.
     */
    public Result train(List<SftExample> train, List<SftExample> validation, ToDoubleFunction<Gpt> scorer,
                        MetricsLog log, Path checkpointDir, long stopAfter) {
        if (train.isEmpty()) throw new IllegalArgumentException("SFT: no training demonstrations");
        int perEpoch = (train.size() + cfg.batchSize() - 1) / cfg.batchSize();
        long total = (long) perEpoch * cfg.epochs();
        LrSchedule schedule = LrSchedule.cosine(cfg.lr(), (int) total, 0.1f);
        ProgressBar bar = progress ? new ProgressBar("sft", total) : null;
        List<Double> trainLosses = new ArrayList<>(), valLosses = new ArrayList<>(), scores = new ArrayList<>();
        while (step < total && step < stopAfter) {
            int epoch = (int) (step / perEpoch), b = (int) (step % perEpoch);
            int[] order = Sequences.permutation(train.size(), new Rng(cfg.seed() * 1_000_003L + epoch));
            List<SftExample> batch = new ArrayList<>();
            for (int i = b * cfg.batchSize(); i < Math.min(train.size(), (b + 1) * cfg.batchSize()); i++) batch.add(train.get(order[i]));
            float lr = schedule.at((int) step);
            double loss = trainStep(batch, lr);
            trainLosses.add(loss);
            step++;
            if (log != null) log.log(step, Map.of("loss", loss, "lr", (double) lr));
            if (bar != null) bar.update(step, Map.of("loss", loss));
            if (step % perEpoch == 0) {
                double val = validation == null || validation.isEmpty() ? Double.NaN : validationLoss(validation);
                double score = scorer != null ? scorer.applyAsDouble(model) : -val;
                valLosses.add(val);
                scores.add(score);
                if (log != null) log.log(step, Map.of("val_loss", val, "score", score));
                if (Double.isNaN(score) || score > bestScore) {
                    bestScore = score;
                    bestEpoch = epoch;
                    best = Snapshots.take(model.parameters());
                }
                if (checkpointDir != null) save(checkpointDir);
            }
        }
        if (step < total && checkpointDir != null) save(checkpointDir);
        if (step >= total && best != null) Snapshots.restore(model.parameters(), best);
        return new Result(trainLosses, valLosses, scores, bestEpoch, bestScore);
    }

    /** One optimizer step; returns the batch loss. */
    public double trainStep(List<SftExample> batch, float lr) {
        try (Scope s = Scope.open()) {
            List<int[]> seqs = new ArrayList<>();
            int[] from = new int[batch.size()];
            for (int i = 0; i < batch.size(); i++) {
                seqs.add(batch.get(i).sequence(cfg.maxLen()));
                from[i] = batch.get(i).lossFrom(cfg.maxLen());
            }
            Tensor loss = Sequences.lmLoss(model, seqs, from, padId, true, dropoutRng);
            loss.backward();
            float scale = cfg.gradClip() > 0 ? GradClip.clipScale(GradClip.globalNorm(model.parameters().values()), cfg.gradClip()) : 1f;
            optimizer.step(lr, scale);
            optimizer.zeroGrad();
            return loss.item();
        }
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

    /** A checkpoint: the model folder with the best weights so far as "best." tensors and the training state. */
    public void save(Path dir) {
        try (Scope s = Scope.open()) {
            Map<String, Tensor> extras = best == null ? Map.of() : Checkpoint.prefixed("best.", Snapshots.asTensors(best, model.parameters()));
            Map<String, Double> scalars = new HashMap<>();
            scalars.put("bestEpoch", (double) bestEpoch);
            scalars.put("bestScore", bestScore);
            Checkpoint.save(dir, new PretrainedModel(model, ModelKind.LM, extras), null, new TrainState(step, dropoutRng.state(), scalars),
                    optimizer.state());
        }
    }

    /** Continues a run saved by {@link #save}: weights, optimizer, step, dropout stream, best epoch so far. */
    public void resume(Path dir) {
        Checkpoint.Loaded c = Checkpoint.load(dir, model.device());
        model.copyFrom(c.model().gpt());
        optimizer.loadState(c.optimizer(), (int) c.state().step());
        step = c.state().step();
        dropoutRng.setState(c.state().rngState());
        bestEpoch = (int) c.state().scalar("bestEpoch", -1);
        bestScore = c.state().scalar("bestScore", Double.NEGATIVE_INFINITY);
        Map<String, Tensor> b = c.extras("best.");
        best = b.isEmpty() ? null : Snapshots.take(b);
    }

    public Gpt model() { return model; }
}
