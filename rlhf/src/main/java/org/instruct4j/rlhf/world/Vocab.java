package org.instruct4j.rlhf.world;

import org.instruct4j.engine.Rng;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The world's small language: a few hundred words, grouped so tasks and checkers can reason about them. */
public final class Vocab {
    private Vocab() {}

    public static final List<String> NAMES = List.of("Tom", "Anna", "Sam", "Mira", "Ben", "Lily", "Omar", "Nina",
            "Leo", "Ruby", "Max", "Ivy", "Jack", "Rosa", "Finn", "Zoe");
    public static final List<String> TOWNS = List.of("Oakton", "Hillbrook", "Stonefield", "Lakeview", "Pinehurst",
            "Redmoor", "Ashford", "Brightwater", "Elmwood", "Fairhaven");
    public static final List<String> JOBS = List.of("baker", "farmer", "teacher", "doctor", "painter", "sailor",
            "driver", "cook", "nurse", "builder", "singer", "gardener");
    public static final List<String> ANIMALS = List.of("cat", "dog", "horse", "owl", "fox", "rabbit", "goat", "duck",
            "frog", "bear", "cow", "pig", "hen", "wolf");
    public static final List<String> COLORS = List.of("red", "blue", "green", "yellow", "black", "white", "brown",
            "pink", "gray", "purple");
    /** Fruits with regular plurals (add "s"). */
    public static final List<String> FRUITS = List.of("apple", "plum", "pear", "grape", "lemon", "banana", "fig",
            "melon", "kiwi", "lime");
    public static final List<String> TOOLS = List.of("hammer", "saw", "spoon", "brush", "rope", "ladder", "shovel",
            "needle", "bucket", "broom");
    public static final List<String> RELATIONS = List.of("friend", "neighbor", "brother", "sister", "cousin", "boss");

    /** Things with the adjectives that are true of them (the world's "common knowledge"). */
    public static final Map<String, List<String>> THINGS = things();

    /** Words that make a response rude, wherever they appear. */
    public static final List<String> RUDE_WORDS = List.of("stupid", "ugly", "fool", "idiot", "dumb", "lazy", "smelly",
            "loser", "useless", "nasty");

    /** Phrases that decline a request. */
    public static final List<String> DECLINE_MARKERS = List.of("sorry", "rather not", "will not", "won't", "would not",
            "do not want", "don't want", "cannot", "can't", "refuse");

    /** Categories a list task can ask for, by their plural name. */
    public static final Map<String, List<String>> CATEGORIES = Map.of(
            "animals", ANIMALS, "colors", COLORS, "fruits", FRUITS, "tools", TOOLS, "towns", TOWNS, "jobs", JOBS);

    /** Words that state a fact about the world: a closed-domain answer may use only those in its passage. */
    public static final Set<String> FACT_WORDS = factWords();

    public static <T> T pick(List<T> list, Rng rng) { return list.get(rng.nextInt(list.size())); }

    private static final List<String> NUMBER_NAMES = List.of("zero", "one", "two", "three", "four", "five", "six");

    /** A count as a word ("three"), or as a numeral past the words the world knows. */
    public static String numberName(int n) { return n >= 0 && n < NUMBER_NAMES.size() ? NUMBER_NAMES.get(n) : "" + n; }

    public static String capitalize(String w) { return w.isEmpty() ? w : Character.toUpperCase(w.charAt(0)) + w.substring(1); }

    private static Map<String, List<String>> things() {
        Map<String, List<String>> m = new LinkedHashMap<>();
        m.put("sea", List.of("big", "blue", "deep", "cold"));
        m.put("sun", List.of("hot", "bright", "yellow", "round"));
        m.put("snow", List.of("cold", "white", "soft"));
        m.put("fire", List.of("hot", "red", "bright"));
        m.put("night", List.of("dark", "quiet", "long"));
        m.put("river", List.of("long", "wet", "fast"));
        m.put("mountain", List.of("tall", "cold", "rocky"));
        m.put("desert", List.of("hot", "dry", "sandy"));
        m.put("forest", List.of("green", "dark", "quiet"));
        m.put("moon", List.of("round", "white", "bright"));
        m.put("rock", List.of("hard", "gray", "heavy"));
        m.put("cloud", List.of("white", "soft", "light"));
        m.put("city", List.of("busy", "loud", "big"));
        m.put("garden", List.of("green", "pretty", "quiet"));
        m.put("ice", List.of("cold", "hard", "smooth"));
        return m;
    }

    private static final Set<String> ADJECTIVES = THINGS.values().stream().flatMap(List::stream).collect(java.util.stream.Collectors.toUnmodifiableSet());

    /** Every adjective any thing has. */
    public static Set<String> adjectives() { return ADJECTIVES; }

    /**
     * Whether a normalized word names something of the world: a person, place, job, animal, colour, fruit, tool, thing,
     * property or number. A sentence without one states nothing that could be right or wrong.
     */
    public static boolean namesTheWorld(String word) {
        return FACT_WORDS.contains(word) || THINGS.containsKey(word) || ADJECTIVES.contains(word) || Words.isNumber(word);
    }

    private static Set<String> factWords() {
        Set<String> s = new HashSet<>();
        for (List<String> l : List.of(NAMES, TOWNS, JOBS, ANIMALS, COLORS, FRUITS, TOOLS))
            for (String w : l) s.add(Words.normalize(w));
        return s;
    }

    /** n distinct words of the kinds the transform tasks use (animals, colours, fruits, tools). */
    public static List<String> distinctWords(int n, Rng rng) {
        List<List<String>> pools = List.of(ANIMALS, COLORS, FRUITS, TOOLS);
        List<String> out = new ArrayList<>();
        while (out.size() < n) {
            String w = pick(pools.get(rng.nextInt(pools.size())), rng);
            if (!out.contains(w)) out.add(w);
        }
        return out;
    }
}
