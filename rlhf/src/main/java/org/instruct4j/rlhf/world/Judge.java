package org.instruct4j.rlhf.world;

import java.util.Locale;

/** Judges a response: the family's checker plus the criteria every task shares (politeness, length, ending). */
public final class Judge {
    private Judge() {}

    public static Judgement judge(Task task, String response) {
        TaskFamily family = task.familyImpl();
        String text = response.strip();
        FamilyCheck fc = family.check(task, text);
        boolean rude = RudeRequestFamily.rude(text);
        int words = Words.count(text);
        int limit = family.conciseLimit(task);
        boolean concise = words > 0 && words <= limit;
        boolean endsProperly = endsProperly(text);
        boolean hallucinates = family.closedDomain() && fc.hallucinates();
        double quality = Criteria.DEFAULT.score(fc.credit(), fc.attempts(), fc.followsConstraint(),
                hallucinates, rude, concise, endsProperly, Math.max(0, words - limit));
        return new Judgement(fc.correct() && !rude, fc.attempts(), fc.followsConstraint(), hallucinates, rude, concise,
                endsProperly, fc.credit(), words, quality);
    }

    /**
     * A response ends properly when it is one finished statement: it ends with "." or "!", and does not run on
     * into a new line, another prompt, or a question (what a model that continues text instead of answering does).
     */
    static boolean endsProperly(String text) {
        if (text.isEmpty() || text.contains("\n")) return false;
        String lower = text.toLowerCase(Locale.ROOT);
        if (lower.contains("instruction:") || lower.contains("response:") || lower.contains("<|endoftext|>")) return false;
        return text.endsWith(".") || text.endsWith("!");
    }
}
