package org.instruct4j.rlhf.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.instruct4j.rlhf.plot.Charts;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainUtilitiesTest {
    @TempDir Path dir;

    @Test
    void metricsAreJsonLinesAndPlotsArePngs() throws Exception {
        Path file = dir.resolve("m.jsonl");
        try (MetricsLog log = new MetricsLog(file)) {
            for (int s = 1; s <= 5; s++) log.log(s, Map.of("loss", 1.0 / s));
            log.log(6, Map.of("loss", Double.NaN));
            Charts.metrics(log, dir, "run", Map.of(), "loss", "missing");
            assertThat(log.series("loss").values()).hasSize(5);
        }
        List<String> lines = Files.readAllLines(file);
        assertThat(lines).hasSize(6);
        assertThat(lines.get(1)).isEqualTo("{\"step\":2,\"loss\":0.5}");
        assertThat(lines.get(5)).contains("null");
        var img = ImageIO.read(dir.resolve("run-loss.png").toFile());
        assertThat(img.getWidth()).isEqualTo(Charts.WIDTH);
        assertThat(dir.resolve("run-missing.png")).doesNotExist();
    }

    @Test
    void progressBarPrintsRateAndEta() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ProgressBar bar = new ProgressBar("sft", 10, new PrintStream(bytes), false, 0);
        bar.update(5, Map.of("loss", 2.5));
        String line = bar.line(5, 2.0, 2.5, Map.of("loss", 2.5));
        assertThat(line).startsWith("sft [##########..........] 5/10").contains("2.50 it/s").contains("ETA 2s").contains("loss 2.500");
        assertThat(bytes.toString()).contains("5/10");
        assertThat(ProgressBar.duration(3725)).isEqualTo("1h02m");
        assertThat(bar.line(1, 9.0, 0, Map.of())).as("no rate yet: the time so far, no ETA").doesNotContain("ETA").doesNotContain("it/s").contains("9s");
    }

    /** A first step of 10 s (the JIT) and then 4 steps in 2 s: 2 steps a second, not 5 in 12 s. */
    @Test
    void theRateLeavesOutTheFirstStep() {
        assertThat(ProgressBar.steadyRate(1, 10.0, 5, 12.0)).isEqualTo(2.0);
        assertThat(ProgressBar.steadyRate(1, 10.0, 1, 10.0)).isZero();
    }

    /** Map.of iterates in an order that changes from one JVM to the next; the bar's line must not. */
    @Test
    void progressBarMetricsComeInAFixedOrder() {
        ProgressBar bar = new ProgressBar("ppo", 10, new PrintStream(new ByteArrayOutputStream()), false, 0);
        String byName = bar.line(5, 2.0, 2.5, Map.of("reward", 0.5, "kl", 1.5, "loss", 2.0));
        assertThat(byName).contains("kl 1.500  loss 2.000  reward 0.5000");
        var given = new java.util.LinkedHashMap<String, Double>();
        given.put("reward", 0.5);
        given.put("kl", 1.5);
        assertThat(bar.line(5, 2.0, 2.5, given)).contains("reward 0.5000  kl 1.500");
    }

    @Test
    void lmLossOnTheCountedPositionsOnlyIsTheFullLogitsLoss() {
        // lmLoss computes logits only where a target counts; the reference computes them everywhere and lets the
        // ignored targets (-1) drop out. Loss and every parameter gradient must agree.
        List<int[]> seqs = List.of(new int[] {1, 2, 3, 4, 5, 6, 7}, new int[] {3, 1, 4, 1, 5, 9, 2, 6, 5, 3},
                new int[] {2, 7, 1, 8, 2});
        int[] lossFrom = {3, 6, 1};
        org.instruct4j.engine.nn.Gpt model = TinyWorld.model(21);
        double loss;
        try (org.instruct4j.engine.Scope s = org.instruct4j.engine.Scope.open()) {
            org.instruct4j.engine.Tensor l = Sequences.lmLoss(model, seqs, lossFrom, TinyWorld.PAD);
            l.backward();
            loss = l.item();
        }
        Map<String, float[]> grads = grads(model);
        model.zeroGrad();
        int b = seqs.size(), t = Sequences.maxLength(seqs) - 1;
        int[] inputs = new int[b * t], targets = new int[b * t];
        java.util.Arrays.fill(inputs, TinyWorld.PAD);
        java.util.Arrays.fill(targets, -1);
        for (int i = 0; i < b; i++)
            for (int j = 0; j + 1 < seqs.get(i).length; j++) {
                inputs[i * t + j] = seqs.get(i)[j];
                if (j + 1 >= lossFrom[i]) targets[i * t + j] = seqs.get(i)[j + 1];
            }
        double want;
        try (org.instruct4j.engine.Scope s = org.instruct4j.engine.Scope.open()) {
            org.instruct4j.engine.Tensor l = org.instruct4j.engine.ops.CrossEntropy.mean(
                    model.forward(org.instruct4j.engine.Tensor.ofInts(inputs, b, t), null),
                    org.instruct4j.engine.Tensor.ofInts(targets, b, t));
            l.backward();
            want = l.item();
        }
        Map<String, float[]> wantGrads = grads(model);
        assertThat(loss).isCloseTo(want, org.assertj.core.api.Assertions.within(1e-6 * Math.abs(want)));
        assertThat(grads.keySet()).isEqualTo(wantGrads.keySet());
        for (String name : wantGrads.keySet()) {
            float[] got = grads.get(name), w = wantGrads.get(name);
            double scale = 1e-6;
            for (float x : w) scale = Math.max(scale, Math.abs(x));
            for (int i = 0; i < w.length; i++)
                assertThat((double) got[i]).as("%s[%d]", name, i).isCloseTo(w[i], org.assertj.core.api.Assertions.within(1e-5 * scale));
        }
    }

    private static Map<String, float[]> grads(org.instruct4j.engine.nn.Gpt model) {
        Map<String, float[]> out = new java.util.TreeMap<>();
        model.parameters().forEach((name, p) -> { if (p.grad() != null) out.put(name, p.grad().toFloatArray()); });
        return out;
    }

    @Test
    void lengthBatchesCoverEveryExampleOnceInBatchesOfSimilarLength() {
        org.instruct4j.engine.Rng lengthsRng = new org.instruct4j.engine.Rng(4);
        int[] lengths = new int[1000];
        for (int i = 0; i < lengths.length; i++) lengths[i] = 10 + lengthsRng.nextInt(90);
        List<int[]> batches = Sequences.lengthBatches(lengths, 32, new org.instruct4j.engine.Rng(9));

        assertThat(batches).hasSize((1000 + 31) / 32);
        assertThat(batches.stream().flatMapToInt(java.util.Arrays::stream).sorted().toArray())
                .isEqualTo(java.util.stream.IntStream.range(0, 1000).toArray());
        // A sorted window of 512 lengths spread over 10..99 leaves each full batch a narrow range; random batches
        // would span nearly all of it.
        double meanSpread = batches.stream().filter(b -> b.length == 32)
                .mapToInt(b -> java.util.Arrays.stream(b).map(i -> lengths[i]).max().getAsInt() - java.util.Arrays.stream(b).map(i -> lengths[i]).min().getAsInt())
                .average().orElseThrow();
        assertThat(meanSpread).isLessThan(15);
        // Deterministic for a seed, different for another (the epoch's order is still random).
        assertThat(Sequences.lengthBatches(lengths, 32, new org.instruct4j.engine.Rng(9))).usingRecursiveFieldByFieldElementComparator().isEqualTo(batches);
        assertThat(Sequences.lengthBatches(lengths, 32, new org.instruct4j.engine.Rng(10)).getFirst()).isNotEqualTo(batches.getFirst());
    }
}
