package org.instruct4j.rlhf.eval;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Predicate;
import org.instruct4j.engine.Rng;
import org.instruct4j.engine.nn.Gpt;
import org.instruct4j.engine.text.BpeTokenizer;
import org.instruct4j.engine.generate.SamplingConfig;
import org.instruct4j.rlhf.world.Vocab;

/**
 * What a pretrained model can do before anyone asks it to, probed in the pretraining text's own form (no
 * instruction): copy the last word of a list, write a list in capitals, say a list backwards, recall a fact a
 * passage stated earlier, finish a small sum, list items of a kind without saying one twice. The tasks need
 * exactly these skills; fine-tuning can only elicit the ones pretraining gave. Each probe is a text cut where the
 * answer starts; the greedy continuation up to its first full stop must be the answer, word for word (for the
 * list of a kind: as many items as the text announced, each of the kind, none twice).
 */
public final class CapabilityProbes {
    private CapabilityProbes() {}

    /** A cut text and what the words that follow it must be. */
    record Item(String text, Predicate<List<String>> accepts) {
        static Item exactly(String text, List<String> answer) { return new Item(text, answer::equals); }
    }

    /** A probe's name and the share of its items the model completed acceptably. */
    public record Probe(String name, double passed) {}

    private static final Map<String, Function<Rng, Item>> PROBES = probes();

    public static List<String> names() { return List.copyOf(PROBES.keySet()); }

    /** Every probe on n items each, greedy; the same seed asks the same items. */
    public static List<Probe> run(Gpt model, BpeTokenizer tok, int n, long seed) {
        Responder responder = new Responder(model, tok, SamplingConfig.greedy(16), 64);
        return run(responder::respond, n, seed);
    }

    /** Every probe on n items each, the continuation of each item's text written by continuations, in order. */
    static List<Probe> run(BiFunction<List<String>, Rng, List<String>> continuations, int n, long seed) {
        List<Probe> out = new ArrayList<>();
        for (var e : PROBES.entrySet()) {
            Rng rng = new Rng(seed * 31 + e.getKey().hashCode());
            List<Item> items = new ArrayList<>();
            for (int i = 0; i < n; i++) items.add(item(e.getKey(), rng));
            List<String> got = continuations.apply(items.stream().map(Item::text).toList(), rng);
            int passed = 0;
            for (int i = 0; i < n; i++) if (items.get(i).accepts().test(answerOf(got.get(i)))) passed++;
            out.add(new Probe(e.getKey(), (double) passed / n));
        }
        return out;
    }

    /** One item of the named probe. */
    static Item item(String probe, Rng rng) { return PROBES.get(probe).apply(rng); }

    /** The words of a continuation up to its first full stop (or line end). */
    static List<String> answerOf(String continuation) {
        String s = continuation;
        for (String stop : List.of(".", "\n")) {
            int at = s.indexOf(stop);
            if (at >= 0) s = s.substring(0, at);
        }
        return List.of(s.strip().split("[ ,]+")).stream().filter(w -> !w.isEmpty()).toList();
    }

    private static Map<String, Function<Rng, Item>> probes() {
        Map<String, Function<Rng, Item>> m = new LinkedHashMap<>();
        m.put("last word of a list", rng -> {
            List<String> w = Vocab.distinctWords(4, rng);
            return Item.exactly(String.join(" ", w) + " Last word:", List.of(w.getLast()));
        });
        m.put("list in capitals", rng -> {
            List<String> w = Vocab.distinctWords(3, rng);
            return Item.exactly(String.join(" ", w) + " In capitals:", w.stream().map(x -> x.toUpperCase(Locale.ROOT)).toList());
        });
        m.put("list backwards", rng -> {
            List<String> w = Vocab.distinctWords(3, rng);
            return Item.exactly(String.join(" ", w) + " Backwards:", w.reversed());
        });
        m.put("fact stated earlier", rng -> {
            String name = Vocab.pick(Vocab.NAMES, rng), job = Vocab.pick(Vocab.JOBS, rng), town = Vocab.pick(Vocab.TOWNS, rng);
            String fruit = Vocab.pick(Vocab.FRUITS, rng);
            String text = name + " lives in " + town + ". " + name + " is a " + job + ". " + name + " likes " + fruit + "s.";
            return switch (rng.nextInt(2)) {
                case 0 -> Item.exactly(text + " The town of " + name + " is", List.of(town));
                default -> Item.exactly(text + " Every day " + name + " works as a", List.of(job));
            };
        });
        m.put("small sum", rng -> {
            int a = rng.nextInt(21), b = rng.nextInt(21);
            return Item.exactly(a + " plus " + b + " is", List.of(String.valueOf(a + b)));
        });
        // The constrained tasks' lists: no answer to copy, so a model that copies earlier words of its list says
        // one twice ("apple, kiwi, apple").
        m.put("list of a kind, none twice", rng -> {
            List<String> kinds = List.copyOf(new TreeSet<>(Vocab.CATEGORIES.keySet()));
            String kind = Vocab.pick(kinds, rng);
            Set<String> members = new HashSet<>(Vocab.CATEGORIES.get(kind));
            int k = 3 + rng.nextInt(3);
            return new Item("Here are " + k + " " + kind + ":",
                    words -> words.size() == k && members.containsAll(words) && new HashSet<>(words).size() == k);
        });
        return m;
    }

}
