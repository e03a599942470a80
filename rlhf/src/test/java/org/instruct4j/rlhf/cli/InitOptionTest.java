package org.instruct4j.rlhf.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.DefaultParser;
import org.apache.commons.cli.Options;
import org.instruct4j.engine.Device;
import org.instruct4j.engine.Rng;
import org.instruct4j.engine.nn.Gpt;
import org.instruct4j.engine.nn.GptConfig;
import org.instruct4j.engine.nn.Pretrained;
import org.instruct4j.engine.text.BpeTokenizer;
import org.instruct4j.rlhf.rm.RewardModel;
import org.instruct4j.rlhf.train.ModelFolder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InitOptionTest {
    static final GptConfig FALLBACK = new GptConfig(300, 16, 1, 2, 16, 0f, 1e-5f);
    @TempDir Path dir;

    static CommandLine parse(String... args) throws Exception {
        return new DefaultParser().parse(new Options().addOption(InitOption.option()), args);
    }

    @Test void withoutInitAFreshModelOfTheFallbackShape() throws Exception {
        Gpt model = InitOption.apply(parse(), FALLBACK, new Rng(1), Device.CPU);
        assertThat(model.config()).isEqualTo(FALLBACK);
        assertThat(InitOption.tokenizer(parse(), () -> null)).isNull();
    }

    @Test void withInitTheFolderModelAndTokenizer() throws Exception {
        BpeTokenizer tok = BpeTokenizer.train(List.of("the cat sat on the mat", "the dog sat"), 270, List.of());
        GptConfig saved = new GptConfig(tok.vocabSize(), 32, 2, 2, 16, 0.1f, 1e-5f);
        Gpt original = new Gpt(saved, new Rng(2), Device.CPU);
        Pretrained.save(dir.resolve("m"), original, Map.of(), tok);

        CommandLine cl = parse("--init", dir.resolve("m").toString());
        Gpt model = InitOption.apply(cl, FALLBACK, new Rng(1), Device.CPU);
        assertThat(model.config()).isEqualTo(saved.withDropout(FALLBACK.dropout())); // shape from the folder, dropout from the command
        assertThat(model.parameters().get("wte.weight").toFloatArray()).containsExactly(original.parameters().get("wte.weight").toFloatArray());
        assertThat(InitOption.tokenizer(cl, () -> null)).isEqualTo(tok);
    }

    @Test void aRewardModelFolderIsRefusedAsEveryLanguageModelOptionRefusesIt() throws Exception {
        BpeTokenizer tok = BpeTokenizer.train(List.of("the cat sat on the mat", "the dog sat"), 270, List.of());
        Gpt lm = new Gpt(new GptConfig(tok.vocabSize(), 32, 2, 2, 16, 0f, 1e-5f), new Rng(2), Device.CPU);
        ModelFolder.saveReward(dir.resolve("rm"), RewardModel.fromLm(lm, 0, new Rng(3)), tok);
        CommandLine cl = parse("--init", dir.resolve("rm").toString());
        assertThatThrownBy(() -> InitOption.apply(cl, FALLBACK, new Rng(1), Device.CPU)).isInstanceOf(UserError.class)
                .hasMessage("--init " + dir.resolve("rm") + ": " + dir.resolve("rm")
                        + " holds a reward model (config.json: instruct4j.kind), not a language model");
    }

    @Test void aBadFolderIsAUserError() throws Exception {
        Files.createDirectories(dir.resolve("empty"));
        CommandLine cl = parse("--init", dir.resolve("empty").toString());
        assertThatThrownBy(() -> InitOption.apply(cl, FALLBACK, new Rng(1), Device.CPU)).isInstanceOf(UserError.class)
                .hasMessageStartingWith("--init " + dir.resolve("empty")).hasMessageContaining("no config.json");
    }
}
