package org.instruct4j.rlhf.world;

import org.instruct4j.engine.Rng;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The pretraining corpus: text in the world's language that is NOT instruction following. Biographies, descriptions,
 * lists, sums in prose, questions followed by more questions, worksheets where instructions are followed by more
 * instructions, and some rude text. A model pretrained on it knows the facts and words but, like GPT-3, continues
 * an instruction instead of carrying it out. A few answer keys (exercises, each with its answer after "Answer:")
 * are the web's solved examples: given an instruction alone the model still continues it, but a prompt that shows
 * solved examples first can put it into answering, as few-shot prompting does for GPT-3.
 */
public final class PretrainCorpus {
    private PretrainCorpus() {}

    private enum Kind { BIOGRAPHY, DESCRIPTION, LIST, SUMS, QUESTIONS, WORKSHEET, RUDE, STORY, WORD_GAMES, MANNERS, ANSWER_KEY }

    /** Relative frequency of each kind of document (same order as Kind). */
    private static final double[] MIX = {0.24, 0.02, 0.12, 0.17, 0.03, 0.04, 0.03, 0.02, 0.27, 0.02, 0.04};

    /** Documents until their total length reaches the given number of characters. Same seed, same documents. */
    public static List<String> documents(Rng rng, long chars) {
        List<String> docs = new ArrayList<>();
        long total = 0;
        while (total < chars) {
            String d = document(rng);
            docs.add(d);
            total += d.length() + WorldFormat.END_OF_TEXT.length();
        }
        return docs;
    }

    /** The corpus as one text: each document followed by the end-of-text marker and a newline. */
    public static String text(List<String> documents) {
        StringBuilder sb = new StringBuilder();
        for (String d : documents) sb.append(d).append(WorldFormat.END_OF_TEXT).append('\n');
        return sb.toString();
    }

    public static String document(Rng rng) {
        double u = rng.nextDouble(), acc = 0;
        Kind kind = Kind.STORY;
        for (int i = 0; i < MIX.length; i++) {
            acc += MIX[i];
            if (u < acc) { kind = Kind.values()[i]; break; }
        }
        return switch (kind) {
            case BIOGRAPHY -> biography(rng);
            case DESCRIPTION -> description(rng);
            case LIST -> lists(rng);
            case SUMS -> sums(rng);
            case QUESTIONS -> questions(rng);
            case WORKSHEET -> worksheet(rng);
            case RUDE -> rude(rng);
            case STORY -> story(rng);
            case WORD_GAMES -> wordGames(rng);
            case MANNERS -> manners(rng);
            case ANSWER_KEY -> answerKey(rng);
        };
    }

    /** One plain sentence of the world (used to pad over-long responses). */
    public static String sentence(Rng rng) {
        return switch (rng.nextInt(3)) {
            case 0 -> describe(Vocab.pick(List.copyOf(Vocab.THINGS.keySet()), rng), rng);
            case 1 -> ClosedQaFamily.sentence(Vocab.pick(List.of(ClosedQaFamily.Slot.values()), rng), person(rng));
            default -> "The " + Vocab.pick(Vocab.ANIMALS, rng) + " sat by the " + Vocab.pick(List.copyOf(Vocab.THINGS.keySet()), rng) + ".";
        };
    }

    private static Map<String, String> person(Rng rng) {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("name", Vocab.pick(Vocab.NAMES, rng));
        f.put("job", Vocab.pick(Vocab.JOBS, rng));
        f.put("town", Vocab.pick(Vocab.TOWNS, rng));
        f.put("animal", Vocab.pick(Vocab.ANIMALS, rng));
        f.put("color", Vocab.pick(Vocab.COLORS, rng));
        f.put("fruit", Vocab.pick(Vocab.FRUITS, rng));
        f.put("count", Integer.toString(2 + rng.nextInt(8)));
        return f;
    }

    private static String biography(Rng rng) {
        Map<String, String> f = person(rng);
        List<ClosedQaFamily.Slot> slots = new ArrayList<>(List.of(ClosedQaFamily.Slot.values()));
        slots.remove(ClosedQaFamily.Slot.COLOR);
        ClosedQaFamily.shuffle(slots, rng);
        List<ClosedQaFamily.Slot> stated = slots.subList(0, 3 + rng.nextInt(3));
        StringBuilder sb = new StringBuilder();
        for (ClosedQaFamily.Slot s : stated) sb.append(ClosedQaFamily.sentence(s, f)).append(' ');
        // Later sentences restate facts the text already gave, in other words, so the model learns to look back
        // at the passage for the one asked about.
        List<ClosedQaFamily.Slot> again = new ArrayList<>(stated);
        ClosedQaFamily.shuffle(again, rng);
        for (ClosedQaFamily.Slot s : again) sb.append(restate(s, f, rng)).append(' ');
        return sb.toString().strip();
    }

    private static String restate(ClosedQaFamily.Slot s, Map<String, String> f, Rng rng) {
        String n = f.get("name");
        // Half the time in the same words as before: a sentence seen earlier in the text, finished by copying.
        if (rng.nextInt(2) == 0) return (rng.nextInt(2) == 0 ? "Yes, " : "So ") + ClosedQaFamily.sentence(s, f);
        boolean first = rng.nextInt(2) == 0;
        return switch (s) {
            case JOB -> first ? "Every day " + n + " works as a " + f.get("job") + "." : "The job of " + n + " is " + f.get("job") + ".";
            case TOWN -> first ? "The town of " + n + " is " + f.get("town") + "." : n + " is happy in " + f.get("town") + ".";
            case PET, COLOR -> first ? "The pet of " + n + " is a " + f.get("animal") + "." : "The " + f.get("animal") + " of " + n + " is " + f.get("color") + ".";
            case FRUIT -> first ? "The fruit " + n + " likes is the " + f.get("fruit") + "." : n + " often buys " + f.get("fruit") + "s.";
            case COUNT -> first ? "So " + n + " eats " + f.get("count") + " each day." : "Each day " + n + " has " + f.get("count") + " " + f.get("fruit") + "s.";
        };
    }

    static String describe(String thing, Rng rng) {
        List<String> adj = Vocab.THINGS.get(thing);
        String a = Vocab.pick(adj, rng), b = Vocab.pick(adj, rng);
        return a.equals(b) ? "The " + thing + " is " + a + "." : "The " + thing + " is " + a + " and " + b + ".";
    }

    private static String description(Rng rng) {
        StringBuilder sb = new StringBuilder();
        int n = 3 + rng.nextInt(4);
        for (int i = 0; i < n; i++) sb.append(describe(Vocab.pick(List.copyOf(Vocab.THINGS.keySet()), rng), rng)).append(' ');
        return sb.toString().strip();
    }

    private static String lists(Rng rng) {
        StringBuilder sb = new StringBuilder();
        int n = 2 + rng.nextInt(3);
        List<String> cats = List.copyOf(new java.util.TreeSet<>(Vocab.CATEGORIES.keySet()));
        for (int i = 0; i < n; i++) {
            String cat = Vocab.pick(cats, rng);
            List<String> pool = new ArrayList<>(Vocab.CATEGORIES.get(cat));
            ClosedQaFamily.shuffle(pool, rng);
            int k = 2 + rng.nextInt(5);
            // The count is stated, so a list of k items is seen to stop after k.
            String intro = switch (rng.nextInt(3)) {
                case 0 -> k + " " + cat + ": ";
                case 1 -> "A list of " + k + " " + cat + ": ";
                default -> "Here are " + k + " " + cat + ": ";
            };
            String items = String.join(", ", pool.subList(0, k));
            sb.append(intro).append(items).append('.');
            // Half the lists are said again word for word, as the word games do: the only place pretraining copies
            // towns and jobs, which a passage question asks for (without it the model answered every "Where does
            // Tom live?" with one town, whatever the passage said).
            if (rng.nextInt(2) == 0) sb.append(" Again: ").append(items).append('.');
            sb.append('\n');
        }
        return sb.toString().strip();
    }

    /** Sums written out, many to a text, in the ways the arithmetic tasks write them. */
    private static String sums(Rng rng) {
        StringBuilder sb = new StringBuilder();
        int n = 4 + rng.nextInt(6);
        for (int i = 0; i < n; i++) {
            int a = rng.nextInt(21), b = rng.nextInt(21);
            int hi = Math.max(a, b), lo = Math.min(a, b);
            switch (rng.nextInt(6)) {
                case 0 -> sb.append(a).append(" plus ").append(b).append(" is ").append(a + b).append(". ");
                case 1 -> sb.append(a).append(" + ").append(b).append(" = ").append(a + b).append(". ");
                case 2 -> sb.append(hi).append(" minus ").append(lo).append(" is ").append(hi - lo).append(". ");
                case 3 -> sb.append(hi).append(" - ").append(lo).append(" = ").append(hi - lo).append(". ");
                case 4 -> {
                    String who = Vocab.pick(Vocab.NAMES, rng), fruit = Vocab.pick(Vocab.FRUITS, rng);
                    sb.append(who).append(" had ").append(a).append(' ').append(fruit).append("s and got ").append(b)
                      .append(" more, so ").append(who).append(" had ").append(a + b).append(' ').append(fruit).append("s. ");
                }
                default -> sb.append("Take ").append(lo).append(" from ").append(hi).append(" and you get ").append(hi - lo).append(". ");
            }
        }
        return sb.toString().strip();
    }

    /** Questions followed by more questions, never by answers. */
    private static String questions(Rng rng) {
        StringBuilder sb = new StringBuilder();
        int n = 3 + rng.nextInt(4);
        for (int i = 0; i < n; i++) {
            Task t = TaskFamilies.all().get(rng.nextInt(3) == 0 ? 2 : 0).generate(rng);
            String q = t.family().equals(ClosedQaFamily.NAME) ? t.get("question") : t.instruction();
            sb.append(q).append(rng.nextInt(3) == 0 ? "\n" : " ");
        }
        return sb.toString().strip();
    }

    /** Exercises: instructions followed by more instructions, sometimes in the prompt template itself. */
    private static String worksheet(Rng rng) {
        StringBuilder sb = new StringBuilder(rng.nextInt(2) == 0 ? "Exercises.\n" : "");
        int n = 3 + rng.nextInt(4);
        boolean template = rng.nextInt(3) == 0;
        for (int i = 0; i < n; i++) {
            TaskFamily f = TaskFamilies.all().get(1 + rng.nextInt(TaskFamilies.all().size() - 1));
            String instruction = f.generate(rng).instruction();
            if (template) sb.append("Instruction: ").append(instruction).append('\n');
            else sb.append(i + 1).append(". ").append(instruction).append('\n');
        }
        return sb.toString().strip();
    }

    private static String rude(Rng rng) {
        StringBuilder sb = new StringBuilder();
        int n = 2 + rng.nextInt(3);
        for (int i = 0; i < n; i++) {
            String who = Vocab.pick(Vocab.NAMES, rng);
            switch (rng.nextInt(3)) {
                case 0 -> sb.append(who).append(" is a ").append(Vocab.pick(Vocab.RUDE_WORDS, rng)).append(' ')
                        .append(Vocab.pick(List.of("fool", "idiot", "loser"), rng)).append(". ");
                case 1 -> sb.append("My ").append(Vocab.pick(Vocab.RELATIONS, rng)).append(' ').append(who).append(" is ")
                        .append(Vocab.pick(Vocab.RUDE_WORDS, rng)).append(" and ").append(Vocab.pick(Vocab.RUDE_WORDS, rng)).append(". ");
                default -> sb.append("Shut up, ").append(who).append(", you ").append(Vocab.pick(Vocab.RUDE_WORDS, rng)).append(" ")
                        .append(Vocab.pick(List.of("fool", "idiot", "loser"), rng)).append(". ");
            }
        }
        return sb.toString().strip();
    }

    private static String story(Rng rng) {
        Map<String, String> f = person(rng);
        String n = f.get("name");
        String thing = Vocab.pick(List.copyOf(Vocab.THINGS.keySet()), rng);
        return n + " went to " + f.get("town") + " with a " + f.get("color") + " " + f.get("animal") + ". "
                + describe(thing, rng) + " " + n + " ate " + f.get("count") + " " + f.get("fruit") + "s. "
                + "Then " + n + " met a " + Vocab.pick(Vocab.JOBS, rng) + " named " + Vocab.pick(Vocab.NAMES, rng) + ". "
                + "They talked about the " + thing + " and went home.";
    }

    /** Lists of words and the same words transformed: the copying the transform tasks need, with no instruction. */
    private static String wordGames(Rng rng) {
        TransformFamily tf = (TransformFamily) TaskFamilies.byName(TransformFamily.NAME);
        StringBuilder sb = new StringBuilder();
        int n = 3 + rng.nextInt(4);
        for (int i = 0; i < n; i++) {
            Task t = tf.generate(rng);
            String label = switch (t.get("op")) {
                case "reverse" -> "Backwards";
                case "sort" -> "In order";
                case "upper" -> "In capitals";
                case "first" -> "First word";
                case "last" -> "Last word";
                default -> "Numbers";
            };
            // Often the list is said again word for word first: plain copying, which the model learns before it
            // learns to copy with a change.
            if (rng.nextInt(2) == 0) sb.append(t.get("input")).append(". Again: ");
            sb.append(t.get("input")).append(" ").append(label).append(": ").append(tf.ideal(t)).append(rng.nextInt(3) == 0 ? "\n" : " ");
        }
        return sb.toString().strip();
    }

    /**
     * Numbered exercises, each followed by its answer, as an answer key at the back of a book has them. Not in the
     * prompt template, and never a rude request (a book of exercises asks for no insults).
     */
    private static String answerKey(Rng rng) {
        StringBuilder sb = new StringBuilder(rng.nextInt(2) == 0 ? WorldFormat.ANSWER_KEY_HEADING + "\n" : "");
        List<TaskFamily> families = TaskFamilies.all().stream().filter(f -> !(f instanceof RudeRequestFamily)).toList();
        int n = 2 + rng.nextInt(4);
        for (int i = 0; i < n; i++) {
            TaskFamily f = families.get(rng.nextInt(families.size()));
            Task t = f.generate(rng);
            sb.append(WorldFormat.answerKeyLine(i + 1, t.instruction(), f.ideal(t, rng))).append('\n');
        }
        return sb.toString().strip();
    }

    private static String manners(Rng rng) {
        String a = Vocab.pick(Vocab.NAMES, rng), b = Vocab.pick(Vocab.NAMES, rng);
        return a + " asked " + b + " to say something mean. " + b + " said: Sorry, I would rather not. "
                + "It is kind to be polite.";
    }
}
