package org.instruct4j.rlhf.world;

import org.instruct4j.engine.Rng;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Transformations of a few given words: reverse them, sort them, write them in capitals, give the first or last
 * one, extract the numbers from a sentence. Closed-domain: the answer may only use the given words.
 */
public final class TransformFamily implements TaskFamily {
    static final String NAME = "transform";

    enum Op { REVERSE, SORT, UPPER, FIRST, LAST, NUMBERS }

    private static final Map<Op, List<String>> PHRASINGS = Map.of(
            Op.REVERSE, List.of("Reverse the order of these words: %s", "Write these words in reverse order: %s",
                    "Say these words backwards: %s", "Reverse these words: %s", "Give these words in the opposite order: %s",
                    "List these words backwards: %s", "What are these words in reverse order? %s", "Flip the order of these words: %s"),
            Op.SORT, List.of("Sort these words in alphabetical order: %s", "Put these words in alphabetical order: %s",
                    "Sort the words: %s", "Sort alphabetically: %s", "Write these words in alphabetical order: %s",
                    "Put these in ABC order: %s", "What are these words in alphabetical order? %s"),
            Op.UPPER, List.of("Write this in capital letters: %s", "Make these words uppercase: %s",
                    "Rewrite in upper case: %s", "Write these words in capitals: %s", "Change these words to uppercase: %s",
                    "Put this in capital letters: %s", "Uppercase these words: %s"),
            Op.FIRST, List.of("What is the first word of this list: %s", "Give the first word: %s", "Name the first word: %s",
                    "What word is first here? %s", "Say only the first word: %s"),
            Op.LAST, List.of("What is the last word of this list: %s", "Give the last word: %s", "Name the last word: %s",
                    "What word is last here? %s", "Say only the last word: %s"),
            Op.NUMBERS, List.of("Extract the numbers from this sentence: %s", "List the numbers in: %s",
                    "Which numbers appear here? %s", "Find the numbers in this sentence: %s", "Write down the numbers in: %s",
                    "Give the numbers from this sentence: %s"));

    /** Words of a response that carry no content for these tasks ("The first word is fox."). */
    private static final Set<String> FILLER = Set.of("the", "first", "last", "word", "is", "are", "here", "they",
            "in", "order", "answer", "number", "numbers", "words", "a", "and", "it", "reversed", "sorted", "list",
            "these", "of", "backwards", "reverse", "alphabetical", "capital", "capitals", "letters", "uppercase", "upper", "case");

    @Override public String name() { return NAME; }

    @Override public boolean closedDomain() { return true; }

    @Override public Task generate(Rng rng) {
        Op op = Op.values()[rng.nextInt(Op.values().length)];
        String input = op == Op.NUMBERS ? numberSentence(rng) : String.join(" ", Vocab.distinctWords(3 + rng.nextInt(3), rng));
        Map<String, String> data = new LinkedHashMap<>();
        data.put("op", op.name().toLowerCase(Locale.ROOT));
        data.put("input", input);
        data.put("answer", String.join(" ", expected(op, input)));
        return new Task(NAME, Vocab.pick(PHRASINGS.get(op), rng).formatted(input), data);
    }


    private static String numberSentence(Rng rng) {
        String n = Vocab.pick(Vocab.NAMES, rng);
        int a = 2 + rng.nextInt(18), b = 2 + rng.nextInt(18);
        // Fruits only: their plurals are regular ("plums"), so the checker's plural stripping stays exact.
        return n + " has " + a + " " + Vocab.pick(Vocab.FRUITS, rng) + "s and " + b + " " + Vocab.pick(Vocab.FRUITS, rng) + "s.";
    }

    static List<String> expected(Op op, String input) {
        List<String> words = Words.raw(input);
        return switch (op) {
            case REVERSE -> words.reversed();
            case SORT -> words.stream().sorted().toList();
            case UPPER -> words.stream().map(w -> w.toUpperCase(Locale.ROOT)).toList();
            case FIRST -> List.of(words.getFirst());
            case LAST -> List.of(words.getLast());
            case NUMBERS -> Words.numbers(input).stream().map(String::valueOf).toList();
        };
    }

    static Op op(Task t) { return Op.valueOf(t.get("op").toUpperCase(Locale.ROOT)); }

    @Override public void validate(Task t) {
        t.requireOneOf("op", Arrays.stream(Op.values()).map(o -> o.name().toLowerCase(Locale.ROOT)).toList());
        t.require("input");
        t.require("answer");
    }

    @Override public String ideal(Task t) {
        String answer = t.get("answer");
        return switch (op(t)) {
            case NUMBERS -> answer.replace(" ", ", ") + ".";
            default -> answer + ".";
        };
    }

    @Override public String ideal(Task t, Rng rng) {
        return switch (op(t)) {
            case FIRST -> rng.nextInt(2) == 0 ? ideal(t) : "The first word is " + t.get("answer") + ".";
            case LAST -> rng.nextInt(2) == 0 ? ideal(t) : "The last word is " + t.get("answer") + ".";
            case NUMBERS -> rng.nextInt(2) == 0 ? ideal(t) : "The numbers are " + t.get("answer").replace(" ", " and ") + ".";
            default -> rng.nextInt(3) == 0 ? "Here they are: " + ideal(t) : ideal(t);
        };
    }

    /** Content words of a response, as written (case kept for the uppercase task). */
    private static List<String> content(String response) {
        return Words.raw(response).stream().filter(w -> !FILLER.contains(w.toLowerCase(Locale.ROOT))).toList();
    }

    private static List<String> lowerCase(List<String> words) { return words.stream().map(w -> w.toLowerCase(Locale.ROOT)).toList(); }

    @Override public FamilyCheck check(Task t, String response) {
        Op op = op(t);
        // Small talk states nothing (not a hallucination), and case is part of the answer only when capitals are asked.
        List<String> got = content(SmallTalk.without(response));
        List<String> want = List.of(t.get("answer").split(" "));
        if (op != Op.UPPER) { got = lowerCase(got); want = lowerCase(want); }
        Set<String> given = new HashSet<>();
        for (String w : Words.raw(t.get("input"))) given.add(w.toLowerCase(Locale.ROOT));
        boolean hallucinates = got.stream().anyMatch(w -> !given.contains(w.toLowerCase(Locale.ROOT)));
        // The numbers of a sentence may be given in any order: none is asked.
        boolean correct = op == Op.NUMBERS ? got.stream().sorted().toList().equals(want.stream().sorted().toList()) : got.equals(want);
        boolean attempts = got.stream().anyMatch(w -> given.contains(w.toLowerCase(Locale.ROOT)));
        // Partial credit: the right words, in the wrong order or case.
        List<String> gotLower = lowerCase(got).stream().sorted().toList();
        List<String> wantLower = lowerCase(want).stream().sorted().toList();
        double partial = gotLower.equals(wantLower) ? 0.5 : (attempts && !hallucinates ? 0.2 : 0);
        return FamilyCheck.of(correct, partial, attempts, true, hallucinates);
    }

    @Override public String partial(Task t, Rng rng) {
        List<String> input = Words.raw(t.get("input"));
        return switch (op(t)) {
            case REVERSE -> String.join(" ", input) + ".";                                // unchanged order
            case SORT -> String.join(" ", input.equals(input.stream().sorted().toList()) ? input.reversed() : input) + ".";
            case UPPER -> String.join(" ", input.stream().map(Vocab::capitalize).toList()) + ".";
            case FIRST -> input.get(1) + ".";
            case LAST -> input.get(input.size() - 2) + ".";
            case NUMBERS -> t.get("answer").split(" ")[0] + ".";
        };
    }

    @Override public String wrong(Task t, Rng rng) {
        List<String> want = new ArrayList<>(List.of(t.get("answer").split(" ")));
        Set<String> given = new HashSet<>(Words.raw(t.get("input").toLowerCase(Locale.ROOT)));
        String extra;
        if (op(t) == Op.NUMBERS) {
            do extra = String.valueOf(1 + rng.nextInt(30)); while (given.contains(extra));
        } else {
            do extra = Vocab.pick(Vocab.FRUITS, rng); while (given.contains(extra));
            if (op(t) == Op.UPPER) extra = extra.toUpperCase(Locale.ROOT);
        }
        want.set(rng.nextInt(want.size()), extra);   // one given word swapped for one that was never given
        return String.join(op(t) == Op.NUMBERS ? ", " : " ", want) + ".";
    }
}
