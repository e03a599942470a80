package org.instruct4j.engine.nn;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.instruct4j.engine.Device;
import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.autograd.GradMode;
import org.instruct4j.engine.ops.CrossEntropy;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Against transformers itself: a tiny random GPT-2 that transformers saved (F32 and BF16) must give the logits
 * and loss that transformers computed for it (in float64), within 1e-4 relative by norm. The fixture cannot be
 * made without torch and transformers; bench/gpu/make_gpt2_fixtures.py makes it (see bench/gpu/README-fixtures.md).
 * Without it the test is skipped and says so.
 *
 * <p>It also re-saves the F32 model with {@link Pretrained#save} to engine/target/hf-gpt2-tiny-resaved, for the
 * script's --verify step, which loads that folder in transformers.
 */
class PretrainedFixtureTest {
    static final String NAME = "hf-gpt2-tiny";
    static final double TOLERANCE = 1e-4;

    @Test void transformersLogitsAndLoss() throws IOException {
        Path folder = fixtureFolder();
        Assumptions.assumeTrue(folder != null, "no fixture engine/src/test/resources/" + NAME + "/ (it needs torch + transformers):"
                + " make it with `python bench/gpu/make_gpt2_fixtures.py --out engine/src/test/resources/" + NAME
                + "` (see bench/gpu/README-fixtures.md)");
        JsonNode fixture = new ObjectMapper().readTree(folder.resolve("fixture.json").toFile());

        Gpt f32 = Pretrained.load(folder, Device.CPU);
        check("f32", f32, fixture, fixture.get("f32"));
        if (Files.isDirectory(folder.resolve("bf16")))
            check("bf16", Pretrained.load(folder.resolve("bf16"), Device.CPU), fixture, fixture.get("bf16"));

        Path resaved = Path.of("target", NAME + "-resaved");
        Pretrained.save(resaved, f32, Map.of(), null);
        check("re-saved", Pretrained.load(resaved, Device.CPU), fixture, fixture.get("f32"));
    }

    private static void check(String what, Gpt model, JsonNode fixture, JsonNode expected) {
        JsonNode c = fixture.get("config");
        assertThat(model.config().vocabSize()).isEqualTo(c.get("vocab_size").asInt());
        assertThat(model.config().layers()).isEqualTo(c.get("n_layer").asInt());

        int[][] ids = ints(fixture.get("input_ids"));
        int b = ids.length, t = ids[0].length, v = model.config().vocabSize();
        Tensor tokens = Tensor.ofInts(flatten(ids), b, t);
        try (GradMode g = GradMode.off()) {
            Tensor logits = model.forward(tokens, null);
            double error = relativeError(logits.toFloatArray(), doubles(expected.get("logits")));
            System.out.printf("%s: logits relative error %.3g%n", what, error);
            assertThat(error).as(what + " logits, relative by norm").isLessThan(TOLERANCE);

            // transformers' loss: each position predicts the next token; the last one predicts nothing.
            int[] targets = new int[b * t];
            for (int r = 0; r < b; r++) for (int j = 0; j < t; j++) targets[r * t + j] = j + 1 < t ? ids[r][j + 1] : -1;
            double loss = CrossEntropy.mean(logits, Tensor.ofInts(targets, b, t)).item(), ref = expected.get("loss").asDouble();
            System.out.printf("%s: loss %.7f, transformers %.7f%n", what, loss, ref);
            assertThat(Math.abs(loss - ref)).as(what + " loss").isLessThan(TOLERANCE * Math.abs(ref));

            int[][] padded = ints(fixture.get("padded_input_ids"));
            int pad = fixture.get("pad_left").asInt(), pt = padded[0].length;
            float[] all = model.forward(Tensor.ofInts(flatten(padded), 1, pt), new int[] {pad}).toFloatArray();
            float[] real = java.util.Arrays.copyOfRange(all, pad * v, pt * v);
            double padError = relativeError(real, doubles(expected.get("padded_logits")));
            System.out.printf("%s: left-padded logits relative error %.3g%n", what, padError);
            assertThat(padError).as(what + " left-padded logits").isLessThan(TOLERANCE);
        }
    }

    /** The fixture folder, whether the tests run in the engine module (Maven's way) or the repository root. */
    private static Path fixtureFolder() {
        for (Path p : new Path[] {Path.of("src/test/resources", NAME), Path.of("engine/src/test/resources", NAME)})
            if (Files.isRegularFile(p.resolve("fixture.json"))) return p;
        return null;
    }

    static double relativeError(float[] ours, double[] theirs) {
        assertThat(ours).hasSameSizeAs(theirs);
        double diff = 0, norm = 0;
        for (int i = 0; i < ours.length; i++) {
            diff += (ours[i] - theirs[i]) * (ours[i] - theirs[i]);
            norm += theirs[i] * theirs[i];
        }
        return Math.sqrt(diff / norm);
    }

    private static int[][] ints(JsonNode rows) {
        int[][] out = new int[rows.size()][];
        for (int r = 0; r < out.length; r++) {
            out[r] = new int[rows.get(r).size()];
            for (int j = 0; j < out[r].length; j++) out[r][j] = rows.get(r).get(j).asInt();
        }
        return out;
    }

    private static int[] flatten(int[][] rows) {
        int t = rows[0].length;
        int[] flat = new int[rows.length * t];
        for (int r = 0; r < rows.length; r++) System.arraycopy(rows[r], 0, flat, r * t, t);
        return flat;
    }

    /** Nested JSON number arrays, flattened in order. */
    private static double[] doubles(JsonNode nested) {
        java.util.List<Double> out = new java.util.ArrayList<>();
        collect(nested, out);
        double[] d = new double[out.size()];
        for (int i = 0; i < d.length; i++) d[i] = out.get(i);
        return d;
    }

    private static void collect(JsonNode n, java.util.List<Double> out) {
        if (n.isArray()) for (JsonNode c : n) collect(c, out);
        else out.add(n.asDouble());
    }
}
