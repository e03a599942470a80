package org.instruct4j.rlhf.world;

import java.util.List;

/** Several candidate responses to one task, as a labeler sees them for ranking. */
public record ResponseSet(Task task, List<String> responses) {
    public ResponseSet {
        responses = List.copyOf(responses);
    }
}
