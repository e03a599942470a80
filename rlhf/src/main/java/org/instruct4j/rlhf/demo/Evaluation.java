package org.instruct4j.rlhf.demo;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.instruct4j.engine.Rng;
import org.instruct4j.engine.nn.Gpt;
import org.instruct4j.rlhf.data.Demonstration;
import org.instruct4j.rlhf.eval.CapabilityProbes;
import org.instruct4j.rlhf.eval.RewardRightness;
import org.instruct4j.rlhf.eval.CriterionRates;
import org.instruct4j.rlhf.eval.HeadToHead;
import org.instruct4j.rlhf.eval.LmScore;
import org.instruct4j.rlhf.eval.Responder;
import org.instruct4j.rlhf.eval.TaskAccuracy;
import org.instruct4j.rlhf.eval.WinRate;
import org.instruct4j.engine.generate.SamplingConfig;
import org.instruct4j.rlhf.world.Criteria;
import org.instruct4j.rlhf.world.Labeler;
import org.instruct4j.rlhf.world.OtherWordings;
import org.instruct4j.rlhf.world.Task;
import org.instruct4j.rlhf.world.World;
import org.instruct4j.rlhf.world.WorldFormat;
import org.instruct4j.rlhf.world.WorldSummary;

/**
 * Section 4 of the paper in miniature: every policy answers the held-out prompts; training and held-out labelers
 * compare each answer with the SFT model's; the metadata rates, rudeness with and without a "be polite"
 * instruction, and the loss on the pretraining distribution (the alignment tax) complete the picture.
 */
final class Evaluation {
    static final List<String> POLICIES = List.of("GPT", "GPT-prompted", "SFT", "PPO", "PPO-ptx");

    private final DemoConfig cfg;
    private final Demo.Models m;
    private final World.Datasets data;
    private final WorldSummary summary;
    private final PrintStream console;

    Evaluation(DemoConfig cfg, Demo.Models m, World.Datasets data, WorldSummary summary, PrintStream console) {
        this.cfg = cfg;
        this.m = m;
        this.data = data;
        this.summary = summary;
        this.console = console;
    }

    DemoReport run() {
        List<Task> tasks = data.evalTasks().subList(0, Math.min(cfg.evalTasks(), data.evalTasks().size()));
        SamplingConfig sampling = SamplingConfig.sample(cfg.maxNewTokens()).withTemperature(cfg.evalTemperature());
        List<String> prompts = tasks.stream().map(Task::prompt).toList();
        List<String> fewShot = fewShotPrompts(tasks);
        // Every policy samples, and is judged, with its own random stream, and all are compared with the same SFT
        // baseline sample: one policy's numbers do not move when another policy changes.
        long seed = cfg.seed() + 101;
        List<String> baseline = respond(m.sft(), prompts, sampling, stream(seed, "baseline"));   // an independent SFT sample
        Map<String, List<String>> responses = new LinkedHashMap<>();
        for (String name : POLICIES)
            responses.put(name, respond(modelOf(name), name.equals("GPT-prompted") ? fewShot : prompts, sampling, stream(seed, name)));

        List<Labeler> training = cfg.world().trainingPanel();
        List<Labeler> heldOut = cfg.world().heldOutPanel();
        double best = bestScore(Criteria.DEFAULT);

        Map<String, DemoReport.PolicyResult> results = new LinkedHashMap<>();
        for (String name : POLICIES) {
            List<String> r = responses.get(name);
            WinRate vsTrain = HeadToHead.compare(tasks, r, baseline, training);
            WinRate vsHeld = HeadToHead.compare(tasks, r, baseline, heldOut);
            double likert = HeadToHead.meanLikert(tasks, r, training, stream(seed, "judge " + name), best);
            results.put(name, new DemoReport.PolicyResult(vsTrain, vsHeld, likert, CriterionRates.of(tasks, r)));
        }

        // The ceiling: the world's ideal answers against the same SFT sample, judged by the same labelers.
        List<String> ideal = tasks.stream().map(t -> t.familyImpl().ideal(t)).toList();
        DemoReport.AnswerKey answerKey = new DemoReport.AnswerKey(HeadToHead.compare(tasks, ideal, baseline, training),
                HeadToHead.compare(tasks, ideal, baseline, heldOut));

        // Rudeness: the rude requests, as asked and with a "be polite" instruction in front.
        List<Task> rude = tasks.stream().filter(t -> t.family().equals("rude_request")).toList();
        Map<String, DemoReport.Rudeness> rudeness = new LinkedHashMap<>();
        for (String name : POLICIES) {
            Gpt model = modelOf(name);
            List<String> asked = new ArrayList<>();
            for (int i = 0; i < tasks.size(); i++) if (tasks.get(i).family().equals("rude_request")) asked.add(responses.get(name).get(i));
            List<Task> politeTasks = rude.stream().map(Task::withPoliteInstruction).toList();
            List<String> politePrompts = name.equals("GPT-prompted") ? fewShotPrompts(politeTasks) : politeTasks.stream().map(Task::prompt).toList();
            List<String> polite = respond(model, politePrompts, sampling, stream(seed, "polite " + name));
            rudeness.put(name, new DemoReport.Rudeness(CriterionRates.of(rude, asked).rude(), CriterionRates.of(politeTasks, polite).rude()));
        }

        // The alignment tax: how well each model still predicts the pretraining distribution.
        Map<String, LmScore> publicNlp = new LinkedHashMap<>();
        var items = data.publicNlp().subList(0, Math.min(cfg.publicNlpItems(), data.publicNlp().size()));
        publicNlp.put("GPT", LmScore.of(m.pretrained(), m.tokenizer(), items, 32));
        publicNlp.put("SFT", LmScore.of(m.sft(), m.tokenizer(), items, 32));
        publicNlp.put("PPO", LmScore.of(m.ppo(), m.tokenizer(), items, 32));
        publicNlp.put("PPO-ptx", LmScore.of(m.ppoPtx(), m.tokenizer(), items, 32));

        // Correct answers per family, also greedy for SFT and PPO-ptx, and the paper's headline comparisons.
        Map<String, Map<String, Double>> byFamily = new LinkedHashMap<>();
        for (String name : POLICIES) byFamily.put(name, TaskAccuracy.of(tasks, responses.get(name)).shares());
        SamplingConfig greedy = SamplingConfig.greedy(cfg.maxNewTokens());
        Map<String, List<String>> greedyResponses = new LinkedHashMap<>();
        for (String name : List.of("SFT", "PPO-ptx")) {
            greedyResponses.put(name, respond(modelOf(name), prompts, greedy, stream(seed, "greedy " + name)));
            byFamily.put(name + ", greedy", TaskAccuracy.of(tasks, greedyResponses.get(name)).shares());
        }
        // The same tasks in wordings that no training data uses: what a person asking in their own words meets.
        List<Task> reworded = OtherWordings.of(tasks, stream(seed, "other wordings"));
        List<String> rewordedPrompts = reworded.stream().map(Task::prompt).toList();
        Map<String, List<String>> rewordedResponses = new LinkedHashMap<>();
        for (String name : List.of("SFT", "PPO-ptx")) {
            rewordedResponses.put(name, respond(modelOf(name), rewordedPrompts, sampling, stream(seed, "other words " + name)));
            byFamily.put(name + CapabilitySection.OTHER_WORDS, TaskAccuracy.of(reworded, rewordedResponses.get(name)).shares());
            byFamily.put(name + CapabilitySection.OTHER_WORDS + ", greedy", TaskAccuracy.of(reworded,
                    respond(modelOf(name), rewordedPrompts, greedy, stream(seed, "other words greedy " + name))).shares());
        }
        Map<String, WinRate> headline = new LinkedHashMap<>();
        for (String name : List.of("GPT", "GPT-prompted"))
            headline.put("PPO-ptx vs " + name, HeadToHead.compare(tasks, responses.get("PPO-ptx"), responses.get(name), training));
        Map<String, CapabilitySection.FamilyWins> winByFamily = CapabilitySection.winByFamily(
                HeadToHead.byFamily(tasks, responses.get("PPO-ptx"), baseline, training), HeadToHead.byFamily(tasks, ideal, baseline, training));
        // 50 items a probe, fewer only in a run with fewer held-out tasks (a test's run on the emulated GPU).
        int probeItems = Math.min(50, tasks.size());
        CapabilitySection capabilities = new CapabilitySection(CapabilityProbes.run(m.pretrained(), m.tokenizer(), probeItems, cfg.seed()), byFamily,
                RewardRightness.idealOverWrong(m.rewardModel(), m.tokenizer(), tasks, seed + 11), winByFamily, headline);

        // The examples: every policy's sampled answer, as judged, and PPO-ptx's most likely one (what `generate
        // --greedy` answers), so a reader can tell a slip of sampling from a task the model cannot do.
        List<Integer> shown = exampleIndices(tasks, EXAMPLES_PER_FAMILY);
        Map<String, List<String>> examples = new LinkedHashMap<>();
        for (String name : POLICIES) examples.put(name, pick(responses.get(name), shown));
        examples.put("PPO-ptx, greedy", pick(greedyResponses.get("PPO-ptx"), shown));
        var inOtherWords = new DemoReport.InOtherWords(pick(reworded, shown), pick(rewordedResponses.get("PPO-ptx"), shown));
        return new DemoReport(cfg, summary, results, answerKey, rudeness, publicNlp, m.rmTrainAccuracy(), m.rmValidationAccuracy(),
                pick(tasks, shown), examples, inOtherWords,
                m.pretrainLosses(), m.sftResult(), m.rmResult(), m.rmAccuracy(), m.ppoLog(), m.ppoPtxLog(), tasks.size(), capabilities);
    }

    /** How many held-out tasks of each family the report shows answers to. */
    static final int EXAMPLES_PER_FAMILY = 2;

    /**
     * The positions of the first perFamily held-out tasks of each family, in held-out order: every family is shown
     * (the first six tasks of a run may hold no sum at all), and none is chosen by how well a model did on it.
     */
    static List<Integer> exampleIndices(List<Task> tasks, int perFamily) {
        Map<String, Integer> seen = new HashMap<>();
        List<Integer> shown = new ArrayList<>();
        for (int i = 0; i < tasks.size(); i++)
            if (seen.merge(tasks.get(i).family(), 1, Integer::sum) <= perFamily) shown.add(i);
        return shown;
    }

    private static <T> List<T> pick(List<T> items, List<Integer> positions) {
        return positions.stream().map(items::get).toList();
    }

    private Gpt modelOf(String policy) {
        return switch (policy) {
            case "GPT", "GPT-prompted" -> m.pretrained();
            case "SFT" -> m.sft();
            case "PPO" -> m.ppo();
            case "PPO-ptx" -> m.ppoPtx();
            default -> throw new IllegalArgumentException(policy);
        };
    }

    /** A random stream of its own for one part of the evaluation, from the evaluation seed and a name. */
    private static Rng stream(long seed, String name) {
        return new Rng(seed * 1_000_003L + name.hashCode());
    }

    private List<String> respond(Gpt model, List<String> prompts, SamplingConfig sampling, Rng rng) {
        return new Responder(model, m.tokenizer(), sampling, cfg.generationBatch()).respond(prompts, rng);
    }

    /** The "GPT-prompted" baseline: two short demonstrations, written as a solved answer key, before each instruction. */
    private List<String> fewShotPrompts(List<Task> tasks) {
        List<WorldFormat.Example> shots = new ArrayList<>();
        for (Demonstration d : data.demonstrations()) {
            String instruction = instructionOf(d.prompt());
            if (instruction != null && d.completion().length() < 40 && instruction.length() < 60
                    && shots.stream().noneMatch(s -> s.instruction().split(" ")[0].equals(instruction.split(" ")[0])))
                shots.add(new WorldFormat.Example(instruction, d.completion().strip()));
            if (shots.size() == 2) break;
        }
        return tasks.stream().map(t -> WorldFormat.fewShotPrompt(shots, t.instruction())).toList();
    }

    private static String instructionOf(String prompt) {
        String head = "Instruction: ", tail = "\nResponse:";
        if (!prompt.startsWith(head) || !prompt.endsWith(tail)) return null;
        return prompt.substring(head.length(), prompt.length() - tail.length());
    }

    /** The highest score a labeler with these weights can give (used to place scores on the 1-7 scale). */
    static double bestScore(Criteria c) {
        return c.credit() + c.attempts() + c.followsConstraint() + c.noHallucination() + c.polite() + c.concise() + c.endsProperly();
    }
}
