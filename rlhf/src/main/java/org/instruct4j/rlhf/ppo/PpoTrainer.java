package org.instruct4j.rlhf.ppo;

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
import org.instruct4j.engine.optim.AdamW;
import org.instruct4j.engine.optim.LrSchedule;
import org.instruct4j.engine.generate.Generation;
import org.instruct4j.engine.generate.Generator;
import org.instruct4j.engine.generate.ResponseBatch;
import org.instruct4j.engine.generate.SamplingConfig;
import org.instruct4j.rlhf.rm.RewardModel;
import org.instruct4j.rlhf.train.Checkpoint;
import org.instruct4j.rlhf.train.CheckpointPlan;
import org.instruct4j.rlhf.train.MetricsLog;
import org.instruct4j.rlhf.train.NonFiniteGuard;
import org.instruct4j.rlhf.train.ProgressBar;
import org.instruct4j.rlhf.train.Sequences;
import org.instruct4j.rlhf.train.TrainState;

/**
 * PPO (and PPO-ptx) for a language model in a bandit environment, as in InstructGPT. One iteration
 * ({@link #iterate}) is:
 * <ol>
 * <li>Rollout ({@link #rollout}): sample responses to a batch of prompts from the policy; score each prompt +
 *     response with the reward model at its last token (or another {@link ResponseScorer}); compute, without a graph, the policy's and the frozen SFT
 *     reference's log-probabilities of the sampled tokens (logits / temperature) and the value model's estimates.</li>
 * <li>Rewards and advantages ({@link #tokenRewards}): -beta * (logp - logp_ref) at every token, plus the RM score at the last token (minus
 *     a penalty when the response did not end with end-of-text; the RM then scores it with end-of-text appended,
 *     as it saw every response in training). GAE (gamma, lambda) gives advantages, whitened over the batch, and
 *     returns.</li>
 * <li>Update: inner epochs over shuffled minibatches: the clipped policy loss, then (PPO-ptx) gamma times the
 *     pretraining LM loss in a second backward pass that accumulates into the SAME gradient buffers, one
 *     optimizer step; the value model (a separate GPT + head, initialised from the RM) takes its clipped loss.</li>
 * </ol>
 * Episodes are scored in batches laid out by {@link ResponseBatch}: prompts left-padded, responses right-padded.
 */
public final class PpoTrainer {
    private final Gpt policy, reference;
    private final ResponseScorer reward;
    private final RewardModel value;
    private final PpoConfig cfg;
    private final int padId, endOfText;
    private final AdamW policyOpt, valueOpt;
    private final KlController kl;
    private final Rng rng;
    private final Gpt ema;
    private final Generator generator;
    private final NonFiniteGuard guard = new NonFiniteGuard("ppo");
    private int iteration;
    private int promptCursor, ptxCursor;
    private int[] promptOrder;
    private boolean progress = true;

    public PpoTrainer(Gpt policy, Gpt reference, RewardModel reward, RewardModel value, int padId, int endOfText, PpoConfig cfg) {
        this(policy, reference, ResponseScorer.of(reward), value, padId, endOfText, cfg);
    }

    /** PPO against any scorer of responses; the value model still starts from a reward model's weights. */
    public PpoTrainer(Gpt policy, Gpt reference, ResponseScorer reward, RewardModel value, int padId, int endOfText, PpoConfig cfg) {
        if (policy.config().dropout() != 0f)
            throw new IllegalArgumentException("PPO: build the policy with dropout 0 (dropout is off during RL), got " + policy.config().dropout());
        SamplingConfig sampling = cfg.sampling();
        // The ratio and the KL use log softmax(logits / temperature): a sampler that cuts the distribution (top-k,
        // top-p) or takes its mode would draw tokens with other probabilities than those, and the KL could go negative.
        if (sampling.greedy() || sampling.topK() != 0 || sampling.topP() != 1f)
            throw new IllegalArgumentException("PPO samples from the whole distribution at its temperature; got " + sampling
                    + " (top-k, top-p and greedy would make the sampled tokens' probabilities differ from the log-probabilities PPO uses)");
        this.policy = policy;
        this.reference = reference;
        this.reward = reward;
        this.value = value;
        this.cfg = cfg;
        this.padId = padId;
        this.endOfText = endOfText;
        this.policyOpt = AdamW.of(policy.parameters(), 0f);
        this.valueOpt = AdamW.of(value.parameters(), 0f);
        this.kl = cfg.adaptiveKl() ? KlController.adaptive(cfg.klCoef(), cfg.klTarget(), cfg.klHorizon()) : KlController.fixed(cfg.klCoef());
        this.rng = new Rng(cfg.seed());
        this.generator = new Generator(policy, padId, endOfText);
        ema = cfg.emaDecay() > 0 ? policy.copy() : null;
    }

    public PpoTrainer quiet() { progress = false; return this; }

    public Gpt policy() { return policy; }

    /** The EMA of the policy weights (for evaluation), or the policy itself when the EMA is off. */
    public Gpt evaluationPolicy() { return ema != null ? ema : policy; }

    public double beta() { return kl.beta(); }

    public int iteration() { return iteration; }

    /** A batch of scored episodes with their whitened advantages; promptLen and responseLen are the padded lengths. */
    public record Rollout(List<Episode> episodes, int promptLen, int responseLen) {}

    /** Runs PPO until iteration {@code until} over the prompts (token arrays), with ptx pretraining sequences (may be empty). */
    public List<IterationStats> train(List<int[]> prompts, List<int[]> ptx, int until, MetricsLog log) {
        return train(prompts, ptx, until, log, CheckpointPlan.none());
    }

    /**
     * Runs PPO from the iteration reached so far (0, or a resumed checkpoint's) until iteration {@code until},
     * saving a checkpoint when the plan says; returns the statistics of the iterations run.
     */
    public List<IterationStats> train(List<int[]> prompts, List<int[]> ptx, int until, MetricsLog log, CheckpointPlan plan) {
        ProgressBar bar = progress ? new ProgressBar(cfg.ptxCoef() > 0 ? "ppo-ptx" : "ppo", until) : null;
        List<IterationStats> history = new ArrayList<>();
        while (iteration < until) {
            IterationStats stats = iterate(prompts, ptx);
            history.add(stats);
            if (log != null) log.log(iteration, stats.toMap());
            if (bar != null) bar.update(iteration, Map.of("reward", stats.rollout().reward(), "kl", stats.rollout().kl()));
            if (plan.due(iteration)) save(plan, log);
        }
        return history;
    }

    /** One PPO iteration: a rollout of batchSize episodes, then the inner epochs of updates. */
    public IterationStats iterate(List<int[]> prompts, List<int[]> ptx) {
        if (prompts.isEmpty()) throw new IllegalArgumentException("PPO: no prompts");
        if (cfg.ptxCoef() > 0 && ptx.isEmpty()) throw new IllegalArgumentException("PPO-ptx: ptx coefficient > 0 but no pretraining data");

        // 1-2. Rollout, rewards and advantages.
        List<int[]> batchPrompts = new ArrayList<>();
        for (int i = 0; i < cfg.batchSize(); i++) batchPrompts.add(nextPrompt(prompts));
        Rollout rollout = rollout(batchPrompts);
        RolloutStats seen = RolloutStats.of(rollout);

        // 3. Update: inner epochs over shuffled minibatches, each one policy step and one value step.
        float lr = warmedUp(cfg.lr()), valueLr = warmedUp(cfg.valueLr());
        int ptxPerMinibatch = cfg.ptxCoef() > 0 ? Math.max(1, (int) Math.round(cfg.ptxPerEpisode() * cfg.minibatchSize())) : 0;
        double policyLoss = 0, ptxLoss = 0, valueLoss = 0;
        long outsideClip = 0, tokens = 0;
        int updates = 0;
        for (int epoch = 0; epoch < cfg.innerEpochs(); epoch++) {
            int[] order = Sequences.permutation(rollout.episodes().size(), rng);
            for (int from = 0; from < order.length; from += cfg.minibatchSize()) {
                int[] rows = Arrays.copyOfRange(order, from, Math.min(order.length, from + cfg.minibatchSize()));
                List<int[]> ptxBatch = new ArrayList<>();
                for (int i = 0; i < ptxPerMinibatch; i++) ptxBatch.add(ptx.get(ptxCursor++ % ptx.size()));

                PolicyStep p = accumulatePolicyGradients(rollout, rows, ptxBatch, cfg.ptxCoef());
                policyOpt.step(lr, guard.clipScale(iteration + 1, p.objective(cfg.ptxCoef()), policy.parameters().values(), cfg.gradClip()));
                policyOpt.zeroGrad();
                updateEma();
                valueLoss += valueStep(rollout, rows, valueLr);

                policyLoss += p.policyLoss();
                ptxLoss += p.ptxLoss();
                outsideClip += p.tokensOutsideClip();
                tokens += p.tokens();
                updates++;
            }
        }
        kl.update(seen.kl(), rollout.episodes().size());
        iteration++;
        UpdateStats update = new UpdateStats(policyLoss / updates, valueLoss / updates, tokens == 0 ? 0 : (double) outsideClip / tokens,
                cfg.ptxCoef() > 0 ? ptxLoss / updates : Double.NaN);
        return new IterationStats(seen, update, lr, kl.beta());
    }

    /** The learning rate of this iteration: a linear warm-up from a tenth of the peak over warmupIterations. */
    private float warmedUp(float peak) {
        return LrSchedule.linearWarmup(peak, cfg.warmupIterations(), 0.1f, LrSchedule.constant(peak)).at(iteration);
    }

    /** Samples, scores and evaluates a batch of episodes (no graph), with their rewards, advantages and returns. */
    public Rollout rollout(List<int[]> prompts) {
        List<Generation> gens = generator.generate(prompts, cfg.sampling(), rng);
        int context = policy.config().contextLength();
        int maxNew = Math.min(cfg.sampling().maxNewTokens(), context - 1);
        List<int[]> fittedPrompts = new ArrayList<>(), responses = new ArrayList<>();
        int promptLen = 1, responseLen = 1;
        for (int i = 0; i < prompts.size(); i++) {
            int[] q = prompts.get(i);
            if (q.length > context - maxNew) q = Arrays.copyOfRange(q, q.length - (context - maxNew), q.length);
            fittedPrompts.add(q);
            responses.add(gens.get(i).tokens());
            promptLen = Math.max(promptLen, q.length);
            responseLen = Math.max(responseLen, gens.get(i).length());
        }

        // The policy's, the reference's and the value model's view of every response token, and the RM's score.
        int n = prompts.size();
        float[][] logp = new float[n][], refLogp = new float[n][], values = new float[n][];
        float[] rmScores = new float[n];
        float temperature = cfg.sampling().temperature();
        try (GradMode g = GradMode.off()) {
            for (int from = 0; from < n; from += cfg.minibatchSize()) {
                int[] rows = range(from, Math.min(n, from + cfg.minibatchSize()));
                try (Scope s = Scope.open()) {
                    List<int[]> rowPrompts = new ArrayList<>(), rowResponses = new ArrayList<>(), scoredResponses = new ArrayList<>();
                    for (int row : rows) {
                        rowPrompts.add(fittedPrompts.get(row));
                        rowResponses.add(responses.get(row));
                        scoredResponses.add(scoredResponse(gens.get(row)));
                    }
                    ResponseBatch b = ResponseBatch.of(rowPrompts, rowResponses, promptLen, responseLen, padId, policy.device());
                    float[] policyRows = b.logProbs(policy, temperature).toFloatArray();
                    float[] refRows = b.logProbs(reference, temperature).toFloatArray();
                    float[] valueRows = responseValues(value, b).toFloatArray();
                    float[] scored = reward.score(rowPrompts, scoredResponses);
                    for (int j = 0; j < rows.length; j++) {
                        int len = gens.get(rows[j]).length(), at = j * responseLen;
                        logp[rows[j]] = Arrays.copyOfRange(policyRows, at, at + len);
                        refLogp[rows[j]] = Arrays.copyOfRange(refRows, at, at + len);
                        values[rows[j]] = Arrays.copyOfRange(valueRows, at, at + len);
                        rmScores[rows[j]] = scored[j];
                    }
                }
            }
        }

        // Per-token rewards (the KL penalty, plus the score at the last token) and GAE, then advantages whitened over the batch.
        float beta = (float) kl.beta();
        float[][] kls = new float[n][], rewards = new float[n][], returns = new float[n][];
        float[] scores = new float[n];
        List<float[]> advantages = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Generation gen = gens.get(i);
            scores[i] = rmScores[i] - (gen.endedWithEot() ? 0f : cfg.noEotPenalty());
            kls[i] = klPerToken(logp[i], refLogp[i]);
            rewards[i] = tokenRewards(kls[i], scores[i], beta);
            Gae.Result gae = Gae.compute(rewards[i], values[i], cfg.gamma(), cfg.lambda());
            advantages.add(gae.advantages());
            returns[i] = gae.returns();
        }
        List<float[]> whitened = Whiten.whiten(advantages);
        List<Episode> episodes = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Generation gen = gens.get(i);
            episodes.add(new Episode(fittedPrompts.get(i), gen.tokens(), gen.endedWithEot(), rmScores[i], scores[i], logp[i], refLogp[i],
                    kls[i], values[i], rewards[i], whitened.get(i), returns[i]));
        }
        return new Rollout(episodes, promptLen, responseLen);
    }

    /**
     * log p_policy - log p_SFT of each sampled response token: a one-sample estimate of the per-token KL from the
     * SFT model (its sum over a response is the logged "kl", which can dip below zero where the KL itself cannot).
     */
    static float[] klPerToken(float[] logp, float[] refLogp) {
        float[] kl = new float[logp.length];
        for (int t = 0; t < kl.length; t++) kl[t] = logp[t] - refLogp[t];
        return kl;
    }

    /**
     * The paper's reward, per response token: -beta times the token's KL estimate at every token (the penalty that
     * keeps the policy near the SFT model), plus the episode's score at its last token (the reward model judges the
     * whole response once it has ended).
     */
    static float[] tokenRewards(float[] kl, float score, float beta) {
        float[] rewards = new float[kl.length];
        for (int t = 0; t < kl.length; t++) rewards[t] = -beta * kl[t];
        if (rewards.length > 0) rewards[rewards.length - 1] += score;
        return rewards;
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
     * What one minibatch's policy gradients came from.
     *
     * @param ptxLoss       the pretraining LM loss, NaN when the minibatch had no pretraining sequences
     * @param tokensOutsideClip the response tokens whose probability ratio left [1 - clip, 1 + clip] (CleanRL's clipfrac)
     * @param tokens        the response tokens of the minibatch
     */
    public record PolicyStep(double policyLoss, double ptxLoss, int tokensOutsideClip, int tokens) {
        /**
         * The PPO loss plus ptxCoef times the pretraining loss: the figure the non-finite guard reads and the metrics
         * log. The entropy penalty, when the config has one, is in the step's gradient but not in this figure.
         */
        double objective(float ptxCoef) { return Double.isNaN(ptxLoss) ? policyLoss : policyLoss + ptxCoef * ptxLoss; }
    }

    /**
     * The policy's gradients for one minibatch, left in the parameters' gradient buffers (no optimizer step):
     * the clipped PPO loss (plus the entropy penalty, when the config has one) backward, then, when ptxCoef > 0
     * and ptxBatch is not empty, ptxCoef times the pretraining LM loss backward, which adds into the same buffers.
     */
    public PolicyStep accumulatePolicyGradients(Rollout rollout, int[] rows, List<int[]> ptxBatch, float ptxCoef) {
        double policyLoss, ptxLoss = Double.NaN;
        int outsideClip = 0, counted = 0;
        try (Scope s = Scope.open()) {
            ResponseBatch b = batch(rollout, rows);
            float[] oldLogp = flat(rollout, rows, Episode::logProbs), advantages = flat(rollout, rows, Episode::advantages);
            float[] mask = responseMask(rollout, rows);
            Tensor logits = b.responseLogits(policy, cfg.sampling().temperature());
            Tensor logp = CrossEntropy.tokenLogProbs(logits, b.targets()).reshape(mask.length);
            Tensor ppoLoss = PpoLosses.policy(logp, oldLogp, advantages, mask, cfg.clip());
            Tensor loss = cfg.entropyPenalty() > 0
                    ? ppoLoss.plus(PpoLosses.entropy(logits, mask).scale(cfg.entropyPenalty())) : ppoLoss;
            loss.backward();
            policyLoss = ppoLoss.item();
            float[] now = logp.toFloatArray();
            for (int i = 0; i < now.length; i++) {
                if (mask[i] == 0) continue;
                counted++;
                if (Math.abs(Math.exp(now[i] - oldLogp[i]) - 1) > cfg.clip()) outsideClip++;
            }
        }
        if (ptxCoef > 0 && !ptxBatch.isEmpty()) ptxLoss = accumulatePtxGradients(ptxBatch, ptxCoef);
        return new PolicyStep(policyLoss, ptxLoss, outsideClip, counted);
    }

    /**
     * ptxCoef times the pretraining LM loss (the mean over all the batch's tokens) backward, adding into the
     * gradients the PPO loss left; returns that loss. The batch goes through in pieces of at most a minibatch's
     * number of sequences, each weighted by its share of the tokens: the paper's 8 sequences per episode make 512
     * a minibatch, which at once would need eight times the memory of the minibatch's own episodes.
     */
    private double accumulatePtxGradients(List<int[]> batch, float ptxCoef) {
        int ctx = policy.config().contextLength();
        List<int[]> seqs = new ArrayList<>();
        for (int[] q : batch) seqs.add(q.length > ctx ? Arrays.copyOf(q, ctx) : q);
        long allTargets = Sequences.predictedTokens(seqs);
        double loss = 0;
        List<List<int[]>> pieces = Sequences.pieces(seqs, cfg.minibatchSize());
        for (List<int[]> piece : pieces) {
            if (Sequences.predictedTokens(piece) == 0 && pieces.size() > 1) continue;   // one-token sequences: nothing to predict
            float share = pieces.size() == 1 ? 1f : (float) ((double) Sequences.predictedTokens(piece) / allTargets);
            try (Scope s = Scope.open()) {
                int[] lossFrom = new int[piece.size()];
                Arrays.fill(lossFrom, 1);
                Tensor lm = Sequences.lmLoss(policy, piece, lossFrom, padId);
                lm.scale(ptxCoef * share).backward();
                loss += share * lm.item();
            }
        }
        return loss;
    }

    /** One step of the value model on a minibatch: the clipped value loss against the returns. Returns the loss. */
    private double valueStep(Rollout rollout, int[] rows, float lr) {
        try (Scope s = Scope.open()) {
            ResponseBatch b = batch(rollout, rows);
            float[] oldValues = flat(rollout, rows, Episode::values), returns = flat(rollout, rows, Episode::returns);
            float[] mask = responseMask(rollout, rows);
            Tensor loss = PpoLosses.value(responseValues(value, b).reshape(mask.length), oldValues, returns, mask, cfg.valueClip());
            loss.backward();
            double v = loss.item();
            valueOpt.step(lr, guard.clipScale(iteration + 1, v, value.parameters().values(), cfg.gradClip()));
            valueOpt.zeroGrad();
            return v;
        }
    }

    /** What the rollout showed: the reward model's view, the KL from the reference, the value model's fit. */
    public record RolloutStats(double reward, double score, double kl, double entropy, double responseLength, double eotFraction,
                               double explainedVariance) {
        static RolloutStats of(Rollout rollout) {
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
            // -log p of the sampled tokens is an unbiased estimate of the policy's entropy (no (B,T,V) download).
            return new RolloutStats(reward / n, score / n, klSum / n, tokens == 0 ? 0 : negLogp / tokens, tokens / n, eot / n,
                    Whiten.explainedVariance(values, returns));
        }
    }

    /** Means over an iteration's updates; ptxLoss is NaN for plain PPO. */
    public record UpdateStats(double policyLoss, double valueLoss, double clipFraction, double ptxLoss) {}

    /** One iteration: what the rollout showed, what the updates did, the learning rate and the KL coefficient used. */
    public record IterationStats(RolloutStats rollout, UpdateStats update, double lr, double beta) {
        /** The metrics-log row, one named number each. */
        public Map<String, Double> toMap() {
            Map<String, Double> m = new LinkedHashMap<>();
            m.put("reward", rollout.reward());
            m.put("score", rollout.score());
            m.put("kl", rollout.kl());
            m.put("entropy", rollout.entropy());
            m.put("response_length", rollout.responseLength());
            m.put("eot_fraction", rollout.eotFraction());
            m.put("explained_variance", rollout.explainedVariance());
            m.put("policy_loss", update.policyLoss());
            m.put("value_loss", update.valueLoss());
            m.put("clip_fraction", update.clipFraction());
            m.put("ptx_loss", update.ptxLoss());
            m.put("lr", lr);
            m.put("beta", beta);
            return m;
        }
    }

    // ---- batches ------------------------------------------------------------------------------------------

    /** One per-token episode quantity of a minibatch's episodes, flat (B x R), zero past each response's end. */
    private static float[] flat(Rollout rollout, int[] rows, java.util.function.Function<Episode, float[]> quantity) {
        int r = rollout.responseLen();
        float[] out = new float[rows.length * r];
        for (int j = 0; j < rows.length; j++) {
            float[] q = quantity.apply(rollout.episodes().get(rows[j]));
            System.arraycopy(q, 0, out, j * r, q.length);
        }
        return out;
    }

    /** 1 at a minibatch's response tokens, 0 past each response's end, laid out as {@link #flat}. */
    private static float[] responseMask(Rollout rollout, int[] rows) {
        int r = rollout.responseLen();
        float[] mask = new float[rows.length * r];
        for (int j = 0; j < rows.length; j++) Arrays.fill(mask, j * r, j * r + rollout.episodes().get(rows[j]).response().length, 1f);
        return mask;
    }

    /** A minibatch of the rollout's episodes, laid out with the rollout's lengths (so its rows line up with {@link #flat}). */
    private ResponseBatch batch(Rollout rollout, int[] rows) {
        List<int[]> prompts = new ArrayList<>(), responses = new ArrayList<>();
        for (int row : rows) {
            Episode e = rollout.episodes().get(row);
            prompts.add(e.prompt());
            responses.add(e.response());
        }
        return ResponseBatch.of(prompts, responses, rollout.promptLen(), rollout.responseLen(), padId, policy.device());
    }

    /** The value model's estimate before each response token: (B, R). */
    private static Tensor responseValues(RewardModel model, ResponseBatch b) {
        return b.atResponse(model.values(b.tokens(), b.start()));
    }

    /** The prompts are visited in a fresh seeded order each pass. */
    private int[] nextPrompt(List<int[]> prompts) {
        if (promptOrder == null || promptOrder.length != prompts.size() || promptCursor >= promptOrder.length) {
            promptOrder = Sequences.permutation(prompts.size(), rng);
            promptCursor = 0;
        }
        return prompts.get(promptOrder[promptCursor++]);
    }

    /** ema = decay * ema + (1 - decay) * policy, after every policy step. */
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

    /**
     * A checkpoint into plan.folder(): the policy's model folder with the value model ("value.") and the EMA
     * ("ema.") as extra tensors, both optimizers' moments, and the state: iteration, random stream, KL coefficient,
     * the prompt order with its cursor and the pretraining cursor.
     */
    public void save(CheckpointPlan plan, MetricsLog log) {
        Map<String, Tensor> w = new LinkedHashMap<>(Checkpoint.prefixed("value.", value.parameters()));
        if (ema != null) w.putAll(Checkpoint.prefixed("ema.", ema.parameters()));
        try (Scope s = Scope.open()) {
            Map<String, Tensor> o = new LinkedHashMap<>(Checkpoint.prefixed("policy.", policyOpt.state()));
            o.putAll(Checkpoint.prefixed("value.", valueOpt.state()));
            Map<String, Double> scalars = new HashMap<>();
            scalars.put("beta", kl.beta());
            scalars.put("promptCursor", (double) promptCursor);
            scalars.put("ptxCursor", (double) ptxCursor);
            Map<String, int[]> orders = promptOrder == null ? Map.of() : Map.of("prompts", promptOrder);
            TrainState state = new TrainState(iteration, rng.state(), scalars, orders, Map.of(), -1, Map.of());
            Checkpoint.save(plan.folder(), new PretrainedModel(policy, ModelKind.LM, w), plan.tokenizer(), plan.stamp(state, log), o);
        }
        guard.saved(plan.folder(), iteration);
        if (progress) System.err.println("ppo: checkpoint of iteration " + iteration + " in " + plan.folder());
    }

    /** Continues from the checkpoint {@link #save} left in plan.folder() (refused when made with other settings). Returns its state. */
    public TrainState resume(CheckpointPlan plan) {
        Checkpoint.Loaded c = plan.resume(policy.device());
        policy.copyFrom(c.model().gpt());
        value.loadParameters(c.extras("value."));
        if (ema != null) ema.loadParameters(c.extras("ema."), true);
        policyOpt.loadState(c.optimizer("policy."));
        valueOpt.loadState(c.optimizer("value."));
        kl.setBeta(c.state().scalar("beta", kl.beta()));
        iteration = (int) c.state().step();
        promptOrder = c.state().orders().get("prompts");
        promptCursor = (int) c.state().scalar("promptCursor", 0);
        ptxCursor = (int) c.state().scalar("ptxCursor", 0);
        rng.setState(c.state().rngState());
        guard.saved(plan.folder(), iteration);
        return c.state();
    }
}
