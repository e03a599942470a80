package org.instruct4j.rlhf.world;

import org.instruct4j.engine.Rng;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Generation under an explicit constraint: "List exactly N items of a category" (correct: every item belongs to
 * the category; constraint: exactly N distinct items) and "Describe a thing in at most N words" (correct: names
 * the thing and only adjectives that are true of it; constraint: at most N words).
 */
public final class ConstrainedFamily implements TaskFamily {
    static final String NAME = "constrained";

    /** The count first (a numeral, or now and then its name: "three"), then the category. */
    private static final List<String> LIST = List.of("List exactly %s %s.", "Name %s %s.", "Give me %s %s, separated by commas.",
            "Write a list of %s %s.", "List %s %s.", "What are %s %s?", "Write down %s %s.", "Give %s %s.",
            "Could you give me %s %s?", "Think of %s %s.");
    /** The thing first, then the word limit. */
    private static final List<String> DESCRIBE = List.of("Describe the %1$s in at most %2$d words.",
            "Use at most %2$d words to describe the %1$s.", "In at most %2$d words, tell me about the %1$s.",
            "Describe the %1$s using no more than %2$d words.", "Write at most %2$d words about the %1$s.",
            "How would you describe the %1$s? At most %2$d words.", "Give a short description of the %1$s, %2$d words at most.",
            "What can you say about the %1$s in at most %2$d words?");
    private static final List<String> CATEGORY_NAMES = List.of("animals", "colors", "fruits", "tools", "towns", "jobs");

    @Override public String name() { return NAME; }

    @Override public boolean closedDomain() { return false; }

    @Override public Task generate(Rng rng) {
        if (rng.nextInt(2) == 0) {
            String category = Vocab.pick(CATEGORY_NAMES, rng);
            int n = 2 + rng.nextInt(4);
            String count = rng.nextInt(4) == 0 ? Vocab.numberName(n) : "" + n;
            return new Task(NAME, Vocab.pick(LIST, rng).formatted(count, category),
                    Map.of("kind", "list", "category", category, "n", "" + n));
        }
        List<String> things = List.copyOf(Vocab.THINGS.keySet());
        String thing = Vocab.pick(things, rng);
        int n = 5 + rng.nextInt(5);
        return new Task(NAME, Vocab.pick(DESCRIBE, rng).formatted(thing, n), Map.of("kind", "describe", "thing", thing, "n", "" + n));
    }

    @Override public void validate(Task t) {
        if (t.requireOneOf("kind", List.of("list", "describe")).equals("list")) {
            String category = t.requireOneOf("category", CATEGORY_NAMES);
            int n = t.requireInt("n", 1);
            if (n > Vocab.CATEGORIES.get(category).size())
                throw new IllegalArgumentException("task of family " + NAME + ": data field \"n\" is " + n + ", more than the "
                        + Vocab.CATEGORIES.get(category).size() + " " + category + " it knows");
        } else {
            t.requireOneOf("thing", Vocab.THINGS.keySet());
            t.requireInt("n", 1);
        }
    }

    private static boolean isList(Task t) { return t.get("kind").equals("list"); }

    private static List<String> items(Task t) { return Vocab.CATEGORIES.get(t.get("category")); }

    @Override public String ideal(Task t) { return isList(t) ? listOf(items(t).subList(0, t.getInt("n"))) : describe(t, 0); }

    @Override public String ideal(Task t, Rng rng) {
        if (!isList(t)) return describe(t, rng.nextInt(3));
        List<String> pool = new ArrayList<>(items(t));
        ClosedQaFamily.shuffle(pool, rng);
        return listOf(pool.subList(0, t.getInt("n")));
    }

    private static String listOf(List<String> items) { return String.join(", ", items) + "."; }

    /** "The sea is big and blue." (6 words) when allowed, else "The sea is big." (4 words). */
    private static String describe(Task t, int variant) {
        String thing = t.get("thing");
        List<String> adj = Vocab.THINGS.get(thing);
        String a = adj.get(variant % adj.size()), b = adj.get((variant + 1) % adj.size());
        return t.getInt("n") >= 6 ? "The " + thing + " is " + a + " and " + b + "." : "The " + thing + " is " + a + ".";
    }

    private static final Set<String> FILLER = Set.of("the", "is", "and", "a", "an", "it", "are", "here", "some", "very");

    /**
     * "Here are 3 animals: cat, dog, owl." names its count and kind before the list; such a lead-in is not an item.
     * One that names anything else, or another count, stays and is read with the list.
     */
    private static String withoutLeadIn(Task t, String response) {
        int colon = response.indexOf(':');
        if (colon < 0) return response;
        int n = t.getInt("n");
        Set<String> leadIn = new HashSet<>(FILLER);
        leadIn.addAll(List.of(Words.normalize(t.get("category")), "" + n, Vocab.numberName(n)));
        for (String w : Words.normalized(response.substring(0, colon))) if (!leadIn.contains(w)) return response;
        return response.substring(colon + 1);
    }

    @Override public FamilyCheck check(Task t, String response) {
        List<String> words = Words.normalized(response);
        int n = t.getInt("n");
        if (isList(t)) {
            Set<String> category = new HashSet<>();
            for (String w : items(t)) category.add(Words.normalize(w));
            // "cat, dog, owl. I hope this helps!" lists three animals: the small talk names no item.
            List<String> content = Words.normalized(withoutLeadIn(t, SmallTalk.without(response))).stream()
                    .filter(w -> !FILLER.contains(w)).toList();
            Set<String> distinct = new LinkedHashSet<>(content);
            long inCategory = distinct.stream().filter(category::contains).count();
            boolean allInCategory = !content.isEmpty() && inCategory == distinct.size();
            boolean exactlyN = allInCategory && distinct.size() == n && content.size() == n;
            double partial = content.isEmpty() ? 0 : 0.5 * inCategory / Math.max(distinct.size(), n);
            return FamilyCheck.of(allInCategory && exactlyN, partial, inCategory > 0, exactlyN, false);
        }
        String thing = t.get("thing");
        Set<String> trueAdjectives = new HashSet<>(Vocab.THINGS.get(thing));
        Set<String> allAdjectives = new HashSet<>(Vocab.adjectives());
        for (String colour : Vocab.COLORS) allAdjectives.add(Words.normalize(colour));   // "pink" is no thing's, and false of each
        boolean namesThing = words.contains(thing);
        // What a denied sentence says is the opposite: "not blue" is false of the sea, "not pink" says nothing of it.
        List<String> asserted = Negation.asserted(response), denied = Negation.denied(response);
        long right = asserted.stream().filter(trueAdjectives::contains).count();
        long falseOnes = asserted.stream().filter(w -> allAdjectives.contains(w) && !trueAdjectives.contains(w)).count()
                + denied.stream().filter(trueAdjectives::contains).count();
        boolean withinLimit = !words.isEmpty() && words.size() <= n;
        boolean correct = namesThing && right > 0 && falseOnes == 0;
        double partial = namesThing ? (falseOnes == 0 ? 0.3 : 0.1) : 0;
        return FamilyCheck.of(correct, partial, namesThing, withinLimit, false);
    }

    /** Lists: one item too many or too few. Descriptions: true, but far over the word limit. */
    @Override public String partial(Task t, Rng rng) {
        if (isList(t)) {
            int n = t.getInt("n");
            List<String> pool = new ArrayList<>(items(t));
            ClosedQaFamily.shuffle(pool, rng);
            return listOf(pool.subList(0, rng.nextInt(2) == 0 ? n - 1 : n + 1));
        }
        String thing = t.get("thing");
        List<String> adj = Vocab.THINGS.get(thing);
        return "The " + thing + " is " + String.join(" and ", adj) + " and the " + thing + " is very " + adj.getFirst() + ".";
    }

    /** Lists: items of another category. Descriptions: adjectives that belong to another thing. */
    @Override public String wrong(Task t, Rng rng) {
        if (isList(t)) {
            String other;
            do other = Vocab.pick(CATEGORY_NAMES, rng); while (other.equals(t.get("category")));
            return listOf(Vocab.CATEGORIES.get(other).subList(0, t.getInt("n")));
        }
        String thing = t.get("thing");
        Set<String> trueAdjectives = new HashSet<>(Vocab.THINGS.get(thing));
        List<String> falseOnes = new ArrayList<>(Vocab.adjectives().stream().filter(a -> !trueAdjectives.contains(a)).sorted().toList());
        ClosedQaFamily.shuffle(falseOnes, rng);
        return "The " + thing + " is " + falseOnes.get(0) + ".";
    }

    @Override public int conciseLimit(Task t) { return isList(t) ? 2 * t.getInt("n") + 6 : t.getInt("n") + 4; }
}
