package org.instruct4j.engine.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.instruct4j.engine.nn.PretrainedTestFolders.CONFIG;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.instruct4j.engine.Device;
import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.autograd.GradMode;
import org.instruct4j.engine.io.SafeTensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading hand-built Hugging Face GPT-2 folders gives the model whose parameters were written. */
class PretrainedLoadTest {
    @TempDir Path dir;

    @Test void f32FolderGivesTheSameLogits() throws IOException {
        Gpt written = PretrainedTestFolders.randomModel(1);
        Gpt loaded = Pretrained.load(PretrainedTestFolders.write(dir, written, false), Device.CPU);

        assertThat(loaded.config()).isEqualTo(CONFIG);
        assertThat(logits(loaded)).containsExactly(logits(written));
    }

    @Test void bf16FolderGivesTheLogitsOfTheRoundedWeights() throws IOException {
        Gpt written = PretrainedTestFolders.randomModel(2);
        Gpt loaded = Pretrained.load(PretrainedTestFolders.write(dir, written, true), Device.CPU);

        Gpt rounded = new Gpt(CONFIG, new org.instruct4j.engine.Rng(0), Device.CPU);
        Map<String, Tensor> values = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : written.parameters().entrySet())
            values.put(e.getKey(), Tensor.of(roundToBf16(e.getValue().toFloatArray()), e.getValue().shape()));
        rounded.loadParameters(values, true);

        assertThat(logits(loaded)).containsExactly(logits(rounded));
        assertThat(logits(loaded)).isNotEqualTo(logits(written)); // the rounding did happen
    }

    /** The released gpt2 model.safetensors names its tensors without "transformer." and keeps the mask buffers. */
    @Test void namesWithoutThePrefixLoadToo() throws IOException {
        Gpt written = PretrainedTestFolders.randomModel(3);
        Map<String, Tensor> bare = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : PretrainedTestFolders.hfTensors(written).entrySet())
            if (!e.getKey().equals("lm_head.weight")) bare.put(e.getKey().substring("transformer.".length()), e.getValue());
        Path folder = PretrainedTestFolders.write(dir, PretrainedTestFolders.configJson(CONFIG, m -> {}), bare, false);

        assertThat(logits(Pretrained.load(folder, Device.CPU))).containsExactly(logits(written));
    }

    /** Tensors that are not GPT-2's (a reward head) come back as extras; dropout can be overridden. */
    @Test void extrasAndDropout() throws IOException {
        Gpt written = PretrainedTestFolders.randomModel(4);
        Map<String, Tensor> tensors = PretrainedTestFolders.hfTensors(written);
        Tensor score = Tensor.of(new float[] {0.5f, -1f, 2f, 0.25f}, 4, 1);
        tensors.put("score.weight", score);
        Path folder = PretrainedTestFolders.write(dir, PretrainedTestFolders.configJson(CONFIG, m -> m.put("resid_pdrop", 0.1)), tensors, false);

        PretrainedModel m = Pretrained.loadWithExtras(folder, Device.CPU, null);
        assertThat(m.extras().keySet()).containsExactly("score.weight");
        assertThat(m.extras().get("score.weight").toFloatArray()).containsExactly(score.toFloatArray());
        assertThat(m.gpt().config().dropout()).isEqualTo(0.1f);
        assertThat(Pretrained.load(folder, Device.CPU, 0f).config().dropout()).isEqualTo(0f);
        assertThat(Pretrained.config(folder)).isEqualTo(CONFIG.withDropout(0.1f));
    }

    /** A config without model_type is accepted when its architectures name a GPT-2 class; n_ctx stands in for n_positions. */
    @Test void architecturesAndNCtxAreEnough() throws IOException {
        Gpt written = PretrainedTestFolders.randomModel(5);
        Path folder = PretrainedTestFolders.write(dir, PretrainedTestFolders.configJson(CONFIG, m -> {
            m.remove("model_type");
            m.remove("n_positions");
            m.put("architectures", new String[] {"GPT2Model"});
        }), PretrainedTestFolders.hfTensors(written), false);

        assertThat(logits(Pretrained.load(folder, Device.CPU))).containsExactly(logits(written));
    }

    /** Big checkpoints come as shards listed in model.safetensors.index.json. */
    @Test void shardedWeights() throws IOException {
        Gpt written = PretrainedTestFolders.randomModel(6);
        Path folder = PretrainedTestFolders.write(dir, written, false);
        java.nio.file.Files.delete(folder.resolve("model.safetensors"));
        Map<String, Tensor> first = new LinkedHashMap<>(), second = new LinkedHashMap<>();
        StringBuilder map = new StringBuilder();
        for (Map.Entry<String, Tensor> e : PretrainedTestFolders.hfTensors(written).entrySet()) {
            boolean one = first.size() <= second.size();
            (one ? first : second).put(e.getKey(), e.getValue());
            map.append(map.isEmpty() ? "" : ",").append('"').append(e.getKey()).append("\": \"model-0000").append(one ? 1 : 2).append("-of-00002.safetensors\"");
        }
        SafeTensors.write(folder.resolve("model-00001-of-00002.safetensors"), first, Map.of("format", "pt"));
        SafeTensors.write(folder.resolve("model-00002-of-00002.safetensors"), second, Map.of("format", "pt"));
        java.nio.file.Files.writeString(folder.resolve("model.safetensors.index.json"), "{\"weight_map\": {" + map + "}}");

        assertThat(logits(Pretrained.load(folder, Device.CPU))).containsExactly(logits(written));
    }

    static float[] logits(Gpt model) {
        try (GradMode g = GradMode.off()) {
            return model.forward(PretrainedTestFolders.tokens(), null).toFloatArray();
        }
    }

    /** Round to nearest even on the upper 16 bits (written here independently of SafeTensors' own). */
    static float[] roundToBf16(float[] v) {
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            int bits = Float.floatToRawIntBits(v[i]);
            int lsb = (bits >> 16) & 1;
            out[i] = Float.intBitsToFloat(((bits + 0x7FFF + lsb) >>> 16) << 16);
        }
        return out;
    }
}
