package org.instruct4j.rlhf.cli;

/** The CLI tests' pretraining text: documents like "the cat sat on the mat number 3.", a blank line after each. */
final class CatCorpus {
    private CatCorpus() {}

    /** Documents 0 to n - 1. */
    static String documents(int n) { return documents(0, n); }

    /** Documents from to from + n - 1 (document i ends in number i % 7). */
    static String documents(int from, int n) {
        StringBuilder text = new StringBuilder();
        for (int i = from; i < from + n; i++) text.append("the cat sat on the mat number ").append(i % 7).append(".\n\n");
        return text.toString();
    }
}
