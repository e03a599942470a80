package org.instruct4j.rlhf.world;

import org.instruct4j.engine.Rng;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Small arithmetic: a + b and a - b with numbers up to 20 (differences never negative). */
public final class ArithmeticFamily implements TaskFamily {
    static final String NAME = "arithmetic";

    private static final List<String> PLUS = List.of("What is %d plus %d?", "Add %d and %d.", "Compute %d + %d.",
            "What do you get when you add %d and %d?", "What is %d + %d?", "Can you add %d and %d?",
            "Find the sum of %d and %d.", "Calculate %d plus %d.", "Tell me what %d plus %d is.", "Solve %d + %d.",
            "Add up %d and %d.", "What does %d plus %d make?");
    private static final List<String> MINUS = List.of("What is %d minus %d?", "Compute %d - %d.",
            "What do you get when you take %2$d from %1$d?", "Subtract %2$d from %1$d.", "What is %d - %d?",
            "Calculate %d minus %d.", "Find the difference of %d and %d.", "Tell me what %d minus %d is.", "Solve %d - %d.",
            "If you have %d and remove %d, how many are left?", "What does %d minus %d make?", "Can you subtract %2$d from %1$d?");

    @Override public String name() { return NAME; }

    @Override public boolean closedDomain() { return false; }

    @Override public Task generate(Rng rng) {
        boolean plus = rng.nextInt(2) == 0;
        int a = rng.nextInt(21), b = rng.nextInt(21);
        if (!plus && b > a) { int t = a; a = b; b = t; }
        int answer = plus ? a + b : a - b;
        String instruction = Vocab.pick(plus ? PLUS : MINUS, rng).formatted(a, b);
        return new Task(NAME, instruction, Map.of("a", "" + a, "b", "" + b, "op", plus ? "plus" : "minus",
                "answer", "" + answer));
    }

    /** The answer first: the field the checker reads; the operands only word an ideal answer. */
    @Override public void validate(Task t) {
        t.requireInt("answer");
        t.requireInt("a");
        t.requireInt("b");
        t.requireOneOf("op", List.of("plus", "minus"));
    }

    @Override public String ideal(Task t) { return "The answer is " + t.get("answer") + "."; }

    @Override public String ideal(Task t, Rng rng) {
        return switch (rng.nextInt(3)) {
            case 0 -> ideal(t);
            case 1 -> t.get("a") + " " + t.get("op") + " " + t.get("b") + " is " + t.get("answer") + ".";
            default -> "It is " + t.get("answer") + ".";
        };
    }

    /**
     * The response's answer is the number it gives besides the operands: where it restates both ("12 plus 5 is 17.",
     * "17 is 12 plus 5.") they are taken out once, and what is left must be one value. A hedge ("16 or 17") gives two,
     * the instruction copied back none; a wrong restatement ("12 plus 6 is 17.") leaves its wrong operand in. A denied
     * number is not given ("17, not 18" gives 17; "It is not 17." gives nothing), and a minus sign is read ("-3").
     */
    @Override public FamilyCheck check(Task t, String response) {
        if (Words.numbers(response).isEmpty()) return FamilyCheck.of(false, 0, false, true, false);
        List<Integer> numbers = Words.numbers(String.join(" ", Negation.assertedRaw(response)));
        List<Integer> given = new ArrayList<>(numbers);
        if (given.remove((Integer) t.getInt("a")) && !given.remove((Integer) t.getInt("b"))) given = numbers;
        Set<Integer> values = new HashSet<>(given);
        if (values.size() != 1) return FamilyCheck.of(false, 0, true, true, false);
        int answer = t.getInt("answer"), got = given.getFirst();
        double partial = Math.abs(got - answer) == 1 ? 0.3 : 0;
        return FamilyCheck.of(got == answer, partial, true, true, false);
    }

    /** Off by one: the right idea, a slip in the sum. */
    @Override public String partial(Task t, Rng rng) {
        int answer = t.getInt("answer");
        return "The answer is " + (answer == 0 || rng.nextInt(2) == 0 ? answer + 1 : answer - 1) + ".";
    }

    @Override public String wrong(Task t, Rng rng) {
        int answer = t.getInt("answer"), got;
        do got = rng.nextInt(41); while (Math.abs(got - answer) <= 1);
        return "The answer is " + got + ".";
    }
}
