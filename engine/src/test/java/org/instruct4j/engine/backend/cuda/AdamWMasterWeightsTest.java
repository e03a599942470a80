package org.instruct4j.engine.backend.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.instruct4j.engine.DType;
import org.instruct4j.engine.Device;
import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.optim.AdamW;
import org.junit.jupiter.api.Test;

/**
 * A BF16 parameter's F32 master weight is optimizer state: a run restored from AdamW.state() continues with the same
 * F32 values, so its next steps are bit for bit those of the run that never stopped. (Rebuilt from the BF16
 * parameter, as before, the master would lose everything below BF16's resolution: most of an update.) Runs where
 * there is a CUDA device.
 */
class AdamWMasterWeightsTest {
    @Test void aRestoredRunContinuesFromTheSameMasterWeights() {
        assumeTrue(CudaBackend.isAvailable(), "no CUDA GPU on this machine (libcuda or a device is missing): BF16 master weights test skipped");
        Device gpu = Device.cuda(0);
        Random r = new Random(3);
        float[] w0 = new float[257], g = new float[257];
        for (int i = 0; i < w0.length; i++) { w0[i] = (float) r.nextGaussian(); g[i] = (float) r.nextGaussian() * 1e-3f; }

        Tensor w = bf16(w0, gpu);
        AdamW first = AdamW.of(Map.of("w", w), 0.1f);
        for (int s = 0; s < 3; s++) step(first, w, g, gpu);
        assertThat(first.state()).containsKey("w.master");
        float[] master = first.state().get("w.master").toFloatArray();
        float[] rounded = w.toFloatArray();
        assertThat(master).as("the master holds what BF16 cannot").isNotEqualTo(rounded);

        Map<String, Tensor> saved = new LinkedHashMap<>();  // as a checkpoint holds it: host copies
        first.state().forEach((k, t) -> saved.put(k, k.equals("step") ? t : Tensor.of(t.toFloatArray(), t.shape())));
        Tensor resumed = bf16(rounded, gpu);
        AdamW second = AdamW.of(Map.of("w", resumed), 0.1f);
        second.loadState(saved);
        assertThat(second.state().get("w.master").toFloatArray()).containsExactly(master);

        step(first, w, g, gpu);
        step(second, resumed, g, gpu);
        assertThat(resumed.toFloatArray()).containsExactly(w.toFloatArray());
        assertThat(second.state().get("w.master").toFloatArray()).containsExactly(first.state().get("w.master").toFloatArray());
    }

    private static Tensor bf16(float[] values, Device gpu) {
        Tensor t = Tensor.zeros(DType.BF16, gpu, values.length);
        t.backend().upload(values, t.buffer());
        return t;
    }

    private static void step(AdamW opt, Tensor w, float[] g, Device gpu) {
        w.setGrad(bf16(g, gpu));
        opt.step(1e-4f, 1f);
    }
}
