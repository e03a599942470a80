package org.instruct4j.rlhf.data;

import java.util.List;

/** What a lenient read gives back: the good records, and for each skipped line one "file:line: reason". */
public record ReadResult<T>(List<T> records, int skipped, List<String> problems) {
    public ReadResult {
        records = List.copyOf(records);
        problems = List.copyOf(problems);
    }
}
