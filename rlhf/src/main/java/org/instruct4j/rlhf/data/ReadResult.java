package org.instruct4j.rlhf.data;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * What a lenient read gives back: the good records, and for each skipped line one "file:line: reason", counted
 * by kind of problem.
 */
public record ReadResult<T>(List<T> records, List<String> problems, Map<Kind, Integer> skippedByKind) {

    /** Why a line was skipped. */
    public enum Kind {
        INVALID_UTF8("invalid UTF-8"),
        LINE_TOO_LONG("line too long"),
        INVALID_JSON("invalid JSON"),
        BAD_RECORD("missing or malformed field"),
        PROMPT_TOO_LONG("prompt too long");

        private final String label;

        Kind(String label) { this.label = label; }

        public String label() { return label; }
    }

    public ReadResult {
        records = List.copyOf(records);
        problems = List.copyOf(problems);
        skippedByKind = skippedByKind.isEmpty() ? Map.of() : new EnumMap<>(skippedByKind);
    }

    public int skipped() { return problems.size(); }

    /** "3 lines skipped (1 invalid UTF-8, 2 invalid JSON)", or "" when none was. */
    public String summary() {
        if (problems.isEmpty()) return "";
        String kinds = skippedByKind.entrySet().stream().map(e -> e.getValue() + " " + e.getKey().label()).collect(Collectors.joining(", "));
        return problems.size() + (problems.size() == 1 ? " line" : " lines") + " skipped (" + kinds + ")";
    }
}
