package org.instruct4j.rlhf.pretrain;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import org.instruct4j.engine.Rng;
import org.instruct4j.engine.Scope;
import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.nn.Gpt;
import org.instruct4j.engine.ops.CrossEntropy;
import org.instruct4j.engine.optim.AdamW;
import org.instruct4j.engine.optim.LrSchedule;
import org.instruct4j.engine.nn.PretrainedModel;
import org.instruct4j.rlhf.train.Checkpoint;
import org.instruct4j.rlhf.train.CheckpointPlan;
import org.instruct4j.rlhf.train.MetricsLog;
import org.instruct4j.rlhf.train.NonFiniteGuard;
import org.instruct4j.rlhf.train.ProgressBar;
import org.instruct4j.rlhf.train.TrainState;

/** Next-token pretraining on one long token stream: each step reads random windows and predicts every next token. */
public final class Pretrainer {
    private final Gpt model;
    private final PretrainConfig cfg;
    private final AdamW optimizer;
    private final LrSchedule schedule;
    private final Rng rng;
    private final NonFiniteGuard guard = new NonFiniteGuard("pretrain");
    private long step;
    private final List<Double> losses = new ArrayList<>();
    private boolean progress = true;
    private ToDoubleFunction<Gpt> heldOutLoss;
    private int validateEvery;
    private double validationLoss = Double.NaN;

    public Pretrainer(Gpt model, PretrainConfig cfg) {
        if (cfg.seqLen() > model.config().contextLength())
            throw new IllegalArgumentException("pretrain: seqLen " + cfg.seqLen() + " exceeds the model's context " + model.config().contextLength());
        this.model = model;
        this.cfg = cfg;
        this.optimizer = AdamW.of(model.parameters(), cfg.weightDecay());
        this.schedule = LrSchedule.linearWarmup(cfg.lr(), cfg.warmup(), 0.1f,
                LrSchedule.cosine(cfg.lr(), Math.max(1, cfg.steps() - cfg.warmup()), cfg.minLrFraction()));
        this.rng = new Rng(cfg.seed());
    }

    public Pretrainer quiet() { progress = false; return this; }

    /**
     * Measures heldOutLoss (the loss on a text kept out of training) before the first step, every `every` steps and
     * after the last, and logs it as val_loss. It reads the model without changing it or any random stream, so the
     * training is the same bits with or without it.
     */
    public Pretrainer validating(int every, ToDoubleFunction<Gpt> heldOutLoss) {
        if (every < 1) throw new IllegalArgumentException("pretrain: validation every " + every + " steps");
        this.validateEvery = every;
        this.heldOutLoss = heldOutLoss;
        return this;
    }

    /** The last held-out loss measured; NaN before the first, or without {@link #validating}. */
    public double validationLoss() { return validationLoss; }

    /** Documents as one token stream, end-of-text after each: what the pretraining windows are cut from. */
    public static int[] tokenStream(org.instruct4j.engine.text.BpeTokenizer tok, List<String> documents) {
        List<int[]> parts = new ArrayList<>();
        int total = 0;
        for (String d : documents) {
            int[] ids = tok.encode(d);
            parts.add(ids);
            total += ids.length + 1;
        }
        int[] all = new int[total];
        int at = 0;
        for (int[] p : parts) {
            System.arraycopy(p, 0, all, at, p.length);
            at += p.length;
            all[at++] = tok.endOfText();
        }
        return all;
    }

    /** Trains for cfg.steps() steps; returns the loss of each step. */
    public List<Double> train(int[] corpus, MetricsLog log) { return train(corpus, log, CheckpointPlan.none()); }

    /**
     * Trains from the step reached so far (0, or a resumed checkpoint's) to cfg.steps(), saving a checkpoint when
     * the plan says; returns the loss of every step of the run (a resumed run's included).
     */
    public List<Double> train(int[] corpus, MetricsLog log, CheckpointPlan plan) {
        int t = cfg.seqLen(), b = cfg.batch();
        if (corpus.length < t + 2) throw new IllegalArgumentException("pretrain: the corpus has " + corpus.length + " tokens, fewer than one window of " + (t + 1));
        ProgressBar bar = progress ? new ProgressBar("pretrain", cfg.steps()) : null;
        if (heldOutLoss != null && step == 0) validate(log);
        for (; step < cfg.steps(); ) {
            int[] x = new int[b * t], y = new int[b * t];
            for (int r = 0; r < b; r++) {
                int at = rng.nextInt(corpus.length - t - 1);
                System.arraycopy(corpus, at, x, r * t, t);
                System.arraycopy(corpus, at + 1, y, r * t, t);
            }
            float lr = schedule.at((int) step);
            double loss;
            try (Scope s = Scope.open()) {
                loss = accumulateGradients(x, y, b, t);
                optimizer.step(lr, guard.clipScale(step + 1, loss, model.parameters().values(), cfg.gradClip()));
                optimizer.zeroGrad();
            }
            losses.add(loss);
            if (log != null) log.log(step, Map.of("loss", loss, "lr", (double) lr));
            step++;
            if (heldOutLoss != null && (step % validateEvery == 0 || step == cfg.steps())) validate(log);
            if (bar != null) bar.update(step, Double.isNaN(validationLoss) ? Map.of("loss", loss) : Map.of("loss", loss, "val_loss", validationLoss));
            if (plan.due(step)) save(plan, log);
        }
        if (bar != null) bar.finish();
        return List.copyOf(losses);
    }

    private void validate(MetricsLog log) {
        validationLoss = heldOutLoss.applyAsDouble(model);
        if (log != null) log.log(step, Map.of("val_loss", validationLoss));
    }

    /** Steps done. */
    public long step() { return step; }

    /**
     * The loss of b windows of t tokens (inputs x, targets y) backward into the gradients, a micro-batch of rows
     * at a time, each piece weighted by its share of the rows; returns the loss.
     */
    double accumulateGradients(int[] x, int[] y, int b, int t) {
        int rowsAtOnce = cfg.microBatch() == 0 ? b : Math.min(b, cfg.microBatch());
        double loss = 0;
        for (int first = 0; first < b; first += rowsAtOnce) {
            int rows = Math.min(rowsAtOnce, b - first);
            float share = rows == b ? 1f : (float) rows / b;
            try (Scope s = Scope.open()) {
                Tensor inputs = Tensor.ofInts(Arrays.copyOfRange(x, first * t, (first + rows) * t), model.device(), rows, t);
                Tensor targets = Tensor.ofInts(Arrays.copyOfRange(y, first * t, (first + rows) * t), model.device(), rows, t);
                Tensor l = CrossEntropy.mean(model.logits(model.hidden(inputs, null, null, true, rng)), targets);
                (share == 1f ? l : l.scale(share)).backward();
                loss += share * l.item();
            }
        }
        return loss;
    }

    /** A checkpoint into plan.folder(): the model folder, the optimizer's moments, the step and the random stream. */
    public void save(CheckpointPlan plan, MetricsLog log) {
        try (Scope s = Scope.open()) {
            Checkpoint.save(plan.folder(), PretrainedModel.lm(model), plan.tokenizer(), plan.stamp(new TrainState(step, rng.state(), Map.of()).withHistory(Map.of("loss", losses)), log),
                    optimizer.state());
        }
        guard.saved(plan.folder(), step);
        if (progress) System.err.println("pretrain: checkpoint of step " + step + " in " + plan.folder());
    }

    /**
     * Continues from the checkpoint {@link #save} left in plan.folder() (refused when made with other settings):
     * weights, optimizer, step, random stream. Returns its state.
     */
    public TrainState resume(CheckpointPlan plan) {
        Checkpoint.Loaded c = plan.resume(model.device());
        model.copyFrom(c.model().gpt());
        optimizer.loadState(c.optimizer());
        step = c.state().step();
        rng.setState(c.state().rngState());
        losses.clear();
        losses.addAll(c.state().history("loss"));
        guard.saved(plan.folder(), step);
        return c.state();
    }
}
