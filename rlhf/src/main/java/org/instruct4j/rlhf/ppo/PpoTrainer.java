package org.instruct4j.rlhf.ppo;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.instruct4j.engine.Rng;
import org.instruct4j.engine.Scope;
import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.autograd.GradMode;
import org.instruct4j.engine.nn.Gpt;
import org.instruct4j.engine.nn.ModelKind;
import org.instruct4j.engine.nn.PretrainedModel;
import org.instruct4j.engine.ops.CrossEntropy;
import org.instruct4j.engine.ops.ShapeOps;
import org.instruct4j.engine.optim.AdamW;
import org.instruct4j.engine.optim.GradClip;
import org.instruct4j.engine.optim.LrSchedule;
import org.instruct4j.rlhf.generate.Generation;
import org.instruct4j.rlhf.generate.Generator;
import org.instruct4j.rlhf.rm.RewardModel;
import org.instruct4j.rlhf.train.Checkpoint;
import org.instruct4j.rlhf.train.MetricsLog;
import org.instruct4j.rlhf.train.ProgressBar;
import org.instruct4j.rlhf.train.Sequences;
import org.instruct4j.rlhf.train.TrainState;

/**
 * PPO (and PPO-ptx) for a language model in a bandit environment, as in InstructGPT:
 * <ol>
 * <li>Rollout: sample responses to a batch of prompts from the policy; score each prompt + response with the
 *     reward model at its last token; compute, without a graph, the policy's and the frozen SFT reference's
 *     log-probabilities of the sampled tokens (logits / temperature) and the value model's estimates.</li>
 * <li>Rewards: -beta * (logp - logp_ref) at every token, plus the RM score at the last token (minus a penalty
 *     when the response did not end with end-of-text; the RM then scores it with end-of-text appended, as it
 *     saw every response in training). GAE (gamma, lambda) gives advantages (whitened over the
 *     batch) and returns.</li>
 * <li>Update: inner epochs over shuffled minibatches: the clipped policy loss, then (PPO-ptx) gamma times the
 *     pretraining LM loss in a second backward pass that accumulates into the SAME gradient buffers, one
 *     optimizer step; the value model (a separate GPT + head, initialised from the RM) takes its clipped loss.</li>
 * </ol>
 * Layout of an episode batch: prompts left-padded to P (start offsets skip the padding, as in generation),
 * responses right-padded to R, so response token i sits at position P + i and is predicted at P + i - 1.
 */
public final class PpoTrainer {
    private final Gpt policy, reference;
    private final RewardModel reward, value;
    private final PpoConfig cfg;
    private final int padId, endOfText;
    private final AdamW policyOpt, valueOpt;
    private final KlController kl;
    private final Rng rng;
    private final Gpt ema;
    private final Generator generator;
    private int iteration;
    private int promptCursor, ptxCursor;
    private int[] promptOrder;
    private boolean progress = true;

    public PpoTrainer(Gpt policy, Gpt reference, RewardModel reward, RewardModel value, int padId, int endOfText, PpoConfig cfg) {
        if (policy.config().dropout() != 0f)
            throw new IllegalArgumentException("PPO: build the policy with dropout 0 (dropout is off during RL), got " + policy.config().dropout());
        this.policy = policy;
        this.reference = reference;
        this.reward = reward;
        this.value = value;
        this.cfg = cfg;
        this.padId = padId;
        this.endOfText = endOfText;
        this.policyOpt = AdamW.of(policy.parameters(), cfg.lr(), 0f);
        this.valueOpt = AdamW.of(value.parameters(), cfg.valueLr(), 0f);
        this.kl = cfg.adaptiveKl() ? KlController.adaptive(cfg.klCoef(), cfg.klTarget(), cfg.klHorizon()) : KlController.fixed(cfg.klCoef());
        this.rng = new Rng(cfg.seed());
        this.generator = new Generator(policy, padId, endOfText);
        if (cfg.emaDecay() > 0) {
            ema = new Gpt(policy.config(), new Rng(0), policy.device());
            ema.copyFrom(policy);
        } else ema = null;
    }

    public PpoTrainer quiet() { progress = false; return this; }

    public Gpt policy() { return policy; }

    /** The EMA of the policy weights (for evaluation), or the policy itself when the EMA is off. */
    public Gpt evaluationPolicy() { return ema != null ? ema : policy; }

    public double beta() { return kl.beta(); }

    public int iteration() { return iteration; }

    /** A batch of scored episodes with their advantages; P and R are the padded prompt and response lengths. */
    public record Rollout(List<Episode> episodes, int promptLen, int responseLen) {}

    /** Runs iterations PPO iterations over the prompts (token arrays), with ptx pretraining sequences (may be empty). */
    public List<Map<String, Double>> train(List<int[]> prompts, List<int[]> ptx, int iterations, MetricsLog log) {
        ProgressBar bar = progress ? new ProgressBar(cfg.ptxCoef() > 0 ? "ppo-ptx" : "ppo", iterations) : null;
        List<Map<String, Double>> history = new ArrayList<>();
        for (int i = 0; i < iterations; i++) {
            Map<String, Double> m = iterate(prompts, ptx);
            history.add(m);
            if (log != null) log.log(iteration, m);
            if (bar != null) bar.update(i + 1, Map.of("reward", m.get("reward"), "kl", m.get("kl")));
        }
        return history;
    }

    /** One PPO iteration: a rollout of batchSize episodes, then the inner epochs of updates. Returns its metrics. */
    public Map<String, Double> iterate(List<int[]> prompts, List<int[]> ptx) {
        if (prompts.isEmpty()) throw new IllegalArgumentException("PPO: no prompts");
        if (cfg.ptxCoef() > 0 && ptx.isEmpty()) throw new IllegalArgumentException("PPO-ptx: ptx coefficient > 0 but no pretraining data");
        List<int[]> batchPrompts = new ArrayList<>();
        for (int i = 0; i < cfg.batchSize(); i++) batchPrompts.add(nextPrompt(prompts));
        Rollout rollout = rollout(batchPrompts);
        Map<String, Double> m = rolloutMetrics(rollout);

        float lr = LrSchedule.linearWarmup(cfg.lr(), cfg.warmupIterations(), 0.1f, LrSchedule.constant(cfg.lr())).at(iteration);
        float vlr = LrSchedule.linearWarmup(cfg.valueLr(), cfg.warmupIterations(), 0.1f, LrSchedule.constant(cfg.valueLr())).at(iteration);
        double clipped = 0, counted = 0, vloss = 0, ploss = 0, ptxLoss = 0;
        int updates = 0;
        int ptxPerMinibatch = cfg.ptxCoef() > 0 ? Math.max(1, (int) Math.round(cfg.ptxPerEpisode() * cfg.minibatchSize())) : 0;
        for (int epoch = 0; epoch < cfg.innerEpochs(); epoch++) {
            int[] order = Sequences.permutation(rollout.episodes().size(), rng);
            for (int from = 0; from < order.length; from += cfg.minibatchSize()) {
                int[] rows = Arrays.copyOfRange(order, from, Math.min(order.length, from + cfg.minibatchSize()));
                List<int[]> ptxBatch = new ArrayList<>();
                for (int i = 0; i < ptxPerMinibatch; i++) ptxBatch.add(ptx.get(ptxCursor++ % ptx.size()));
                double[] r = accumulatePolicyGradients(rollout, rows, ptxBatch, cfg.ptxCoef());
                float scale = cfg.gradClip() > 0 ? GradClip.clipScale(GradClip.globalNorm(policy.parameters().values()), cfg.gradClip()) : 1f;
                policyOpt.step(lr, scale);
                policyOpt.zeroGrad();
                updateEma();
                ploss += r[0];
                ptxLoss += r[1];
                clipped += r[2];
                counted += r[3];
                vloss += valueStep(rollout, rows, vlr);
                updates++;
            }
        }
        kl.update(m.get("kl"), rollout.episodes().size());
        iteration++;
        m.put("policy_loss", ploss / updates);
        m.put("value_loss", vloss / updates);
        m.put("clip_fraction", counted == 0 ? 0 : clipped / counted);
        m.put("ptx_loss", cfg.ptxCoef() > 0 ? ptxLoss / updates : Double.NaN);
        m.put("lr", (double) lr);
        m.put("beta", kl.beta());
        return m;
    }

    /** Samples, scores and evaluates a batch of episodes (no graph); fills rewards, advantages and returns. */
    public Rollout rollout(List<int[]> prompts) {
        List<Generation> gens = generator.generate(prompts, cfg.sampling(), rng);
        int context = policy.config().contextLength();
        int maxNew = Math.min(cfg.sampling().maxNewTokens(), context - 1);
        List<int[]> kept = new ArrayList<>();
        int p = 1, r = 1;
        for (int i = 0; i < prompts.size(); i++) {
            int[] q = prompts.get(i);
            if (q.length > context - maxNew) q = Arrays.copyOfRange(q, q.length - (context - maxNew), q.length);
            kept.add(q);
            p = Math.max(p, q.length);
            r = Math.max(r, gens.get(i).length());
        }
        int n = prompts.size();
        float[][] logp = new float[n][], ref = new float[n][], vals = new float[n][];
        float[] raw = new float[n];
        try (GradMode g = GradMode.off()) {
            for (int from = 0; from < n; from += cfg.minibatchSize()) {
                int[] rows = range(from, Math.min(n, from + cfg.minibatchSize()));
                try (Scope s = Scope.open()) {
                    Layout l = layout(kept, gens, rows, p, r);
                    float[] lp = responseLogProbs(policy, l).toFloatArray();
                    float[] rf = responseLogProbs(reference, l).toFloatArray();
                    float[] vv = responseValues(value, l).toFloatArray();
                    List<int[]> seqs = new ArrayList<>();
                    for (int row : rows) seqs.add(Sequences.fit(kept.get(row), scoredResponse(gens.get(row)), reward.trunk().config().contextLength()));
                    float[] sc = reward.scores(seqs).toFloatArray();
                    for (int j = 0; j < rows.length; j++) {
                        int len = gens.get(rows[j]).length();
                        logp[rows[j]] = Arrays.copyOfRange(lp, j * r, j * r + len);
                        ref[rows[j]] = Arrays.copyOfRange(rf, j * r, j * r + len);
                        vals[rows[j]] = Arrays.copyOfRange(vv, j * r, j * r + len);
                        raw[rows[j]] = sc[j];
                    }
                }
            }
        }
        float beta = (float) kl.beta();
        List<Episode> eps = new ArrayList<>();
        List<float[]> advs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Generation gen = gens.get(i);
            int len = gen.length();
            float score = raw[i] - (gen.endedWithEot() ? 0f : cfg.noEotPenalty());
            float[] k = new float[len], rew = new float[len];
            for (int t = 0; t < len; t++) {
                k[t] = logp[i][t] - ref[i][t];
                rew[t] = -beta * k[t];
            }
            if (len > 0) rew[len - 1] += score;
            Gae.Result gae = Gae.compute(rew, vals[i], cfg.gamma(), cfg.lambda());
            advs.add(gae.advantages());
            eps.add(new Episode(kept.get(i), gen.tokens(), gen.endedWithEot(), raw[i], score, logp[i], ref[i], k, vals[i], rew,
                    gae.advantages(), gae.returns()));
        }
        Whiten.inPlace(advs);
        return new Rollout(eps, p, r);
    }

    /**
     * The response as the reward model reads it: ending with end-of-text, like every response it was trained on.
     * A response cut off at maxNewTokens gets the end-of-text appended for scoring (and pays noEotPenalty);
     * scored without it, the reward model would read a sequence unlike any in its training data, and PPO learns
     * to exploit whatever it says there (in the demo: ever longer responses that never end).
     */
    private int[] scoredResponse(Generation g) {
        if (g.endedWithEot()) return g.tokens();
        int[] t = Arrays.copyOf(g.tokens(), g.length() + 1);
        t[g.length()] = endOfText;
        return t;
    }

    /**
     * The policy's gradients for one minibatch, left in the parameters' gradient buffers (no optimizer step):
     * the clipped PPO loss backward, then, when ptxCoef > 0, ptxCoef times the pretraining LM loss backward,
     * which adds into the same buffers. Returns {policy loss, ptx loss, clipped tokens, counted tokens}.
     */
    public double[] accumulatePolicyGradients(Rollout rollout, int[] rows, List<int[]> ptxBatch, float ptxCoef) {
        double pl, ptxl = Double.NaN;
        int clipped = 0, counted = 0;
        try (Scope s = Scope.open()) {
            Layout l = layout(rollout, rows);
            int n = rows.length * rollout.responseLen();
            float[] old = new float[n], adv = new float[n], mask = new float[n];
            for (int j = 0; j < rows.length; j++) {
                Episode e = rollout.episodes().get(rows[j]);
                for (int t = 0; t < e.response().length; t++) {
                    int at = j * rollout.responseLen() + t;
                    old[at] = e.logProbs()[t];
                    adv[at] = e.advantages()[t];
                    mask[at] = 1;
                }
            }
            Tensor logp = responseLogProbs(policy, l).reshape(n);
            Tensor loss = PpoLosses.policy(logp, old, adv, mask, cfg.clip());
            loss.backward();
            pl = loss.item();
            float[] now = logp.toFloatArray();
            for (int i = 0; i < n; i++) {
                if (mask[i] == 0) continue;
                counted++;
                if (Math.abs(Math.exp(now[i] - old[i]) - 1) > cfg.clip()) clipped++;
            }
        }
        if (ptxCoef > 0 && ptxBatch != null && !ptxBatch.isEmpty()) {
            try (Scope s = Scope.open()) {
                int[] from = new int[ptxBatch.size()];
                Arrays.fill(from, 1);
                List<int[]> seqs = new ArrayList<>();
                int ctx = policy.config().contextLength();
                for (int[] q : ptxBatch) seqs.add(q.length > ctx ? Arrays.copyOf(q, ctx) : q);
                Tensor lm = Sequences.lmLoss(policy, seqs, from, padId, false, null);
                lm.scale(ptxCoef).backward();   // accumulates into the gradients the PPO loss left
                ptxl = lm.item();
            }
        }
        return new double[] {pl, ptxl, clipped, counted};
    }

    private double valueStep(Rollout rollout, int[] rows, float lr) {
        try (Scope s = Scope.open()) {
            Layout l = layout(rollout, rows);
            int n = rows.length * rollout.responseLen();
            float[] old = new float[n], ret = new float[n], mask = new float[n];
            for (int j = 0; j < rows.length; j++) {
                Episode e = rollout.episodes().get(rows[j]);
                for (int t = 0; t < e.response().length; t++) {
                    int at = j * rollout.responseLen() + t;
                    old[at] = e.values()[t];
                    ret[at] = e.returns()[t];
                    mask[at] = 1;
                }
            }
            Tensor loss = PpoLosses.value(responseValues(value, l).reshape(n), old, ret, mask, cfg.valueClip());
            loss.backward();
            float scale = cfg.gradClip() > 0 ? GradClip.clipScale(GradClip.globalNorm(value.parameters().values()), cfg.gradClip()) : 1f;
            valueOpt.step(lr, scale);
            valueOpt.zeroGrad();
            return loss.item();
        }
    }

    private Map<String, Double> rolloutMetrics(Rollout rollout) {
        double reward = 0, score = 0, klSum = 0, negLogp = 0, tokens = 0, eot = 0;
        List<float[]> values = new ArrayList<>(), returns = new ArrayList<>();
        for (Episode e : rollout.episodes()) {
            reward += e.rawScore();
            score += e.score();
            klSum += e.klSum();
            for (float lp : e.logProbs()) negLogp -= lp;
            tokens += e.response().length;
            if (e.endedWithEot()) eot++;
            values.add(e.values());
            returns.add(e.returns());
        }
        int n = rollout.episodes().size();
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("reward", reward / n);
        m.put("score", score / n);
        m.put("kl", klSum / n);
        // -log p of the sampled tokens is an unbiased estimate of the policy's entropy (no (B,T,V) download).
        m.put("entropy", tokens == 0 ? 0 : negLogp / tokens);
        m.put("response_length", tokens / n);
        m.put("eot_fraction", eot / n);
        m.put("explained_variance", Whiten.explainedVariance(values, returns));
        return m;
    }

    // ---- batches ------------------------------------------------------------------------------------------

    /** A minibatch laid out for the model: tokens (B, P+R-1), start offsets, targets (B, P+R-1). */
    private record Layout(Tensor tokens, int[] start, Tensor targets, int promptLen, int responseLen) {}

    private Layout layout(Rollout rollout, int[] rows) {
        List<int[]> prompts = new ArrayList<>();
        List<int[]> responses = new ArrayList<>();
        for (Episode e : rollout.episodes()) { prompts.add(e.prompt()); responses.add(e.response()); }
        return layout(prompts, responses, rows, rollout.promptLen(), rollout.responseLen(), true);
    }

    private Layout layout(List<int[]> prompts, List<Generation> gens, int[] rows, int p, int r) {
        List<int[]> responses = new ArrayList<>();
        for (Generation g : gens) responses.add(g.tokens());
        return layout(prompts, responses, rows, p, r, true);
    }

    private Layout layout(List<int[]> prompts, List<int[]> responses, int[] rows, int p, int r, boolean unused) {
        int b = rows.length, t = p + r - 1;
        int[] tokens = new int[b * t], targets = new int[b * t], start = new int[b];
        Arrays.fill(tokens, padId);
        Arrays.fill(targets, -1);
        for (int j = 0; j < b; j++) {
            int[] q = prompts.get(rows[j]), resp = responses.get(rows[j]);
            start[j] = p - q.length;
            System.arraycopy(q, 0, tokens, j * t + start[j], q.length);
            for (int i = 0; i < resp.length; i++) {
                if (p + i < t) tokens[j * t + p + i] = resp[i];
                targets[j * t + p - 1 + i] = resp[i];
            }
        }
        return new Layout(Tensor.ofInts(tokens, policy.device(), b, t), start, Tensor.ofInts(targets, policy.device(), b, t), p, r);
    }

    /** log p(response token) under softmax(logits / temperature): (B, R), 0 on padding. */
    private Tensor responseLogProbs(Gpt model, Layout l) {
        Tensor logits = model.logits(model.hidden(l.tokens(), l.start(), null, false, null));
        float invT = 1f / cfg.sampling().temperature();
        if (invT != 1f) logits = logits.scale(invT);
        Tensor lp = CrossEntropy.tokenLogProbs(logits, l.targets());
        return ShapeOps.slice(lp, 1, l.promptLen() - 1, l.promptLen() - 1 + l.responseLen());
    }

    /** The value model's estimate before each response token: (B, R). */
    private Tensor responseValues(RewardModel model, Layout l) {
        Tensor v = model.values(l.tokens(), l.start());
        return ShapeOps.slice(v, 1, l.promptLen() - 1, l.promptLen() - 1 + l.responseLen());
    }

    private int[] nextPrompt(List<int[]> prompts) {
        if (promptOrder == null || promptOrder.length != prompts.size() || promptCursor >= promptOrder.length) {
            promptOrder = Sequences.permutation(prompts.size(), rng);
            promptCursor = 0;
        }
        return prompts.get(promptOrder[promptCursor++]);
    }

    private void updateEma() {
        if (ema == null) return;
        Map<String, Tensor> e = ema.parameters(), p = policy.parameters();
        float d = cfg.emaDecay();
        for (Map.Entry<String, Tensor> en : e.entrySet()) {
            Tensor target = en.getValue(), src = p.get(en.getKey());
            target.backend().axpby(d, target.buffer(), 1 - d, src.buffer(), target.buffer(), target.numel());
        }
    }

    private static int[] range(int from, int to) {
        int[] r = new int[to - from];
        for (int i = 0; i < r.length; i++) r[i] = from + i;
        return r;
    }

    // ---- checkpoints --------------------------------------------------------------------------------------

    /** A checkpoint: the policy's model folder with the value model ("value.") and EMA ("ema.") as extra tensors. */
    public void save(Path dir) {
        Map<String, Tensor> w = new LinkedHashMap<>(Checkpoint.prefixed("value.", value.parameters()));
        if (ema != null) w.putAll(Checkpoint.prefixed("ema.", ema.parameters()));
        try (Scope s = Scope.open()) {
            Map<String, Tensor> o = new LinkedHashMap<>(Checkpoint.prefixed("policy.", policyOpt.state()));
            o.putAll(Checkpoint.prefixed("value.", valueOpt.state()));
            Map<String, Double> scalars = new HashMap<>();
            scalars.put("beta", kl.beta());
            scalars.put("iteration", (double) iteration);
            scalars.put("promptCursor", (double) promptCursor);
            scalars.put("ptxCursor", (double) ptxCursor);
            Checkpoint.save(dir, new PretrainedModel(policy, ModelKind.LM, w), null, new TrainState(iteration, rng.state(), scalars), o);
        }
    }

    /** Restores a run saved by {@link #save} (the prompt order restarts its current pass). */
    public void resume(Path dir) {
        Checkpoint.Loaded c = Checkpoint.load(dir, policy.device());
        policy.copyFrom(c.model().gpt());
        value.loadParameters(c.extras("value."));
        if (ema != null && !c.extras("ema.").isEmpty()) ema.loadParameters(c.extras("ema."), true);
        policyOpt.loadState(c.optimizer("policy."), (int) c.optimizer("policy.").get("step").toIntArray()[0]);
        valueOpt.loadState(c.optimizer("value."), (int) c.optimizer("value.").get("step").toIntArray()[0]);
        kl.setBeta(c.state().scalar("beta", kl.beta()));
        iteration = (int) c.state().step();
        ptxCursor = (int) c.state().scalar("ptxCursor", 0);
        rng.setState(c.state().rngState());
    }
}
