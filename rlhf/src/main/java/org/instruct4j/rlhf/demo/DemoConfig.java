package org.instruct4j.rlhf.demo;

import org.instruct4j.engine.Device;
import org.instruct4j.engine.nn.GptConfig;
import org.instruct4j.rlhf.world.WorldConfig;

/**
 * Every size in the demo, in one place. {@link #standard} is README's default run (4-5 minutes on 2 AVX-512
 * cores; on 2 AVX2 cores, where the limit is 15, an earlier recipe (run 33) measured 9.3-13.7 and this one is
 * estimated at 9.8-14), {@link #quick} a smoke run of about 45 seconds, and {@link #forModel} the same recipe for a bigger model
 * (on a GPU).
 *
 * <p>The standard recipe spends its minutes where docs/REPRODUCTION.md's tuning record measured they buy the most
 * right answers; its section "The recipe next to the paper's" sets every value beside the paper's with the run that
 * chose it. In short:
 * <ul>
 * <li>pretraining, 4,500 steps on a corpus that repeats lists and facts: the copying the tasks need appears between
 *     1,200 and 3,000 steps (the last word of a list 46% -> 100%), and later steps raise the SFT model's right
 *     answers (runs 19-29); no dropout, since a model this small underfits;</li>
 * <li>SFT, 4 epochs over 12,000 demonstrations at a high learning rate: the model learns its sums from the
 *     demonstrations, not from pretraining (a sum it was shown it answers right 85-93% of the time greedy, one it
 *     was not 42-50%; run 33);</li>
 * <li>PPO, 128 episodes an iteration (run 34), the value model's learning rate 6e-4 (it starts as the reward model,
 *     trained at last tokens only; run 36), KL coefficient 0.08 (at 0.02 PPO drifted from what SFT could do),
 *     pretraining-mix coefficient 0.05 (at 0.3 it cost 3-5 points of right answers; run 38), the policies evaluated
 *     as the average of their weights (EMA 0.99: the reward model barely sees which number is right, so each step
 *     moves the sums at random and the average keeps more of what SFT knew);</li>
 * <li>an entropy penalty of 0.5, not in the paper: nothing in the paper's objective sharpens a sampled answer
 *     towards the one the policy already finds likeliest, and PPO-ptx wins 1.2-1.8 points more against SFT over
 *     four PPO seeds of each of three seeds (run 41);</li>
 * <li>a tokenizer of 1,024 tokens that reads numbers digit by digit (run 37).</li>
 * </ul>
 *
 * <p>evalTemperature is 1 in both: the policies are judged on the distribution PPO optimises and the reward
 * model's rankings were sampled from (a lower temperature hides much of what the SFT model imitated, run-on
 * answers included, and with it much of what RLHF changes).
 *
 * <p>ppoReward is the paper's, the reward model, in both; {@link PpoReward#LABELERS} is an experiment (see there).
 */
public record DemoConfig(String name, long seed, Device device, WorldConfig world, int tokenizerVocab, GptConfig model,
                         int pretrainSteps, int pretrainBatch, int pretrainSeqLen, float pretrainLr,
                         int sftEpochs, int sftBatch, float sftLr,
                         int rmTasks, int rmSynthetic, int rmMinK, int rmMaxK, int rmEpochs, int rmBatchPrompts, float rmLr,
                         int ppoIterations, int ppoBatch, int ppoMinibatch, float ppoLr, float ppoValueLr, double klCoef, float ppoEmaDecay,
                         float ppoEntropyPenalty, float ptxCoef, double ptxPerEpisode, int ptxSeqLen, int maxNewTokens,
                         int evalTasks, float evalTemperature, int publicNlpItems, int generationBatch, PpoReward ppoReward) {

    /** What PPO and PPO-ptx optimise. */
    public enum PpoReward {
        /** The reward model trained on the labelers' rankings, as in the paper. */
        REWARD_MODEL,
        /**
         * The training labelers' own noiseless scores of each answer (LabelersReward): not the paper's method, but what a
         * reward model that saw everything the labelers see would give PPO in the same minutes.
         */
        LABELERS
    }

    /** What the report and the console say of a run whose PPO did not optimise the reward model; null for the paper's. */
    public String ppoRewardNote() {
        return ppoReward == PpoReward.LABELERS ? "PPO and PPO-ptx optimised the training labelers' own scores of each answer "
                + "(--ppo-reward labelers), not the reward model: an experiment, not the paper's method, that shows what a reward "
                + "model that saw everything the labelers see would give RLHF in the same minutes." : null;
    }

    public static DemoConfig standard(long seed) {
        // vocabulary 1024, context 192, 3 layers, 3 heads, 96 dims, no dropout, LayerNorm epsilon 1e-5
        GptConfig model = new GptConfig(1024, 192, 3, 3, 96, 0f, 1e-5f);
        return new DemoConfig("standard", seed, Device.CPU, WorldConfig.defaults(seed), 1024, model,
                4500, 16, 96, 3e-3f,                      // pretraining: steps, batch, sequence length, lr
                4, 32, 1.5e-3f,                           // SFT: epochs, batch, lr
                600, 1000, 4, 6, 1, 16, 5e-4f,            // RM: ranked tasks, contrast sets, K from 4 to 6, epochs, batch (prompts), lr
                40, 128, 16, 1e-4f, 6e-4f, 0.08, 0.99f,   // PPO: iterations, episodes each, minibatch, lr, value lr, KL beta, EMA decay
                0.5f, 0.05f, 0.25, 64, 32,                // entropy penalty, ptx gamma, ptx sequences an episode and their length, max new tokens
                600, 1.0f, 200, 64, PpoReward.REWARD_MODEL);   // evaluation: held-out tasks, temperature, public-NLP items, generation batch
    }

    /** What --quick says in the console and its report: its models are too small and brief to show anything. */
    public static final String SMOKE_TEST_NOTE = "--quick is a smoke test of the pipeline: its models train for seconds, "
            + "and its numbers carry no claim about the method (run the default demo for that).";

    /** Whether this run is too small for its numbers to mean anything (see {@link #SMOKE_TEST_NOTE}). */
    public boolean smokeTest() { return name.startsWith("quick"); }

    public static DemoConfig quick(long seed) {
        GptConfig model = new GptConfig(512, 160, 2, 2, 64, 0.1f, 1e-5f);   // as standard's, in standard's order
        WorldConfig w = WorldConfig.defaults(seed);
        WorldConfig small = new WorldConfig(seed, 300_000, 800, 200, 50, 400, 120, 60, w.trainingLabelers(), w.heldOutLabelers(), 100, w.habitRate());
        return new DemoConfig("quick", seed, Device.CPU, small, 512, model,
                150, 16, 128, 3e-3f,                      // the same fields as standard's, line by line
                1, 32, 1e-3f,
                150, 50, 4, 5, 1, 16, 3e-4f,
                4, 32, 16, 1e-4f, 2e-4f, 0.02, 0f,
                0f, 0.3f, 0.25, 64, 28,
                120, 1.0f, 60, 60, PpoReward.REWARD_MODEL);
    }

    /** The standard recipe with a named model preset (e.g. gpt2) on the given device. */
    public DemoConfig forModel(String preset, Device onDevice) {
        GptConfig m = GptConfig.preset(preset).withVocab(tokenizerVocab).withContext(Math.min(model.contextLength() * 4, GptConfig.preset(preset).contextLength()));
        return new DemoConfig(name + "-" + preset, seed, onDevice, world, tokenizerVocab, m, pretrainSteps, pretrainBatch, pretrainSeqLen, pretrainLr / 4,
                sftEpochs, sftBatch, sftLr / 4, rmTasks, rmSynthetic, rmMinK, rmMaxK, rmEpochs, rmBatchPrompts, rmLr / 4, ppoIterations,
                ppoBatch, ppoMinibatch, ppoLr, ppoValueLr, klCoef, ppoEmaDecay, ppoEntropyPenalty, ptxCoef, ptxPerEpisode, ptxSeqLen, maxNewTokens,
                evalTasks, evalTemperature, publicNlpItems, generationBatch, ppoReward);
    }

    public DemoConfig withPpoReward(PpoReward reward) {
        return new DemoConfig(name, seed, device, world, tokenizerVocab, model, pretrainSteps, pretrainBatch, pretrainSeqLen, pretrainLr,
                sftEpochs, sftBatch, sftLr, rmTasks, rmSynthetic, rmMinK, rmMaxK, rmEpochs, rmBatchPrompts, rmLr, ppoIterations,
                ppoBatch, ppoMinibatch, ppoLr, ppoValueLr, klCoef, ppoEmaDecay, ppoEntropyPenalty, ptxCoef, ptxPerEpisode, ptxSeqLen, maxNewTokens,
                evalTasks, evalTemperature, publicNlpItems, generationBatch, reward);
    }

    public DemoConfig onDevice(Device d) {
        return new DemoConfig(name, seed, d, world, tokenizerVocab, model, pretrainSteps, pretrainBatch, pretrainSeqLen, pretrainLr,
                sftEpochs, sftBatch, sftLr, rmTasks, rmSynthetic, rmMinK, rmMaxK, rmEpochs, rmBatchPrompts, rmLr, ppoIterations,
                ppoBatch, ppoMinibatch, ppoLr, ppoValueLr, klCoef, ppoEmaDecay, ppoEntropyPenalty, ptxCoef, ptxPerEpisode, ptxSeqLen, maxNewTokens,
                evalTasks, evalTemperature, publicNlpItems, generationBatch, ppoReward);
    }
}
