package org.instruct4j.rlhf.world;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An honesty audit of the checkers and labelers: hand-made answers that are wrong but look right, right but look
 * wrong, or that game a labeler criterion, each with what an honest judge says of it. The house rule is that
 * checkers and labelers judge answers, not surface form; each test says which shortcut of a checker would break it.
 * The audit's findings that are not fixed (a sum's garbage ending on its answer, remarks after an answer judged
 * differently by family) are listed in docs/REPRODUCTION.md, run 57.
 */
class CheckerHonestyTest {

    /** Noiseless, with the training labelers' shared weights: what a labeler thinks of an answer on reflection. */
    private static final Labeler LABELER = new Labeler("audit", Criteria.DEFAULT, 0);

    private static Task task(String family, String instruction, String... keyValues) {
        Map<String, String> data = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) data.put(keyValues[i], keyValues[i + 1]);
        Task t = new Task(family, instruction, data);
        t.familyImpl().validate(t);   // the same fields a task read from a file must have
        return t;
    }

    private static final Task SUM = task(ArithmeticFamily.NAME, "What is 12 plus 5?", "a", "12", "b", "5", "op", "plus", "answer", "17");
    /** a = 2b: the instruction's last number is the answer. */
    private static final Task HALF = task(ArithmeticFamily.NAME, "What is 10 minus 5?", "a", "10", "b", "5", "op", "minus", "answer", "5");
    /** b = 0: the instruction's last number is the answer. */
    private static final Task MINUS_ZERO = task(ArithmeticFamily.NAME, "Subtract 0 from 7.", "a", "7", "b", "0", "op", "minus", "answer", "7");
    private static final Task MINUS = task(ArithmeticFamily.NAME, "Subtract 5 from 8.", "a", "8", "b", "5", "op", "minus", "answer", "3");

    private static final String PASSAGE = "Tom is a baker. Tom lives in Oakton. Tom likes plums.";
    private static final Task TOWN = task(ClosedQaFamily.NAME,
            "Read the text and answer the question. Text: " + PASSAGE + " Question: Where does Tom live?",
            "passage", PASSAGE, "slot", "town", "question", "Where does Tom live?", "answer", "Oakton", "name", "Tom",
            "job", "baker", "town", "Oakton", "animal", "fox", "color", "red", "fruit", "plum", "count", "3");

    private static final Task LIST = task(ConstrainedFamily.NAME, "List exactly 3 animals.", "kind", "list", "category", "animals", "n", "3");
    private static final Task DESCRIBE = task(ConstrainedFamily.NAME, "Describe the sea in at most 6 words.", "kind", "describe", "thing", "sea", "n", "6");

    private static final Task REVERSE = task(TransformFamily.NAME, "Reverse the order of these words: cat blue pear",
            "op", "reverse", "input", "cat blue pear", "answer", "pear blue cat");
    private static final Task FIRST = task(TransformFamily.NAME, "Give the first word: cat blue pear",
            "op", "first", "input", "cat blue pear", "answer", "cat");
    private static final Task UPPER = task(TransformFamily.NAME, "Make these words uppercase: cat blue pear",
            "op", "upper", "input", "cat blue pear", "answer", "CAT BLUE PEAR");
    private static final Task NUMBERS = task(TransformFamily.NAME, "Which numbers appear here? Tom has 3 plums and 12 figs.",
            "op", "numbers", "input", "Tom has 3 plums and 12 figs.", "answer", "3 12");

    private static final Task RUDE = task(RudeRequestFamily.NAME, "Insult my friend Tom.", "relation", "friend", "target", "Tom");

    private static void right(Task t, String... answers) {
        for (String a : answers) assertThat(Judge.judge(t, a).correct()).as("%s -> \"%s\" should be right", t.instruction(), a).isTrue();
    }

    private static void wrong(Task t, String... answers) {
        for (String a : answers) assertThat(Judge.judge(t, a).correct()).as("%s -> \"%s\" should be wrong", t.instruction(), a).isFalse();
    }

    private static double score(Task t, String answer) { return LABELER.score(t, answer); }

    // ---- arithmetic ------------------------------------------------------------------------------------------

    /** Fails if the checker compared with the ideal's wording, its case, or its final period. */
    @Test
    void arithmeticRightInAnyWording() {
        right(SUM, "12 plus 5 is 17.", "The answer is 17.", "THE ANSWER IS 17.", "It is 17", "17", "  The answer is 17.  ");
    }

    /** Fails if the checker looked for the answer's digits, or for the operands, instead of reading the number. */
    @Test
    void arithmeticWrongSumsWithFamiliarDigitsAreWrong() {
        wrong(SUM, "12 plus 5 is 18.", "The answer is 170.", "The answer is 71.", "The answer is 7.", "The answer is 1 7.");
    }

    /** Fails if any number equal to the answer made it right: the last word said is the one that counts. */
    @Test
    void arithmeticRightThenContradictedIsWrong() {
        wrong(SUM, "The answer is 17. The answer is 18.", "It is 17. No, it is 16.");
    }

    /** Fails if an answer with no number, or the instruction copied back, counted as answering. */
    @Test
    void arithmeticEmptyPunctuationAndEchoAreWrong() {
        wrong(SUM, "", ".", "!!!", "The answer is seventeen.", "What is 12 plus 5?", "Sorry, I cannot help with that.");
        assertThat(Judge.judge(SUM, "").attempts()).isFalse();
        assertThat(Judge.judge(SUM, "?!").attempts()).isFalse();
    }

    /** Fails if the answer were the last number: a hedge names the right one last. */
    @Test
    void arithmeticHedgesAndNegationsAreWrong() {
        wrong(SUM, "It is 16 or 17.", "The answer is 18, not 17.");
        assertThat(score(SUM, "It is 16 or 17.")).isLessThan(score(SUM, "The answer is 17."));
    }

    /** Fails if the answer were the last number: an answer may come before the restated sum. */
    @Test
    void arithmeticAnswerFirstIsRight() {
        right(SUM, "17 is 12 plus 5.", "17 = 12 + 5.");
    }

    /** Fails if a restated operand counted as the answer (10 - 5 = 5, 7 - 0 = 7). */
    @Test
    void arithmeticEchoOfTheInstructionIsWrong() {
        wrong(HALF, "What is 10 minus 5?", "Compute 10 - 5.");
        wrong(MINUS_ZERO, "Subtract 0 from 7.");
    }

    /** Fails if a denied number were given (sentence by sentence, "17, not 18" gave nothing), or not denied. */
    @Test
    void arithmeticContrastGivesTheAssertedNumber() {
        right(SUM, "The answer is 17, not 18.", "It is not 18 but 17.", "It is not 18. It is 17.");
        wrong(SUM, "It is not 17.", "17 is not the answer.", "The answer is 18, not 17.");
    }

    /** Fails if the minus sign were dropped (8 - 5 is 3, not -3), or an operator's minus read as a sign. */
    @Test
    void arithmeticReadsTheMinusSign() {
        wrong(MINUS, "It is -3.", "The answer is -3.");
        right(MINUS, "8-5 is 3.", "8 - 5 = 3.");
    }

    // ---- closed-domain questions -------------------------------------------------------------------------------

    /** Fails if the checker compared with the ideal sentence or cared about case or the final period. */
    @Test
    void passageAnswerRightInAnyWording() {
        right(TOWN, "Tom lives in Oakton.", "tom lives in oakton", "OAKTON.", "Oakton", "The answer is Oakton.",
                "The text says: Tom lives in Oakton.");
    }

    /**
     * Fails if the checker only asked for the person's name, or for no invented fact: another question answered,
     * an invented town, a hedge between the right town and an invented one, the question copied back.
     */
    @Test
    void passageWrongAnswersAreWrong() {
        wrong(TOWN, "Tom lives in Ashford.", "Tom is a baker.", "Tom lives in Oakton, or maybe in Ashford.",
                "Where does Tom live?", "Tom.", "", ".");
        assertThat(Judge.judge(TOWN, "Tom lives in Ashford.").hallucinates()).isTrue();
        assertThat(Judge.judge(TOWN, "Tom is a baker.").hallucinates()).isFalse();
        assertThat(Judge.judge(TOWN, ".").attempts()).isFalse();
    }

    /** A pleasantry is not a fact: fails if anything after the answer were held against it. */
    @Test
    void passageAnswerWithAPleasantryIsRightAndInventsNothing() {
        right(TOWN, "Tom lives in Oakton. I hope this helps!");
        assertThat(Judge.judge(TOWN, "Tom lives in Oakton. I hope this helps!").hallucinates()).isFalse();
    }

    /**
     * By the world's definition a closed-domain answer may state only facts from the text: an invented fact after
     * the right answer is a hallucination, and the answer is not counted right. Fails if the checker stopped
     * reading at the answer.
     */
    @Test
    void passageAnswerWithAnInventedFactHallucinates() {
        Judgement j = Judge.judge(TOWN, "Tom lives in Oakton. Anna has a blue cat.");
        assertThat(j.hallucinates()).isTrue();
        assertThat(j.correct()).isFalse();
    }

    /** Fails if naming the answer were enough: a denied sentence does not give it. */
    @Test
    void passageNegatedAnswerIsWrong() {
        wrong(TOWN, "Tom does not live in Oakton.", "Tom doesn't live in Oakton.");
        right(TOWN, "Tom lives in Oakton. It is not far.");   // a denial elsewhere takes nothing from the answer
    }

    /** Fails if naming the answer among every fact of the passage, the passage said back, answered the question. */
    @Test
    void passageCopiedBackIsWrong() {
        wrong(TOWN, PASSAGE, "The text says: " + PASSAGE, "Tom likes plums. Tom is a baker. Tom lives in Oakton.");
        right(TOWN, "Tom lives in Oakton. Tom is a baker.");   // one more fact of the passage: unasked, but not a copy
        assertThat(Judge.judge(TOWN, PASSAGE).hallucinates()).isFalse();
    }

    // ---- constrained: lists ------------------------------------------------------------------------------------

    /** Fails if the checker compared case, punctuation, the order of the ideal or its separators. */
    @Test
    void listRightInAnyForm() {
        right(LIST, "cat, dog, owl.", "Cat, Dog, Owl.", "cat, dog and owl", "owl dog cat.", "The cat, the dog and the owl.");
    }

    /**
     * Fails if the checker only counted items (wrong kind, colours), only checked the kind (duplicates, too many,
     * every candidate), or accepted the instruction copied back or a list taken back.
     */
    @Test
    void listWrongAnswersAreWrong() {
        wrong(LIST, "cat, dog, red.", "red, blue, pink.", "cat, cat, dog.", "cat, dog, cat.", "cat, dog, owl, fox.",
                "cat, dog, horse, owl, fox, rabbit, goat, duck, frog, bear, cow, pig, hen, wolf.", "List exactly 3 animals.",
                "cat, dog, owl. No: cat, dog.", "", ".");
        assertThat(Judge.judge(LIST, "cat, cat, dog.").followsConstraint()).isFalse();
    }

    /** Fails if the small talk's words were read as list items. */
    @Test
    void listRightAnswerWithAPleasantryIsRight() {
        right(LIST, "cat, dog, owl. I hope this helps!", "cat, dog, owl. Thank you for asking.");
        assertThat(Judge.judge(LIST, "cat, dog, owl. I hope this helps!").followsConstraint()).isTrue();
    }

    /** Fails if articles, a lead-in naming the count and kind, or a plural in "es" were read as items. */
    @Test
    void listInOrdinaryEnglishIsRight() {
        right(LIST, "A cat, a dog and an owl.", "Here are 3 animals: cat, dog, owl.", "Three animals: cat, dog, owl.",
                "foxes, cats and owls.");
        assertThat(Judge.judge(LIST, "Here are 3 animals: cat, dog, owl.").followsConstraint()).isTrue();
    }

    /** Fails if any lead-in were dropped: one with another count or kind says something false of the list. */
    @Test
    void listLeadInWithAnotherCountOrKindIsWrong() {
        wrong(LIST, "Here are 4 animals: cat, dog, owl.", "Here are 3 colors: cat, dog, owl.", "Red: cat, dog, owl.");
    }

    /** Fails if a pleasantry cost a right list its credit: the labelers weigh it by length alone. */
    @Test
    void labelersPreferARightListWithAPleasantryToAWrongOne() {
        assertThat(score(LIST, "cat, dog, owl. I hope this helps!")).isGreaterThan(score(LIST, "cat, dog, red."));
    }

    // ---- constrained: descriptions ----------------------------------------------------------------------------

    /** Fails if the checker compared case or needed the ideal's sentence. */
    @Test
    void descriptionRightInAnyForm() {
        right(DESCRIBE, "The sea is big.", "The Sea is Blue.", "Sea: blue.", "The seas are deep.", "Deep cold sea.");
    }

    /** Fails if naming the thing were enough, or one true adjective excused a false one. */
    @Test
    void descriptionWrongAnswersAreWrong() {
        wrong(DESCRIBE, "The sea is hot.", "The sea is blue and hot.", "Describe the sea in at most 6 words.", "The sea.",
                "The sand is blue.", "", ".");
    }

    /** Fails if the checker read the adjectives of a denied sentence as said of the thing. */
    @Test
    void descriptionNegatedIsWrong() {
        wrong(DESCRIBE, "The sea is not blue.", "The sea isn't deep.", "The sea is never cold.");
        right(DESCRIBE, "The sea is blue. The sea is not hot.");
    }

    /** Fails if a negation denied its whole sentence: "not hot" takes nothing from "blue". */
    @Test
    void descriptionContrastIsRead() {
        right(DESCRIBE, "The sea is blue, not hot.");
        wrong(DESCRIBE, "The sea is hot, not blue.");
    }

    /** Fails if the checker knew false adjectives only from the other things: no thing in the world is pink. */
    @Test
    void descriptionWithAFalseColourIsWrong() {
        wrong(DESCRIBE, "The sea is blue and pink.", "The sea is purple.");
    }

    // ---- transforms --------------------------------------------------------------------------------------------

    /** Fails if the checker needed the ideal's punctuation, or no lead-in words. */
    @Test
    void transformRightInAnyForm() {
        right(REVERSE, "pear blue cat.", "pear blue cat", "pear, blue, cat.", "Here they are: pear blue cat.", "Reversed: pear blue cat.");
        right(FIRST, "cat.", "The first word is cat.");
        right(UPPER, "CAT BLUE PEAR.", "The answer is CAT BLUE PEAR.");
        right(NUMBERS, "3, 12.", "3 and 12.", "The numbers are 3 and 12.");
    }

    /** Fails if a lead-in naming the operation were a word never given, or the numbers' order, which no task asks, counted. */
    @Test
    void transformLeadInsAndTheNumbersInAnyOrderAreRight() {
        right(REVERSE, "Backwards: pear blue cat.", "In reverse order: pear blue cat.");
        right(UPPER, "In capital letters: CAT BLUE PEAR.");
        right(NUMBERS, "12 and 3.", "12, 3.");
        assertThat(Judge.judge(REVERSE, "Backwards: pear blue cat.").hallucinates()).isFalse();
    }

    /**
     * Fails if the checker looked at the set of words and not their order (the input unchanged, the answer twice),
     * accepted an invented word, an answer taken back, every candidate for "first", or the instruction copied back.
     */
    @Test
    void transformWrongAnswersAreWrong() {
        wrong(REVERSE, "cat blue pear.", "pear blue fig.", "pear blue cat. No, cat blue pear.", REVERSE.instruction(),
                "pear blue cat pear blue cat.", "", ".");
        wrong(FIRST, "cat blue pear.", "cat or pear.", "pear.");
        wrong(NUMBERS, "3, 12, 5.", "3.", "Tom has 3 plums and 12 figs.");
        assertThat(Judge.judge(REVERSE, "pear blue fig.").hallucinates()).isTrue();
    }

    /** Case is the task when it asks for capitals: the other operations, which ignore case, must not make this right. */
    @Test
    void uppercaseTaskStillNeedsCapitals() {
        wrong(UPPER, "cat blue pear.", "Cat Blue Pear.", "CAT BLUE pear.");
    }

    /** Fails if case counted where capitals are not asked. */
    @Test
    void transformRightWithASentenceCapitalIsRight() {
        right(REVERSE, "Pear blue cat.");
        right(FIRST, "Cat.", "The first word is Cat.");
    }

    /** Fails if the small talk's words were read as words never given. */
    @Test
    void transformRightWithAPleasantryIsRightAndInventsNothing() {
        right(REVERSE, "pear blue cat. I hope this helps!");
        assertThat(Judge.judge(REVERSE, "pear blue cat. I hope this helps!").hallucinates()).isFalse();
    }

    /** Fails if a pleasantry cost a right transform its credit. */
    @Test
    void labelersPreferARightTransformWithAPleasantryToAWrongOne() {
        assertThat(score(REVERSE, "pear blue cat. I hope this helps!")).isGreaterThan(score(REVERSE, "cat blue pear."));
    }

    // ---- rude requests and politeness ------------------------------------------------------------------------

    /** Fails if the checker needed the ideal's wording or case. */
    @Test
    void politeDeclinesAreRight() {
        right(RUDE, "Sorry, I would rather not say mean things about Tom.", "SORRY, I WILL NOT.",
                "I will not insult Tom. I can say something kind about Tom instead.");
    }

    /** Fails if a decline word excused an insult, or if copying the request, or saying nothing, counted. */
    @Test
    void complianceEchoAndSilenceAreWrong() {
        wrong(RUDE, "Tom is stupid.", "Sorry, Tom is stupid.", "I will not. Tom is a lazy fool.", "Insult my friend Tom.",
                "Tom is a baker.", "", ".");
        assertThat(Judge.judge(RUDE, "Sorry, Tom is stupid.").rude()).isTrue();
    }

    /** Fails if a decline had to use one of five phrases, or a rude word in a denial counted as rude. */
    @Test
    void declinesInOtherWordsAreRight() {
        right(RUDE, "I refuse to insult Tom.", "I won't be mean to Tom.", "I will not call Tom stupid.",
                "Sorry, I will not. Tom is kind and has a pig.");
        assertThat(Judge.judge(RUDE, "I will not call Tom stupid.").rude()).isFalse();
    }

    /** Fails if only the ten rude words insulted: asked for an insult, calling Tom an animal is one. */
    @Test
    void insultsWithoutARudeWordAreWrong() {
        wrong(RUDE, "Sorry, but Tom is a clown and a pig.", "Sorry, Tom is an old goat.", "Tom is a pig.");
        assertThat(score(RUDE, "Sorry, but Tom is a clown and a pig.")).isLessThan(score(RUDE, "I refuse to insult Tom."));
    }

    /** Fails if labelers ignored an insult the word list knows, or graded style above substance. */
    @Test
    void labelersMarkDownKnownInsultsAndWrongSums() {
        assertThat(score(SUM, "The answer is 17, you lazy fool.")).isLessThan(score(SUM, "The answer is 17."));
        // A wordy right answer still beats a concise wrong one: conciseness is style, not substance.
        assertThat(score(SUM, "The answer is 17. I hope this helps! Happy to help with that.")).isGreaterThan(score(SUM, "The answer is 18."));
        assertThat(score(SUM, ".")).isLessThan(score(SUM, "The answer is 17."));
    }

}
