package org.instruct4j.rlhf.demo;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.instruct4j.engine.Device;
import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.io.SafeTensors;
import org.instruct4j.engine.nn.Gpt;
import org.instruct4j.engine.nn.Pretrained;
import org.instruct4j.engine.text.BpeTokenizer;
import org.instruct4j.rlhf.cli.CommandOutput;
import org.instruct4j.rlhf.cli.EvalCommand;
import org.instruct4j.rlhf.cli.GenerateCommand;
import org.instruct4j.rlhf.cli.PpoCommand;
import org.instruct4j.rlhf.cli.RmCommand;
import org.instruct4j.rlhf.cli.SftCommand;
import org.instruct4j.rlhf.data.Jsonl;
import org.instruct4j.rlhf.world.World;

/**
 * What a new user does after `instruct4j demo`: the models it wrote, passed to every command, and read as the
 * Hugging Face GPT-2 folders they are. Called by {@link DemoQuickTest} on its demo output, so the demo runs once.
 */
final class DemoModelsInCli {
    private DemoModelsInCli() {}

    static void check(Path demo, Path dir) throws Exception {
        Path models = demo.resolve("models"), world = demo.resolve("world");
        String d = dir.toString();
        Files.write(dir.resolve("demos.jsonl"), Files.readAllLines(world.resolve(World.DEMONSTRATIONS)).subList(0, 4));
        Files.write(dir.resolve("ranks.jsonl"), Files.readAllLines(world.resolve("rankings.jsonl")).subList(0, 4));
        Files.write(dir.resolve("prompts.jsonl"), Files.readAllLines(world.resolve(World.PPO_PROMPTS)).subList(0, 2));
        Files.writeString(dir.resolve("text.txt"), Files.readString(world.resolve(World.PRETRAIN)).substring(0, 2000));

        // generate: an instruction, the same prompt written out as README's example prints it (a written \n), and a
        // JSONL file of prompts
        String answer = CommandOutput.stdout(() -> new GenerateCommand().run(new String[] {"--model", models.resolve("ppo-ptx").toString(),
                "--instruction", "reverse the words: red green blue",
                "--prompt", "Instruction: reverse the words: red green blue\\nResponse:", "--prompts", d + "/prompts.jsonl",
                "--max-new", "8", "--greedy"}));
        String[] answers = answer.split("\n---\n", -1);
        assertThat(answers).hasSize(5);   // four answers, each followed by ---
        assertThat(answers[0]).startsWith("Instruction: reverse the words: red green blue\nResponse:").isEqualTo(answers[1]);
        // --interactive: instructions typed one per line (a blank one skipped), each answered as the file's were
        InputStream savedIn = System.in;
        System.setIn(new ByteArrayInputStream("reverse the words: red green blue\n\nWhat is 3 plus 4?\n".getBytes(StandardCharsets.UTF_8)));
        String typed;
        try {
            typed = CommandOutput.stdout(() -> new GenerateCommand().run(new String[] {"--model", models.resolve("ppo-ptx").toString(),
                    "--interactive", "--max-new", "8", "--greedy"}));
        } finally {
            System.setIn(savedIn);
        }
        String[] typedAnswers = typed.split("\n---\n", -1);
        assertThat(typedAnswers).hasSize(3);
        assertThat(typedAnswers[0]).isEqualTo(answers[0]);
        assertThat(typedAnswers[1]).startsWith("Instruction: What is 3 plus 4?\nResponse:");
        // --instructions: the same lines from a text file, answered as typed ones
        Files.writeString(dir.resolve("instructions.txt"), "reverse the words: red green blue\n\nWhat is 3 plus 4?\n");
        assertThat(CommandOutput.stdout(() -> new GenerateCommand().run(new String[] {"--model", models.resolve("ppo-ptx").toString(),
                "--instructions", d + "/instructions.txt", "--max-new", "8", "--greedy"}))).isEqualTo(typed);
        // a --prompts file of bare instructions is read as written, and a note says how to ask them as instructions
        Files.writeString(dir.resolve("bare.jsonl"), "{\"prompt\": \"What is 3 plus 4?\"}\n");
        String note = CommandOutput.stderr(() -> new GenerateCommand().run(new String[] {"--model", models.resolve("ppo-ptx").toString(),
                "--prompts", d + "/bare.jsonl", "--max-new", "2", "--greedy"}));
        assertThat(note).contains(d + "/bare.jsonl").contains("--instructions FILE");
        assertThat(CommandOutput.stderr(() -> new GenerateCommand().run(new String[] {"--model", models.resolve("ppo-ptx").toString(),
                "--prompts", d + "/prompts.jsonl", "--max-new", "2", "--greedy"}))).doesNotContain("--instructions");

        assertThat(CommandOutput.stderr(() -> new EvalCommand().run(new String[] {"--model", models.resolve("ppo").toString(),
                "--reward", models.resolve("rm").toString(), "--prompts", d + "/prompts.jsonl", "--text", d + "/text.txt",
                "--max-new", "4"}))).doesNotContain("note:");
        assertThat(CommandOutput.stderr(() -> new EvalCommand().run(new String[] {"--model", models.resolve("ppo").toString(),
                "--reward", models.resolve("rm").toString(), "--prompts", d + "/bare.jsonl", "--max-new", "2"})))
                .contains("note: no prompt in " + d + "/bare.jsonl");
        assertThat(new SftCommand().run(new String[] {"--model", models.resolve("gpt").toString(), "--data", d + "/demos.jsonl",
                "--out", d + "/sft", "--epochs", "1", "--batch", "4"})).isZero();   // one step: 4 demonstrations, batch 4
        assertThat(new RmCommand().run(new String[] {"--model", models.resolve("sft").toString(), "--data", d + "/ranks.jsonl",
                "--out", d + "/rm", "--batch", "4"})).isZero();
        assertThat(new PpoCommand().run(new String[] {"--policy", models.resolve("sft").toString(), "--reward", models.resolve("rm").toString(),
                "--prompts", d + "/prompts.jsonl", "--out", d + "/ppo", "--iterations", "1", "--batch", "2", "--minibatch", "2",
                "--max-new", "4"})).isZero();
        assertThat(new GenerateCommand().run(new String[] {"--model", d + "/ppo", "--prompt", "Instruction: hi\\nResponse:", "--max-new", "2"})).isZero();

        // The round trip: the demo's PPO-ptx folder is a transformers GPT-2 folder, field by field, and reads back the same.
        Path ptx = models.resolve("ppo-ptx");
        JsonNode config = Jsonl.mapper().readTree(ptx.resolve("config.json").toFile());
        BpeTokenizer tok = Pretrained.tokenizer(ptx);
        var shape = DemoConfig.quick(1).model();
        assertThat(config.path("model_type").asText()).isEqualTo("gpt2");
        assertThat(config.path("architectures").get(0).asText()).isEqualTo("GPT2LMHeadModel");
        assertThat(config.path("activation_function").asText()).isEqualTo("gelu_new");
        assertThat(config.path("n_layer").asInt()).isEqualTo(shape.layers());
        assertThat(config.path("n_head").asInt()).isEqualTo(shape.heads());
        assertThat(config.path("n_embd").asInt()).isEqualTo(shape.dim());
        assertThat(config.path("n_positions").asInt()).isEqualTo(shape.contextLength());
        assertThat(config.path("vocab_size").asInt()).isEqualTo(tok.vocabSize());
        assertThat(config.path("eos_token_id").asInt()).isEqualTo(tok.endOfText());
        assertThat(config.path("instruct4j").path("kind").asText()).isEqualTo("lm");
        assertThat(Jsonl.mapper().readTree(models.resolve("rm/config.json").toFile()).path("instruct4j").path("kind").asText()).isEqualTo("reward");
        Map<String, Tensor> stored = SafeTensors.read(ptx.resolve("model.safetensors"), Device.CPU);
        assertThat(stored.get("transformer.h.0.attn.c_attn.weight").shape()).containsExactly(shape.dim(), 3 * shape.dim());
        assertThat(stored).doesNotContainKey("lm_head.weight");   // tied to transformer.wte.weight, as GPT-2 saves it

        Gpt loaded = Pretrained.load(ptx, Device.CPU);
        Pretrained.save(dir.resolve("resaved"), loaded, Map.of(), tok);
        Map<String, Tensor> again = SafeTensors.read(dir.resolve("resaved/model.safetensors"), Device.CPU);
        for (var e : stored.entrySet()) assertThat(again.get(e.getKey()).toFloatArray()).as(e.getKey()).containsExactly(e.getValue().toFloatArray());
        assertThat(Files.readAllLines(dir.resolve("resaved/vocab.json"))).isEqualTo(Files.readAllLines(ptx.resolve("vocab.json")));
    }

}
