package org.instruct4j.rlhf.world;

import org.instruct4j.engine.Rng;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Closed-domain question answering: a short passage about a person and a question about it. The answer must come
 * from the passage; a fact word (name, town, job, animal, color, fruit, number) that is not in the passage is a
 * hallucination.
 */
public final class ClosedQaFamily implements TaskFamily {
    static final String NAME = "closed_qa";

    /** The facts a passage can state about its person. */
    enum Slot { JOB, TOWN, PET, COLOR, FRUIT, COUNT }

    private static final List<String> PHRASINGS = List.of(
            "Read the text and answer the question. Text: %s Question: %s",
            "Answer using only the passage. Passage: %s Question: %s",
            "Text: %s Based on the text, answer this: %s",
            "Here is a short story. %s Now answer: %s",
            "Here is a text. %s Answer from the text only: %s",
            "Story: %s Question about the story: %s",
            "Use the text to answer. %s %s",
            "%s Using only this text, answer: %s");

    @Override public String name() { return NAME; }

    @Override public boolean closedDomain() { return true; }

    @Override public Task generate(Rng rng) {
        Map<String, String> facts = new LinkedHashMap<>();
        String person = Vocab.pick(Vocab.NAMES, rng);
        facts.put("name", person);
        facts.put("job", Vocab.pick(Vocab.JOBS, rng));
        facts.put("town", Vocab.pick(Vocab.TOWNS, rng));
        facts.put("animal", Vocab.pick(Vocab.ANIMALS, rng));
        facts.put("color", Vocab.pick(Vocab.COLORS, rng));
        facts.put("fruit", Vocab.pick(Vocab.FRUITS, rng));
        facts.put("count", Integer.toString(2 + rng.nextInt(8)));

        Slot asked = Slot.values()[rng.nextInt(Slot.values().length)];
        // The passage states the asked fact and two or three others, in a shuffled order.
        List<Slot> others = new ArrayList<>(List.of(Slot.values()));
        others.remove(asked);
        // The pet's sentence and the colour's are one sentence ("Tom has a red cat."): it is said once.
        others.remove(asked == Slot.COLOR ? Slot.PET : Slot.COLOR);
        shuffle(others, rng);
        List<Slot> stated = new ArrayList<>(others.subList(0, 2 + rng.nextInt(2)));
        stated.add(rng.nextInt(stated.size() + 1), asked);
        StringBuilder passage = new StringBuilder();
        for (Slot s : stated) passage.append(passage.isEmpty() ? "" : " ").append(sentence(s, facts));

        Map<String, String> data = new LinkedHashMap<>(facts);
        data.put("passage", passage.toString());
        data.put("slot", asked.name().toLowerCase());
        data.put("question", question(asked, facts, rng));
        data.put("answer", answerWord(asked, facts));
        String instruction = Vocab.pick(PHRASINGS, rng).formatted(passage, data.get("question"));
        return new Task(NAME, instruction, data);
    }

    static String sentence(Slot s, Map<String, String> f) {
        String n = f.get("name");
        return switch (s) {
            case JOB -> n + " is a " + f.get("job") + ".";
            case TOWN -> n + " lives in " + f.get("town") + ".";
            case PET -> n + " has a " + f.get("color") + " " + f.get("animal") + ".";
            case COLOR -> n + " has a " + f.get("color") + " " + f.get("animal") + ".";
            case FRUIT -> n + " likes " + f.get("fruit") + "s.";
            case COUNT -> n + " eats " + f.get("count") + " " + f.get("fruit") + "s each day.";
        };
    }

    private static String question(Slot s, Map<String, String> f, Rng rng) {
        String n = f.get("name");
        List<String> options = switch (s) {
            case JOB -> List.of("What is the job of " + n + "?", "What does " + n + " do for work?", "What is " + n + "'s job?",
                    "What does " + n + " work as?");
            case TOWN -> List.of("Where does " + n + " live?", "In which town does " + n + " live?",
                    "In what town does " + n + " live?", "What town is " + n + " in?");
            case PET -> List.of("What animal does " + n + " have?", "What pet does " + n + " have?",
                    "What kind of animal does " + n + " have?", n + " has which pet?");
            case COLOR -> List.of("What color is the " + f.get("animal") + " of " + n + "?",
                    "What color is " + n + "'s " + f.get("animal") + "?", "Which color is the " + f.get("animal") + " of " + n + "?");
            case FRUIT -> List.of("What fruit does " + n + " like?", "Which fruit does " + n + " like?",
                    "What fruit is liked by " + n + "?", n + " likes which fruit?");
            case COUNT -> List.of("How many " + f.get("fruit") + "s does " + n + " eat each day?",
                    "What number of " + f.get("fruit") + "s does " + n + " eat each day?");
        };
        return Vocab.pick(options, rng);
    }

    private static String answerWord(Slot s, Map<String, String> f) {
        return switch (s) {
            case JOB -> f.get("job");
            case TOWN -> f.get("town");
            case PET -> f.get("animal");
            case COLOR -> f.get("color");
            case FRUIT -> f.get("fruit");
            case COUNT -> f.get("count");
        };
    }

    private static Slot slot(Task t) { return Slot.valueOf(t.get("slot").toUpperCase()); }

    /** The passage, the asked slot and its answer, and every fact a sentence about the person may state. */
    @Override public void validate(Task t) {
        for (String fact : List.of("passage", "answer", "name", "job", "town", "animal", "color", "fruit", "count")) t.require(fact);
        t.requireOneOf("slot", Arrays.stream(Slot.values()).map(s -> s.name().toLowerCase()).toList());
    }

    @Override public String ideal(Task t) { return answerSentence(slot(t), t.data()); }

    private static String answerSentence(Slot s, Map<String, String> f) {
        String n = f.get("name");
        return switch (s) {
            case JOB -> n + " is a " + f.get("job") + ".";
            case TOWN -> n + " lives in " + f.get("town") + ".";
            case PET -> n + " has a " + f.get("animal") + ".";
            case COLOR -> "The " + f.get("animal") + " is " + f.get("color") + ".";
            case FRUIT -> n + " likes " + f.get("fruit") + "s.";
            case COUNT -> n + " eats " + f.get("count") + " " + f.get("fruit") + "s each day.";
        };
    }

    @Override public String ideal(Task t, Rng rng) {
        return switch (rng.nextInt(3)) {
            case 0 -> ideal(t);
            case 1 -> "The answer is " + t.get("answer") + ".";
            default -> "The text says: " + ideal(t);
        };
    }

    @Override public FamilyCheck check(Task t, String response) {
        List<String> words = Words.normalized(response);
        Set<String> passage = new HashSet<>(Words.normalized(t.get("passage")));
        boolean hallucinates = words.stream().anyMatch(w -> isFact(w) && !passage.contains(w));
        // "Tom does not live in Oakton." names the answer without giving it.
        List<String> asserted = Negation.asserted(response);
        boolean mentionsAnswer = asserted.contains(Words.normalize(t.get("answer")));
        // The passage said back, every fact of it, answers any question about it as well as this one: it does not
        // pick out the answer.
        String person = Words.normalize(t.get("name"));
        Set<String> passageFacts = new HashSet<>(passage);
        passageFacts.removeIf(w -> !isFact(w) || w.equals(person));
        boolean copiesPassage = asserted.containsAll(passageFacts);
        // Attempting means naming the passage's person or offering a fact as an answer (right or wrong: "Tom has a
        // pig." attempts and hallucinates). "The text says." or a sentence about the weather attempts nothing.
        boolean attempts = words.stream().anyMatch(w -> isFact(w) || w.equals(person));
        // The passage has one fact of each kind, so an answer that invents nothing is wrong only by answering
        // another question ("Tom is a baker."), by denying the answer, or by saying the whole passage back.
        boolean correct = mentionsAnswer && !hallucinates && !copiesPassage;
        double partial = mentionsAnswer ? 0.5 : (attempts ? 0.25 : 0);
        return FamilyCheck.of(correct, partial, attempts, true, hallucinates);
    }

    private static boolean isFact(String w) { return Vocab.FACT_WORDS.contains(w) || Words.isNumber(w); }

    /** Answers a different question about the same passage: wrong, but no hallucination. */
    @Override public String partial(Task t, Rng rng) {
        Slot asked = slot(t);
        List<Slot> stated = new ArrayList<>();
        String passage = t.get("passage");
        for (Slot s : Slot.values())
            if (s != asked && passage.contains(sentence(s, t.data())) && !answerSentence(s, t.data()).contains(t.get("answer")))
                stated.add(s);
        if (stated.isEmpty()) return t.get("name") + " is in the text.";
        return answerSentence(stated.get(rng.nextInt(stated.size())), t.data());
    }

    /** The asked fact replaced by one that is not in the passage. */
    @Override public String wrong(Task t, Rng rng) {
        Slot asked = slot(t);
        Map<String, String> f = new LinkedHashMap<>(t.data());
        Set<String> passage = new HashSet<>(Words.normalized(t.get("passage")));
        String key = switch (asked) {
            case JOB -> "job"; case TOWN -> "town"; case PET -> "animal"; case COLOR -> "color"; case FRUIT -> "fruit";
            case COUNT -> "count";
        };
        List<String> pool = switch (asked) {
            case JOB -> Vocab.JOBS; case TOWN -> Vocab.TOWNS; case PET -> Vocab.ANIMALS; case COLOR -> Vocab.COLORS;
            case FRUIT -> Vocab.FRUITS; case COUNT -> List.of("11", "12", "13", "14", "15");
        };
        String replacement;
        do replacement = Vocab.pick(pool, rng); while (passage.contains(Words.normalize(replacement)));
        f.put(key, replacement);
        return answerSentence(asked, f);
    }

    static <T> void shuffle(List<T> list, Rng rng) {
        for (int i = list.size() - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            T tmp = list.get(i);
            list.set(i, list.get(j));
            list.set(j, tmp);
        }
    }
}
