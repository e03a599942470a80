package org.instruct4j.engine.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntFunction;
import org.instruct4j.engine.Device;
import org.instruct4j.engine.Rng;
import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.autograd.GradMode;
import org.instruct4j.engine.nn.Gpt;
import org.instruct4j.engine.nn.GptConfig;
import org.junit.jupiter.api.Test;

class GeneratorTest {
    /** A one-block GPT over 16 token ids: 14 pads, 15 ends a text. */
    private static final int VOCAB = 16, PAD = 14, EOT = 15;

    private static Gpt model(long seed) { return new Gpt(new GptConfig(VOCAB, 24, 1, 2, 32, 0f, 1e-5f), new Rng(seed), Device.CPU); }

    @Test
    void batchedGreedyWithPaddingMatchesEachPromptAloneWithoutCache() {
        Gpt model = model(11);
        Generator gen = new Generator(model, PAD, EOT);
        List<int[]> prompts = List.of(new int[] {1, 2, 3, 4}, new int[] {5}, new int[] {2, 2});
        List<Generation> batched = gen.generate(prompts, SamplingConfig.greedy(6), new Rng(0));
        for (int i = 0; i < prompts.size(); i++) {
            int[] seq = prompts.get(i);
            Generation g = batched.get(i);
            for (int t = 0; t < g.length(); t++) {
                float[] logits;
                try (GradMode off = GradMode.off()) {
                    logits = model.forward(Tensor.ofInts(seq, seq.length == 0 ? 1 : 1, seq.length), null).toFloatArray();
                }
                int v = VOCAB, last = (seq.length - 1) * v, best = 0;
                double max = Double.NEGATIVE_INFINITY, z = 0;
                for (int k = 0; k < v; k++) if (logits[last + k] > max) { max = logits[last + k]; best = k; }
                for (int k = 0; k < v; k++) z += Math.exp(logits[last + k] - max);
                assertThat(g.tokens()[t]).as("row %d token %d", i, t).isEqualTo(best);
                assertThat((double) g.logProbs()[t]).isCloseTo(-Math.log(z), within(1e-4));
                seq = java.util.Arrays.copyOf(seq, seq.length + 1);
                seq[seq.length - 1] = best;
            }
            assertThat(g.endedWithEot()).isEqualTo(g.length() > 0 && g.tokens()[g.length() - 1] == EOT);
        }
    }

    @Test
    void aGeneratorReadableByASmallerTokenizerNeverDrawsPastIt() {
        Gpt model = model(13);
        List<int[]> prompts = List.of(new int[] {1, 2}, new int[] {3});
        SamplingConfig flat = SamplingConfig.sample(20).withTemperature(5f);   // every id about as likely
        int readable = 12;   // end-of-text (15) among the ids left out: the answers run to their end
        List<Generation> all = new Generator(model, PAD, EOT).generate(prompts, flat, new Rng(3));
        assertThat(all.stream().flatMapToInt(g -> java.util.Arrays.stream(g.tokens())).max().getAsInt()).isGreaterThanOrEqualTo(readable);
        List<Generation> limited = new Generator(model, PAD, EOT).readableBy(readable).generate(prompts, flat, new Rng(3));
        for (Generation g : limited) {
            assertThat(g.tokens()).hasSize(20);
            for (int t : g.tokens()) assertThat(t).isLessThan(readable);
            for (float lp : g.logProbs()) assertThat(lp).isFinite();
        }
    }

    @Test
    void samplingIsSeededAndTopKOneIsGreedy() {
        Gpt model = model(12);
        Generator gen = new Generator(model, PAD, EOT);
        List<int[]> prompts = List.of(new int[] {1, 2}, new int[] {3});
        SamplingConfig cfg = SamplingConfig.sample(5).withTemperature(1.5f);
        List<Generation> a = gen.generate(prompts, cfg, new Rng(7)), b = gen.generate(prompts, cfg, new Rng(7));
        for (int i = 0; i < 2; i++) assertThat(a.get(i).tokens()).isEqualTo(b.get(i).tokens());
        List<Generation> k1 = gen.generate(prompts, SamplingConfig.sample(5).withTopK(1), new Rng(9));
        List<Generation> greedy = gen.generate(prompts, SamplingConfig.greedy(5), new Rng(1));
        for (int i = 0; i < 2; i++) assertThat(k1.get(i).tokens()).isEqualTo(greedy.get(i).tokens());
    }

    @Test
    void pickRowsPicksWhatPickRowByRowWould() {
        int batch = 37, vocab = 300;
        Rng values = new Rng(5);
        float[] logits = new float[batch * vocab];
        for (int i = 0; i < logits.length; i++) logits[i] = (float) (3 * values.nextGaussian());
        boolean[] done = new boolean[batch];
        for (int b = 0; b < batch; b += 4) done[b] = true;
        for (SamplingConfig cfg : List.of(SamplingConfig.sample(1), SamplingConfig.sample(1).withTemperature(0.7f).withTopP(0.9f),
                SamplingConfig.sample(1).withTopK(5), SamplingConfig.greedy(1))) {
            Rng rowByRow = new Rng(3), together = new Rng(3);
            TokenSampler.Pick[] picks = TokenSampler.pickRows(logits, vocab, done, cfg, together);
            for (int b = 0; b < batch; b++) {
                if (done[b]) { assertThat(picks[b]).isNull(); continue; }
                assertThat(picks[b]).as("row %d, %s", b, cfg).isEqualTo(TokenSampler.pick(logits, b * vocab, vocab, cfg, rowByRow));
            }
            assertThat(together.nextLong()).as("the same draws taken, %s", cfg).isEqualTo(rowByRow.nextLong());
        }
    }

    @Test
    void topPKeepsTheSmallestNucleus() {
        float[] logits = {(float) Math.log(0.5), (float) Math.log(0.3), (float) Math.log(0.2)};
        SamplingConfig cfg = SamplingConfig.sample(1).withTopP(0.7f);
        Rng rng = new Rng(1);
        for (int i = 0; i < 200; i++) assertThat(TokenSampler.pick(logits, 0, 3, cfg, rng).token()).isIn(0, 1);
        // The log-prob is of the full tempered distribution, not the truncated one.
        assertThat((double) TokenSampler.pick(logits, 0, 3, SamplingConfig.greedy(1), rng).logProb()).isCloseTo(Math.log(0.5), within(1e-5));
    }

    @Test
    void aRowSeesOnlyItsOwnVocabularyAfterALongerOne() {
        // The sampler reuses its rows from pick to pick: what a longer vocabulary left behind must not count.
        float[] longRow = new float[1024];
        longRow[10] = 50f;
        float[] shortRow = {(float) Math.log(0.5), (float) Math.log(0.3), (float) Math.log(0.2)};
        Rng rng = new Rng(2);
        for (SamplingConfig cfg : List.of(SamplingConfig.greedy(1), SamplingConfig.sample(1), SamplingConfig.sample(1).withTopK(2))) {
            assertThat(TokenSampler.pick(longRow, 0, longRow.length, cfg, rng).token()).as("%s", cfg).isEqualTo(10);
            TokenSampler.Pick pick = TokenSampler.pick(shortRow, 0, 3, cfg, rng);
            assertThat(pick.token()).as("%s", cfg).isBetween(0, 2);
            assertThat((double) pick.logProb()).as("%s", cfg).isCloseTo(Math.log(new double[] {0.5, 0.3, 0.2}[pick.token()]), within(1e-5));
        }
    }

    /** A server answering several requests at once with one model: each answer is the one it gets alone. */
    @Test
    void oneModelSamplesFromSeveralThreadsAtOnceAsItDoesAlone() throws Exception {
        // The engine's tiny preset (vocabulary 512, 64 dims), so that its rows come from the shared array pool.
        Gpt model = new Gpt(GptConfig.tiny(), new Rng(14), Device.CPU);
        List<int[]> prompts = new ArrayList<>();
        for (int row = 0; row < 6; row++) {
            int[] prompt = new int[8 + row];
            for (int i = 0; i < prompt.length; i++) prompt[i] = 2 + (37 * i + row) % 500;
            prompts.add(prompt);
        }
        int requests = 4;
        IntFunction<List<Generation>> answer = seed ->
                new Generator(model, PAD, EOT).generate(prompts, SamplingConfig.sample(24), new Rng(seed));
        List<List<Generation>> alone = new ArrayList<>();
        for (int seed = 0; seed < requests; seed++) alone.add(answer.apply(seed));
        ExecutorService pool = Executors.newFixedThreadPool(requests);
        try {
            List<Future<List<Generation>>> atOnce = new ArrayList<>();
            for (int seed = 0; seed < requests; seed++) {
                int s = seed;
                atOnce.add(pool.submit(() -> answer.apply(s)));
            }
            for (int seed = 0; seed < requests; seed++)
                for (int row = 0; row < prompts.size(); row++)
                    assertThat(atOnce.get(seed).get().get(row).tokens()).as("request %d row %d", seed, row)
                            .isEqualTo(alone.get(seed).get(row).tokens());
        } finally {
            pool.shutdown();
        }
    }
}
