package org.instruct4j.rlhf.world;

import org.instruct4j.engine.Rng;
import org.instruct4j.rlhf.data.DataException;
import org.instruct4j.rlhf.data.Demonstration;
import org.instruct4j.rlhf.data.Jsonl;
import org.instruct4j.rlhf.data.PromptRecord;
import org.instruct4j.rlhf.data.Ranking;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The built-in world: the data sets of the paper's setting, made by programs. {@link #writeAll} writes them all
 * to one folder; the pipeline reads them with {@link Jsonl} and {@link #readTasks}.
 */
public final class World {
    private World() {}

    public static final String DEMONSTRATIONS = "demonstrations.jsonl";
    public static final String RM_TASKS = "rm_tasks.jsonl";
    public static final String SYNTHETIC_RANKINGS = "synthetic_rankings.jsonl";
    public static final String PPO_PROMPTS = "ppo_prompts.jsonl";
    public static final String EVAL_TASKS = "eval_tasks.jsonl";
    public static final String PUBLIC_NLP = "public_nlp.jsonl";
    public static final String PRETRAIN = "pretrain.txt";
    public static final String SUMMARY = "world.json";

    /**
     * The world's data sets for a seed, in memory. Evaluation prompts are drawn first, and no training set
     * contains an evaluation prompt.
     */
    public record Datasets(List<Task> evalTasks, List<Demonstration> demonstrations, List<Task> rmTasks,
                           List<Ranking> syntheticRankings, List<Task> ppoTasks, List<PublicNlpItem> publicNlp,
                           List<String> pretrainDocuments) {
        /** What PPO reads of its tasks: the prompts alone (no answer key). */
        public List<PromptRecord> ppoPrompts() { return ppoTasks.stream().map(t -> new PromptRecord(t.prompt())).toList(); }
    }

    public static Datasets generate(WorldConfig config) {
        Rng root = new Rng(config.seed());
        // One stream per set, forked in a fixed order, so changing one set's size leaves the others unchanged.
        Rng evalRng = root.fork(), demoRng = root.fork(), rmRng = root.fork(), synthRng = root.fork(),
            ppoRng = root.fork(), nlpRng = root.fork(), pretrainRng = root.fork();

        List<Task> eval = distinctTasks(evalRng, config.evalTasks(), Set.of());
        Set<String> held = new HashSet<>();
        for (Task t : eval) held.add(t.prompt());

        List<Labeler> writers = config.trainingPanel();
        List<Demonstration> demos = new ArrayList<>();
        for (Task t : tasksAvoiding(demoRng, config.demonstrations(), held)) {
            // A labeler writes the ideal response in their own words, now and then with a habit (WritingHabits).
            demos.add(new Demonstration(t.prompt(), WorldFormat.completion(WritingHabits.demonstration(t, config.habitRate(), demoRng))));
        }
        List<Task> rmTasks = tasksAvoiding(rmRng, config.rmTasks(), held);
        List<Ranking> synthetic = new ArrayList<>();
        for (Task t : tasksAvoiding(synthRng, config.syntheticRankings(), held)) {
            int k = 4 + synthRng.nextInt(6);
            List<String> candidates = ResponseGenerator.candidates(t, k, synthRng).stream().map(WorldFormat::completion).toList();
            synthetic.add(rankResponses(t, candidates, writers.get(synthRng.nextInt(writers.size())), synthRng));
        }
        List<Task> ppo = tasksAvoiding(ppoRng, config.ppoPrompts(), held);
        List<PublicNlpItem> nlp = publicNlp(nlpRng, config.publicNlp());
        List<String> pretrain = PretrainCorpus.documents(pretrainRng, config.pretrainChars());
        return new Datasets(eval, demos, rmTasks, synthetic, ppo, nlp, pretrain);
    }

    /** Generates every set and writes it into the folder (created if needed); returns the summary it also writes. */
    public static WorldSummary writeAll(Path folder, WorldConfig config) {
        return writeAll(folder, config, generate(config));
    }

    /** Writes datasets already generated from config (the demo keeps them in memory too). */
    public static WorldSummary writeAll(Path folder, WorldConfig config, Datasets d) {
        Jsonl.write(folder.resolve(EVAL_TASKS), d.evalTasks().stream().map(Task::toJson).toList());
        Jsonl.write(folder.resolve(DEMONSTRATIONS), d.demonstrations());
        Jsonl.write(folder.resolve(RM_TASKS), d.rmTasks().stream().map(Task::toJson).toList());
        Jsonl.write(folder.resolve(SYNTHETIC_RANKINGS), d.syntheticRankings());
        Jsonl.write(folder.resolve(PPO_PROMPTS), d.ppoPrompts());
        Jsonl.write(folder.resolve(PUBLIC_NLP), d.publicNlp());
        String corpus = PretrainCorpus.text(d.pretrainDocuments());
        writeAtomically(folder.resolve(PRETRAIN), corpus);

        Map<String, Integer> counts = new LinkedHashMap<>();
        counts.put(EVAL_TASKS, d.evalTasks().size());
        counts.put(DEMONSTRATIONS, d.demonstrations().size());
        counts.put(RM_TASKS, d.rmTasks().size());
        counts.put(SYNTHETIC_RANKINGS, d.syntheticRankings().size());
        counts.put(PPO_PROMPTS, d.ppoPrompts().size());
        counts.put(PUBLIC_NLP, d.publicNlp().size());
        counts.put("pretrain_documents", d.pretrainDocuments().size());

        List<ResponseSet> sets = ResponseGenerator.responseSets(Math.max(1, config.agreementSets()), 6, new Rng(config.seed() + 17));
        List<Labeler> train = config.trainingPanel();
        List<Labeler> heldOut = config.heldOutPanel();
        Rng agreeRng = new Rng(config.seed() + 23);
        WorldSummary summary = new WorldSummary(config.seed(), counts, corpus.length(), Labeler.TRAINING_NOISE,
                Labeler.agreement(train, sets, agreeRng), Labeler.agreement(heldOut, sets, agreeRng),
                Labeler.agreement(train, heldOut, sets, agreeRng));
        try {
            writeAtomically(folder.resolve(SUMMARY), Jsonl.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(summary) + "\n");
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        return summary;
    }

    /**
     * A labeler's ranking of candidate responses (as the pipeline samples them from the SFT model). Identical
     * candidates (after trimming) are tied, so the reward model never learns from a pair of identical texts.
     */
    public static Ranking rankResponses(Task task, List<String> candidates, Labeler labeler, Rng rng) {
        List<Integer> order = labeler.rank(task, candidates, rng);
        List<List<Integer>> tiers = new ArrayList<>();
        Map<String, List<Integer>> tierOf = new LinkedHashMap<>();
        for (int i : order) {
            String key = candidates.get(i).strip();
            List<Integer> tier = tierOf.get(key);
            if (tier == null) {
                tier = new ArrayList<>();
                tierOf.put(key, tier);
                tiers.add(tier);
            }
            tier.add(i);
        }
        return Ranking.withTies(task.prompt(), candidates, tiers);
    }

    /** Tasks from a file written by writeAll (eval_tasks.jsonl, rm_tasks.jsonl); a bad line gives file:line: reason. */
    public static List<Task> readTasks(Path file) {
        return Jsonl.readWith(file, org.instruct4j.rlhf.data.ReadOptions.strict(), Task::fromJson);
    }

    /** n tasks from the world's distribution whose prompts are not in the excluded set. */
    public static List<Task> tasksAvoiding(Rng rng, int n, Set<String> excluded) {
        List<Task> out = new ArrayList<>(n);
        int attempts = 0;
        while (out.size() < n) {
            if (++attempts > 100 * (n + 10)) throw new IllegalStateException("cannot draw " + n + " tasks outside the excluded set");
            Task t = TaskFamilies.sample(rng);
            if (!excluded.contains(t.prompt())) out.add(t);
        }
        return out;
    }

    private static List<Task> distinctTasks(Rng rng, int n, Set<String> excluded) {
        Set<String> seen = new HashSet<>(excluded);
        List<Task> out = new ArrayList<>(n);
        int attempts = 0;
        while (out.size() < n) {
            if (++attempts > 100 * (n + 10)) throw new IllegalStateException("cannot draw " + n + " distinct tasks");
            Task t = TaskFamilies.sample(rng);
            if (seen.add(t.prompt())) out.add(t);
        }
        return out;
    }

    /** Pretraining-distribution documents split at their last sentence: the text, and the sentence to predict. */
    static List<PublicNlpItem> publicNlp(Rng rng, int n) {
        List<PublicNlpItem> out = new ArrayList<>(n);
        while (out.size() < n) {
            String doc = PretrainCorpus.document(rng);
            int cut = lastSentenceStart(doc);
            if (cut <= 0) continue;
            out.add(new PublicNlpItem(doc.substring(0, cut).stripTrailing(), " " + doc.substring(cut).strip()));
        }
        return out;
    }

    /** Index where the last sentence starts (after ". " or "? " or a newline), or -1. */
    private static int lastSentenceStart(String doc) {
        for (int i = doc.length() - 2; i > 0; i--) {
            char c = doc.charAt(i - 1);
            if ((c == '.' || c == '?') && doc.charAt(i) == ' ' || c == '\n') return i;
        }
        return -1;
    }

    private static void writeAtomically(Path file, String text) {
        try {
            org.instruct4j.engine.io.AtomicFiles.write(file, out -> out.write(text.getBytes(StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw new DataException(file + ": cannot write: " + e.getMessage(), e);
        }
    }
}
