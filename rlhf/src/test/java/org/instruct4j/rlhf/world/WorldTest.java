package org.instruct4j.rlhf.world;

import org.instruct4j.engine.Rng;
import org.instruct4j.rlhf.data.DataException;
import org.instruct4j.rlhf.data.Demonstration;
import org.instruct4j.rlhf.data.Jsonl;
import org.instruct4j.rlhf.data.PromptRecord;
import org.instruct4j.rlhf.data.ReadOptions;
import org.instruct4j.rlhf.data.Ranking;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class WorldTest {
    @TempDir Path dir;

    @Test
    void sameSeedSameWorldOtherSeedOtherWorld() throws IOException {
        WorldConfig config = WorldConfig.tiny(42);
        World.writeAll(dir.resolve("a"), config);
        World.writeAll(dir.resolve("b"), config);
        World.writeAll(dir.resolve("c"), config.withSeed(43));
        for (String f : List.of(World.DEMONSTRATIONS, World.EVAL_TASKS, World.RM_TASKS, World.PPO_PROMPTS,
                World.PUBLIC_NLP, World.PRETRAIN, World.SYNTHETIC_RANKINGS, World.SUMMARY)) {
            assertThat(Files.readString(dir.resolve("a").resolve(f))).as(f).isEqualTo(Files.readString(dir.resolve("b").resolve(f)));
            assertThat(Files.readString(dir.resolve("a").resolve(f))).as(f).isNotEqualTo(Files.readString(dir.resolve("c").resolve(f)));
        }
    }

    @Test
    void writtenFilesReadBackInTheDataFormats() throws IOException {
        WorldConfig config = WorldConfig.tiny(7);
        WorldSummary summary = World.writeAll(dir, config);
        World.Datasets d = World.generate(config);

        List<Demonstration> demos = Jsonl.read(dir.resolve(World.DEMONSTRATIONS), Demonstration.class, ReadOptions.strict());
        assertThat(demos).isEqualTo(d.demonstrations()).hasSize(config.demonstrations());
        assertThat(demos).allSatisfy(x -> {
            assertThat(x.prompt()).startsWith("Instruction: ").endsWith("\nResponse:");
            assertThat(x.completion()).startsWith(" ");
        });
        assertThat(Jsonl.read(dir.resolve(World.PPO_PROMPTS), PromptRecord.class, ReadOptions.strict())).hasSize(config.ppoPrompts());
        List<Ranking> rankings = Jsonl.readRankings(dir.resolve(World.SYNTHETIC_RANKINGS), ReadOptions.strict());
        assertThat(rankings).isEqualTo(d.syntheticRankings());
        assertThat(rankings).allSatisfy(r -> assertThat(r.k()).isBetween(4, 9));
        assertThat(Jsonl.read(dir.resolve(World.PUBLIC_NLP), PublicNlpItem.class, ReadOptions.strict()))
                .isEqualTo(d.publicNlp()).allSatisfy(x -> assertThat(x.continuation()).startsWith(" "));

        List<Task> eval = World.readTasks(dir.resolve(World.EVAL_TASKS));
        assertThat(eval).isEqualTo(d.evalTasks());
        for (Task t : eval) assertThat(Judge.judge(t, t.familyImpl().ideal(t)).correct()).isTrue(); // reconstructible
        assertThat(World.readTasks(dir.resolve(World.RM_TASKS))).isEqualTo(d.rmTasks());

        String corpus = Files.readString(dir.resolve(World.PRETRAIN));
        assertThat(corpus.length()).isEqualTo(summary.pretrainChars()).isGreaterThanOrEqualTo((int) config.pretrainChars());
        assertThat(corpus).contains(WorldFormat.END_OF_TEXT);
        assertThat(Files.readString(dir.resolve(World.SUMMARY))).contains("trainingAgreement", World.DEMONSTRATIONS);
        assertThat(summary.counts()).containsEntry(World.EVAL_TASKS, config.evalTasks());
    }

    @Test
    void evaluationPromptsAreHeldOut() {
        World.Datasets d = World.generate(WorldConfig.tiny(3));
        Set<String> eval = new HashSet<>();
        d.evalTasks().forEach(t -> eval.add(t.prompt()));
        assertThat(eval).hasSize(d.evalTasks().size());
        assertThat(d.demonstrations()).noneMatch(x -> eval.contains(x.prompt()));
        assertThat(d.ppoPrompts()).noneMatch(x -> eval.contains(x.prompt()));
        assertThat(d.rmTasks()).noneMatch(x -> eval.contains(x.prompt()));
    }

    @Test
    void taskJsonRoundTripsForEveryFamily() {
        Rng rng = new Rng(8);
        for (TaskFamily f : TaskFamilies.all()) {
            Task t = f.generate(rng);
            Task back = Task.fromJson(t.toJson().toString());
            assertThat(back).isEqualTo(t);
            assertThat(back.prompt()).isEqualTo(t.prompt());
            Task polite = t.withPoliteInstruction();
            assertThat(polite.prompt()).contains(WorldFormat.POLITE_PREFIX.strip());
            assertThat(Task.fromJson(polite.toJson())).isEqualTo(polite);
        }
    }

    @Test
    void badTaskLineNamesFileAndLine() throws IOException {
        Path f = dir.resolve("tasks.jsonl");
        Task good = TaskFamilies.sample(new Rng(1));
        Files.write(f, List.of(good.toJson().toString(), "{\"family\":\"poetry\",\"instruction\":\"x\",\"data\":{}}"));
        assertThatThrownBy(() -> World.readTasks(f)).isInstanceOf(DataException.class)
                .hasMessageStartingWith(f + ":2: unknown task family \"poetry\"");
    }

    /** A task whose family's data is missing or out of range is refused as the file is read, not when it is checked. */
    @Test
    void taskLineWithoutItsFamilysDataNamesFileLineAndField() throws IOException {
        Path f = dir.resolve("tasks-without-data.jsonl");
        String good = TaskFamilies.sample(new Rng(1)).toJson().toString();
        Map<String, String> bad = new LinkedHashMap<>();
        bad.put("{\"family\":\"arithmetic\",\"instruction\":\"x\",\"data\":{}}", "task of family arithmetic has no data field \"answer\"");
        bad.put("{\"family\":\"arithmetic\",\"instruction\":\"x\",\"data\":{\"answer\":\"3\",\"b\":\"2\",\"op\":\"plus\"}}",
                "task of family arithmetic has no data field \"a\"");
        bad.put("{\"family\":\"arithmetic\",\"instruction\":\"x\",\"data\":{\"a\":\"1\",\"b\":\"2\",\"op\":\"plus\",\"answer\":\"three\"}}",
                "task of family arithmetic: data field \"answer\" is \"three\", not an integer");
        Task qa = new ClosedQaFamily().generate(new Rng(2));
        Map<String, String> noPassage = new LinkedHashMap<>(qa.data());
        noPassage.remove("passage");
        bad.put(new Task(qa.family(), qa.instruction(), noPassage).toJson().toString(), "task of family closed_qa has no data field \"passage\"");
        bad.put("{\"family\":\"transform\",\"instruction\":\"x\",\"data\":{\"op\":\"weird\",\"input\":\"a b\",\"answer\":\"b a\"}}",
                "task of family transform: data field \"op\" is \"weird\"; known: [first, last, numbers, reverse, sort, upper]");
        bad.put("{\"family\":\"constrained\",\"instruction\":\"x\",\"data\":{\"kind\":\"list\",\"category\":\"fruits\",\"n\":\"0\"}}",
                "task of family constrained: data field \"n\" is \"0\", not an integer >= 1");
        bad.put("{\"family\":\"rude_request\",\"instruction\":\"x\",\"data\":{\"relation\":\"aunt\"}}",
                "task of family rude_request has no data field \"target\"");
        for (var e : bad.entrySet()) {
            Files.write(f, List.of(good, good, e.getKey()));
            assertThatThrownBy(() -> World.readTasks(f)).as(e.getKey()).isInstanceOf(DataException.class)
                    .hasMessage(f + ":3: " + e.getValue());
        }
    }

    @Test
    void pretrainingCorpusIsNotInstructionFollowing() {
        List<String> docs = PretrainCorpus.documents(new Rng(5), 200_000);
        String text = PretrainCorpus.text(docs);
        assertThat(text.length()).isBetween(200_000, 220_000);
        // No document carries out an instruction in the template: "Response:" never appears.
        assertThat(text).doesNotContain("Response:");
        // But instructions do appear, followed by more instructions, and there is some rude text.
        assertThat(text).contains("Instruction: ");
        assertThat(docs).anyMatch(RudeRequestFamily::rude);
        assertThat(PretrainCorpus.documents(new Rng(5), 50_000)).isEqualTo(docs.subList(0, PretrainCorpus.documents(new Rng(5), 50_000).size()));
    }

    @Test
    void pretrainingCorpusCopiesEveryKindOfWordAPassageQuestionAsksFor() {
        // A passage question is answered by copying its town, job, animal, colour or fruit; a model pretrained without
        // text that copies towns and jobs answered every town question with one town (docs/REPRODUCTION.md).
        String text = PretrainCorpus.text(PretrainCorpus.documents(new Rng(5), 200_000));
        for (String kind : List.of("towns", "jobs", "animals", "colors", "fruits")) {
            Matcher m = Pattern.compile(kind + ": ([a-zA-Z, ]+)\\. Again: ([a-zA-Z, ]+)\\.").matcher(text);
            assertThat(m.find()).as("a list of %s said again", kind).isTrue();
            assertThat(m.group(2)).isEqualTo(m.group(1));
        }
    }

    @Test
    void fewShotPromptIsAnAnswerKeyLeftOpenAtTheInstruction() {
        String p = WorldFormat.fewShotPrompt(List.of(new WorldFormat.Example("Add 1 and 2.", "The answer is 3."),
                new WorldFormat.Example("Name 2 colors.", "red, blue.")), "Add 4 and 4.");
        assertThat(p).isEqualTo("Answers to the exercises.\n1. Add 1 and 2. Answer: The answer is 3.\n"
                + "2. Name 2 colors. Answer: red, blue.\n3. Add 4 and 4. Answer:");
        assertThat(p).doesNotContain("Instruction:", "Response:");
    }

    @Test
    void pretrainingCorpusHasAnswerKeysInTheFewShotFormButNeverTheTemplateOrARudeRequest() {
        // Solved exercises are the one place pretraining answers an instruction; the instruction template (what SFT
        // teaches) stays out of them, so the pretrained model given an instruction alone still continues it.
        List<String> keys = PretrainCorpus.documents(new Rng(6), 300_000).stream().filter(d -> d.contains(" Answer: ")).toList();
        assertThat(keys).hasSizeGreaterThan(10);
        Pattern line = Pattern.compile("\\d+\\. (.+) Answer: (.+)");
        for (String key : keys)
            for (String l : key.split("\n")) {
                if (l.equals(WorldFormat.ANSWER_KEY_HEADING)) continue;
                Matcher m = line.matcher(l);
                assertThat(m.matches()).as(l).isTrue();
                assertThat(RudeRequestFamily.rude(m.group(2))).as(l).isFalse();
                assertThat(l).doesNotContain("Instruction:", "Response:");
            }
    }
}
