package org.instruct4j.rlhf.pretrain;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.instruct4j.engine.Rng;
import org.instruct4j.engine.Scope;
import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.nn.Gpt;
import org.instruct4j.engine.ops.CrossEntropy;
import org.instruct4j.engine.optim.AdamW;
import org.instruct4j.engine.optim.LrSchedule;
import org.instruct4j.rlhf.train.MetricsLog;
import org.instruct4j.rlhf.train.NonFiniteGuard;
import org.instruct4j.rlhf.train.ProgressBar;

/** Next-token pretraining on one long token stream: each step reads random windows and predicts every next token. */
public final class Pretrainer {
    private final Gpt model;
    private final PretrainConfig cfg;
    private final AdamW optimizer;
    private final LrSchedule schedule;
    private final Rng rng;
    private final NonFiniteGuard guard = new NonFiniteGuard("pretrain");
    private boolean progress = true;

    public Pretrainer(Gpt model, PretrainConfig cfg) {
        if (cfg.seqLen() > model.config().contextLength())
            throw new IllegalArgumentException("pretrain: seqLen " + cfg.seqLen() + " exceeds the model's context " + model.config().contextLength());
        this.model = model;
        this.cfg = cfg;
        this.optimizer = AdamW.of(model.parameters(), cfg.lr(), cfg.weightDecay());
        this.schedule = LrSchedule.linearWarmup(cfg.lr(), cfg.warmup(), 0.1f,
                LrSchedule.cosine(cfg.lr(), Math.max(1, cfg.steps() - cfg.warmup()), cfg.minLrFraction()));
        this.rng = new Rng(cfg.seed());
    }

    public Pretrainer quiet() { progress = false; return this; }

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
    public List<Double> train(int[] corpus, MetricsLog log) {
        int t = cfg.seqLen(), b = cfg.batch();
        if (corpus.length < t + 2) throw new IllegalArgumentException("pretrain: the corpus has " + corpus.length + " tokens, fewer than one window of " + (t + 1));
        ProgressBar bar = progress ? new ProgressBar("pretrain", cfg.steps()) : null;
        List<Double> losses = new ArrayList<>();
        for (int step = 0; step < cfg.steps(); step++) {
            int[] x = new int[b * t], y = new int[b * t];
            for (int r = 0; r < b; r++) {
                int at = rng.nextInt(corpus.length - t - 1);
                System.arraycopy(corpus, at, x, r * t, t);
                System.arraycopy(corpus, at + 1, y, r * t, t);
            }
            float lr = schedule.at(step);
            double loss;
            try (Scope s = Scope.open()) {
                Tensor inputs = Tensor.ofInts(x, model.device(), b, t), targets = Tensor.ofInts(y, model.device(), b, t);
                Tensor l = CrossEntropy.mean(model.logits(model.hidden(inputs, null, null, true, rng)), targets);
                l.backward();
                loss = l.item();
                optimizer.step(lr, guard.clipScale(step + 1, loss, model.parameters().values(), cfg.gradClip()));
                optimizer.zeroGrad();
            }
            losses.add(loss);
            if (log != null) log.log(step, Map.of("loss", loss, "lr", (double) lr));
            if (bar != null) bar.update(step + 1, Map.of("loss", loss));
        }
        if (bar != null) bar.finish();
        return losses;
    }
}
