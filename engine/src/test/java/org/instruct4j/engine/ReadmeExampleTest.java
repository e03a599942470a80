package org.instruct4j.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.instruct4j.engine.nn.Gpt;
import org.instruct4j.engine.nn.GptConfig;
import org.instruct4j.engine.ops.CrossEntropy;
import org.instruct4j.engine.optim.AdamW;
import org.instruct4j.engine.optim.GradClip;
import org.junit.jupiter.api.Test;

/** README's Java example is this test's code, line for line, and it trains: what an embedder copies works. */
class ReadmeExampleTest {
    private static final Path SOURCE = Path.of("src/test/java/org/instruct4j/engine/ReadmeExampleTest.java"), README = Path.of("../README.md");
    /** What the example needs imported, as the README lists it above the code. */
    private static final List<String> IMPORTS = List.of("org.instruct4j.engine.Device", "org.instruct4j.engine.Rng",
            "org.instruct4j.engine.Scope", "org.instruct4j.engine.Tensor", "org.instruct4j.engine.nn.Gpt",
            "org.instruct4j.engine.nn.GptConfig", "org.instruct4j.engine.ops.CrossEntropy",
            "org.instruct4j.engine.optim.AdamW", "org.instruct4j.engine.optim.GradClip");

    /** The README's example, between the markers, on a batch whose next token is its token plus 7: the loss after it. */
    static float trainedLoss() {
        int[] inputIds = new int[8 * 64], nextIds = new int[8 * 64];
        for (int i = 0; i < inputIds.length; i++) {
            inputIds[i] = (7 * i) % 200;
            nextIds[i] = (7 * i + 7) % 200;
        }
        // README begins
        Gpt model = new Gpt(GptConfig.tiny(), new Rng(1), Device.CPU);      // or Pretrained.load(folder, device)
        AdamW opt = AdamW.of(model.parameters(), 0.1f);                     // weight decay 0.1; each step takes its learning rate
        Tensor tokens = Tensor.ofInts(inputIds, Device.CPU, 8, 64), targets = Tensor.ofInts(nextIds, Device.CPU, 8, 64);
        for (int step = 0; step < 30; step++) {
            try (Scope s = Scope.open()) {                                    // frees the step's temporaries
                Tensor loss = CrossEntropy.mean(model.forward(tokens, null), targets);
                loss.backward();
                opt.step(3e-3f, GradClip.clipScale(GradClip.globalNorm(model.parameters().values()), 1f));
                opt.zeroGrad();
            }
        }
        // README ends
        try (Scope s = Scope.open()) {
            return CrossEntropy.mean(model.forward(tokens, null), targets).item();
        }
    }

    @Test
    void readmeShowsThisCode() throws Exception {
        List<String> src = Files.readAllLines(SOURCE);
        int from = src.indexOf("        // README begins"), to = src.indexOf("        // README ends");
        String code = String.join("\n", src.subList(from + 1, to).stream().map(l -> l.substring(8)).toList());
        String imports = String.join("", IMPORTS.stream().map(c -> "import " + c + ";\n").toList());
        assertThat(Files.readString(README)).contains("```java\n" + imports + "\n" + code + "\n```");
    }

    /** Each import the README lists names a class that is there (a renamed class would leave it stale). */
    @Test
    void readmeImportsNameClassesThatExist() throws Exception {
        for (String c : IMPORTS) Class.forName(c);
    }

    @Test
    void theExampleTrains() {
        double untrained = Math.log(GptConfig.tiny().vocabSize());   // about what a fresh model's loss is
        assertThat(trainedLoss()).isLessThan((float) (untrained / 2));
    }
}
