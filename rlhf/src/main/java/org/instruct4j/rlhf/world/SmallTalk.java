package org.instruct4j.rlhf.world;

/**
 * Small talk: a sentence that names nothing of the world (no person, place, job, animal, colour, fruit, tool, thing,
 * property or number), such as the labelers' own "I hope this helps!". It states nothing that could be right or
 * wrong, so a checker judges the answer without it; what it costs is the labelers' to weigh, by the response's
 * length and ending, as for any other words.
 */
final class SmallTalk {
    private SmallTalk() {}

    /** The response's sentences that state something, small talk left out. */
    static String without(String response) {
        StringBuilder kept = new StringBuilder();
        for (String sentence : Words.sentences(response))
            if (statesSomething(sentence)) kept.append(kept.isEmpty() ? "" : " ").append(sentence);
        return kept.toString();
    }

    private static boolean statesSomething(String sentence) {
        return Words.normalized(sentence).stream().anyMatch(Vocab::namesTheWorld);
    }
}
