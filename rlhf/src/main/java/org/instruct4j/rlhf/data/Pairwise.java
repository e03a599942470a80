package org.instruct4j.rlhf.data;

import java.util.List;

/** The two-response comparison other RLHF tools use. JSONL: {"prompt": ..., "chosen": ..., "rejected": ...}. */
public record Pairwise(String prompt, String chosen, String rejected) implements HasPrompt {

    /** The same comparison as a ranking of K = 2: completion 0 (chosen) before completion 1 (rejected). */
    public Ranking asRanking() {
        return new Ranking(prompt, List.of(chosen, rejected), List.of(0, 1));
    }
}
