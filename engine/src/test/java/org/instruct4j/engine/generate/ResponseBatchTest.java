package org.instruct4j.engine.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.instruct4j.engine.Device;
import org.instruct4j.engine.Rng;
import org.instruct4j.engine.Scope;
import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.nn.Gpt;
import org.instruct4j.engine.nn.GptConfig;
import org.instruct4j.engine.ops.CrossEntropy;
import org.junit.jupiter.api.Test;

/** The batched layout gives each pair what the model gives it alone, unpadded: log-probabilities and their gradients. */
class ResponseBatchTest {
    private static final int VOCAB = 16, PAD = 14;
    // Prompts and responses of unequal lengths, one response empty, so rows carry left and right padding.
    private static final List<int[]> PROMPTS = List.of(new int[] {1, 2, 3, 4}, new int[] {5}, new int[] {2, 7}, new int[] {3, 3, 1});
    private static final List<int[]> RESPONSES = List.of(new int[] {6, 15}, new int[] {9, 8, 10, 11, 15}, new int[] {}, new int[] {4});

    private static Gpt model() { return new Gpt(new GptConfig(VOCAB, 24, 2, 2, 16, 0f, 1e-5f), new Rng(5), Device.CPU); }

    @Test
    void logProbsAreEachPairsAloneAtTheResponseTokensAndZeroPastTheEnd() {
        Gpt model = model();
        for (float temperature : new float[] {1f, 0.7f}) {
            try (Scope s = Scope.open()) {
                ResponseBatch b = ResponseBatch.of(PROMPTS, RESPONSES, PAD, Device.CPU);
                assertThat(b.promptLen()).isEqualTo(4);
                assertThat(b.responseLen()).isEqualTo(5);
                float[] batched = b.logProbs(model, temperature).toFloatArray();
                for (int j = 0; j < PROMPTS.size(); j++) {
                    double[] alone = logProbsAlone(model, PROMPTS.get(j), RESPONSES.get(j), temperature);
                    for (int i = 0; i < b.responseLen(); i++) {
                        double expected = i < alone.length ? alone[i] : 0;
                        assertThat((double) batched[j * b.responseLen() + i]).as("pair %d token %d at T=%s", j, i, temperature)
                                .isCloseTo(expected, within(2e-5));
                    }
                }
            }
        }
    }

    @Test
    void sequenceLogProbsAreEachResponsesSumAlone() {
        Gpt model = model();
        try (Scope s = Scope.open()) {
            float[] sums = ResponseBatch.of(PROMPTS, RESPONSES, PAD, Device.CPU).sequenceLogProbs(model, 0.7f).toFloatArray();
            assertThat(sums).hasSize(PROMPTS.size());
            for (int j = 0; j < PROMPTS.size(); j++) {
                double expected = 0;
                for (double lp : logProbsAlone(model, PROMPTS.get(j), RESPONSES.get(j), 0.7f)) expected += lp;
                assertThat((double) sums[j]).as("pair %d", j).isCloseTo(expected, within(1e-4));
            }
            assertThat(sums[2]).as("the empty response").isEqualTo(0f);
        }
    }

    @Test
    void gradientOfTheBatchsSumIsTheSumOfEachPairsGradients() {
        Gpt model = model();
        try (Scope s = Scope.open()) {
            ResponseBatch.of(PROMPTS, RESPONSES, PAD, Device.CPU).logProbs(model, 0.7f).sum().backward();
        }
        Map<String, float[]> batched = gradients(model);
        model.zeroGrad();
        for (int j = 0; j < PROMPTS.size(); j++) {
            try (Scope s = Scope.open()) {
                aloneGraph(model, PROMPTS.get(j), RESPONSES.get(j), 0.7f).sum().backward();
            }
        }
        Map<String, float[]> alone = gradients(model);
        double largest = 0;
        for (float[] g : alone.values()) for (float v : g) largest = Math.max(largest, Math.abs(v));
        assertThat(largest).as("the test's gradients are not all zero").isGreaterThan(1e-2);
        for (String name : alone.keySet()) {
            float[] a = alone.get(name), b = batched.get(name);
            for (int i = 0; i < a.length; i++)
                assertThat((double) b[i]).as("%s[%d]", name, i).isCloseTo(a[i], within(1e-5 * largest + 1e-6));
        }
    }

    @Test
    void refusesWhatCannotBeLaidOut() {
        assertThatThrownBy(() -> ResponseBatch.of(List.of(new int[] {}), List.of(new int[] {1}), PAD, Device.CPU))
                .hasMessageContaining("prompt 0 is empty");
        assertThatThrownBy(() -> ResponseBatch.of(PROMPTS, RESPONSES.subList(0, 2), PAD, Device.CPU))
                .hasMessageContaining("4 prompts but 2 responses");
        assertThatThrownBy(() -> ResponseBatch.of(PROMPTS, RESPONSES, 3, 5, PAD, Device.CPU))
                .hasMessageContaining("pair 0: prompt of 4");
        assertThatThrownBy(() -> ResponseBatch.of(List.of(new int[] {1}), List.of(new int[] {2, -1}), PAD, Device.CPU))
                .hasMessageContaining("response 0: token 1 is -1");
        ResponseBatch batch = ResponseBatch.of(PROMPTS, RESPONSES, PAD, Device.CPU);
        assertThatThrownBy(() -> batch.logProbs(model(), 0f)).hasMessageContaining("temperature must be > 0, got 0.0");
        ResponseBatch tooLong = ResponseBatch.of(List.of(new int[20]), List.of(new int[6]), PAD, Device.CPU);
        assertThatThrownBy(() -> tooLong.logProbs(model(), 1f)).hasMessageContaining("need 25 positions; the model's context is 24");
    }

    /** log softmax(logits / T) of each response token, the pair run alone without padding, in double. */
    private static double[] logProbsAlone(Gpt model, int[] prompt, int[] response, float temperature) {
        int[] seq = concat(prompt, response);
        float[] logits = model.forward(Tensor.ofInts(seq, Device.CPU, 1, seq.length), null).toFloatArray();
        double[] out = new double[response.length];
        for (int i = 0; i < response.length; i++) {
            int at = (prompt.length - 1 + i) * VOCAB;
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int v = 0; v < VOCAB; v++) max = Math.max(max, logits[at + v] / temperature);
            for (int v = 0; v < VOCAB; v++) sum += Math.exp(logits[at + v] / temperature - max);
            out[i] = logits[at + response[i]] / temperature - max - Math.log(sum);
        }
        return out;
    }

    /** The same log-probabilities with their graph: the full sequence's logits, the prompt's targets ignored. */
    private static Tensor aloneGraph(Gpt model, int[] prompt, int[] response, float temperature) {
        int[] seq = concat(prompt, response), targets = new int[seq.length];
        for (int i = 0; i < seq.length; i++) targets[i] = i >= prompt.length - 1 && i + 1 < seq.length ? seq[i + 1] : -1;
        Tensor logits = model.forward(Tensor.ofInts(seq, Device.CPU, 1, seq.length), null).scale(1f / temperature);
        return CrossEntropy.tokenLogProbs(logits, Tensor.ofInts(targets, Device.CPU, 1, seq.length));
    }

    private static Map<String, float[]> gradients(Gpt model) {
        Map<String, float[]> out = new LinkedHashMap<>();
        model.parameters().forEach((name, p) -> out.put(name, p.grad() == null ? new float[(int) p.numel()] : p.grad().toFloatArray()));
        return out;
    }

    private static int[] concat(int[] a, int[] b) {
        int[] ab = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, ab, a.length, b.length);
        return ab;
    }
}
