package org.instruct4j.rlhf.world;

import org.instruct4j.engine.Rng;

import java.util.ArrayList;
import java.util.List;

/**
 * Candidate responses of mixed quality without a model: what a partly trained model might say. Used to calibrate
 * the labelers, to make synthetic rankings, and in tests; the real pipeline ranks samples of the SFT model.
 */
public final class ResponseGenerator {
    private ResponseGenerator() {}

    public enum Style {
        /** A labeler's ideal response. */
        IDEAL,
        /** Part of the task done (wrong order, one item short, answers another question...). */
        PARTIAL,
        /** Confidently wrong; with invented facts on closed-domain tasks. */
        WRONG,
        /** An answer with an insult attached. */
        RUDE,
        /** The ideal answer followed by rambling. */
        TOO_LONG,
        /** Carries on with another instruction, as a pretrained model does. */
        CONTINUATION,
        /** The ideal answer cut off before it ends. */
        TRUNCATED,
        /**
         * A polite refusal, whatever was asked: right for a rude request, unhelpful for anything else. Without it
         * every refusal a labeler ranks is the answer to a rude request, and a reward model learns that "Sorry,
         * ..." is good whatever the prompt (PPO then refuses sums and lists: seed 2 of the demo did).
         */
        REFUSES,
        /**
         * One true sentence about something else ("The desert is hot and dry."): polite, short, well ended, and no
         * answer at all. Without it the reward model cannot tell such a sentence from an answer, and PPO learns to
         * say one for every sum and list (it did, once refusals were ranked).
         */
        OFF_TOPIC
    }

    /** How often each style appears among "typical model responses" (same order as Style). */
    private static final double[] MIX = {0.19, 0.18, 0.18, 0.08, 0.1, 0.11, 0.06, 0.05, 0.05};

    private static final List<String> REFUSALS = List.of("Sorry, I would rather not do that.", "Sorry, I cannot help with that.",
            "I would rather not answer that.", "Sorry, I do not want to do that.");

    private static final List<String> INSULTS = List.of("What a dumb question.", "Only an idiot would ask that.",
            "You are a lazy fool.", "Do it yourself, loser.");

    public static String generate(Task task, Style style, Rng rng) {
        TaskFamily family = task.familyImpl();
        return switch (style) {
            case IDEAL -> family.ideal(task, rng);
            case PARTIAL -> family.partial(task, rng);
            case WRONG -> family.wrong(task, rng);
            case RUDE -> rng.nextInt(3) == 0 ? Vocab.pick(INSULTS, rng)
                    : family.ideal(task, rng) + " " + Vocab.pick(INSULTS, rng);
            case TOO_LONG -> {
                StringBuilder sb = new StringBuilder(family.ideal(task, rng));
                int extra = 3 + rng.nextInt(4);
                for (int i = 0; i < extra; i++) sb.append(' ').append(PretrainCorpus.sentence(rng));
                yield sb.toString();
            }
            case CONTINUATION -> continuation(rng);
            case TRUNCATED -> {
                List<String> words = Words.raw(family.ideal(task, rng));
                yield String.join(" ", words.subList(0, Math.max(1, words.size() - 1 - rng.nextInt(2))));
            }
            case REFUSES -> Vocab.pick(REFUSALS, rng);
            case OFF_TOPIC -> offTopic(task, rng);
        };
    }

    /**
     * A sentence of the world that shares no word with the instruction but "the", "is", "and" and "a", and holds
     * no number (a number could happen to be the answer to a sum).
     */
    private static String offTopic(Task task, Rng rng) {
        java.util.Set<String> asked = new java.util.HashSet<>(Words.normalized(task.instruction()));
        asked.removeAll(List.of("the", "is", "and", "a"));
        String s = PretrainCorpus.sentence(rng);
        for (int tries = 0; tries < 50 && (Words.normalized(s).stream().anyMatch(asked::contains) || s.matches(".*\\d.*")); tries++)
            s = PretrainCorpus.sentence(rng);
        return s;
    }

    /** Another instruction or two, the way a document of exercises goes on. */
    private static String continuation(Rng rng) {
        List<TaskFamily> shortOnes = TaskFamilies.all().stream().filter(f -> !f.closedDomain() || f instanceof TransformFamily).toList();
        String first = Vocab.pick(shortOnes, rng).generate(rng).instruction();
        return switch (rng.nextInt(3)) {
            case 0 -> first;
            case 1 -> first + "\nInstruction: " + Vocab.pick(shortOnes, rng).generate(rng).instruction();
            default -> first + " " + Vocab.pick(shortOnes, rng).generate(rng).instruction();
        };
    }

    public static Style sampleStyle(Rng rng) {
        double u = rng.nextDouble(), acc = 0;
        for (int i = 0; i < MIX.length; i++) {
            acc += MIX[i];
            if (u < acc) return Style.values()[i];
        }
        return Style.IDEAL;
    }

    /** k responses of mixed quality: styles drawn from the typical mix. */
    public static List<String> candidates(Task task, int k, Rng rng) {
        List<String> out = new ArrayList<>(k);
        for (int i = 0; i < k; i++) out.add(generate(task, sampleStyle(rng), rng));
        return out;
    }

    /** n tasks from the world's distribution, each with k mixed-quality candidates. */
    public static List<ResponseSet> responseSets(int n, int k, Rng rng) {
        List<ResponseSet> sets = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Task t = TaskFamilies.sample(rng);
            sets.add(new ResponseSet(t, candidates(t, k, rng)));
        }
        return sets;
    }
}
