package org.instruct4j.rlhf.world;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.instruct4j.rlhf.data.DataException;
import org.instruct4j.rlhf.data.Jsonl;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * One instruction of a task family, with the data its checker needs (the passage facts, the expected answer...).
 * All data values are strings so a task is one flat JSON object:
 * {"prompt": ..., "family": ..., "instruction": ..., "data": {...}}.
 */
public record Task(String family, String instruction, Map<String, String> data) {
    public Task {
        data = Map.copyOf(data);
    }

    /** The prompt the model sees (WorldFormat's template around the instruction). */
    public String prompt() { return WorldFormat.prompt(instruction); }

    public String get(String key) {
        String v = data.get(key);
        if (v == null) throw new IllegalStateException("task of family " + family + " has no data field \"" + key + "\"");
        return v;
    }

    public int getInt(String key) { return Integer.parseInt(get(key)); }

    /**
     * The data field key, for a family's {@link TaskFamily#validate}: a task read from a file without it is refused
     * as it is read (IllegalArgumentException naming the field), not when its answer is checked.
     */
    public String require(String key) {
        String v = data.get(key);
        if (v == null) throw new IllegalArgumentException("task of family " + family + " has no data field \"" + key + "\"");
        return v;
    }

    /** The data field key as an integer, for {@link TaskFamily#validate}. */
    public int requireInt(String key) { return requireInt(key, Integer.MIN_VALUE); }

    /** The data field key as an integer of at least min, for {@link TaskFamily#validate}. */
    public int requireInt(String key, int min) {
        String v = require(key);
        try {
            int n = Integer.parseInt(v.strip());
            if (n >= min) return n;
        } catch (NumberFormatException e) {
            // said below, as a value out of range is
        }
        throw new IllegalArgumentException("task of family " + family + ": data field \"" + key + "\" is \"" + v + "\", not an integer"
                + (min == Integer.MIN_VALUE ? "" : " >= " + min));
    }

    /** The data field key, which must be one of the values known, for {@link TaskFamily#validate}. */
    public String requireOneOf(String key, java.util.Collection<String> known) {
        String v = require(key);
        if (!known.contains(v))
            throw new IllegalArgumentException("task of family " + family + ": data field \"" + key + "\" is \"" + v + "\"; known: "
                    + known.stream().sorted().toList());
        return v;
    }

    /** The same task with "Please be polite." in front of the instruction; the checker is unchanged. */
    public Task withPoliteInstruction() {
        Map<String, String> d = new LinkedHashMap<>(data);
        d.put("polite_instruction", "true");
        return new Task(family, WorldFormat.POLITE_PREFIX + instruction, d);
    }

    public TaskFamily familyImpl() { return TaskFamilies.byName(family); }

    public ObjectNode toJson() {
        ObjectNode node = Jsonl.mapper().createObjectNode();
        node.put("prompt", prompt());
        node.put("family", family);
        node.put("instruction", instruction);
        ObjectNode d = node.putObject("data");
        new TreeMap<>(data).forEach(d::put);
        return node;
    }

    /**
     * A task from its JSON form (as in eval_tasks.jsonl); IllegalArgumentException says what is missing, the data
     * fields its family reads included.
     */
    public static Task fromJson(JsonNode node) {
        String family = requireText(node, "family");
        String instruction = requireText(node, "instruction");
        TaskFamily impl = TaskFamilies.byName(family); // unknown family fails here, with the list of known ones
        JsonNode d = node.get("data");
        if (d == null || !d.isObject()) throw new IllegalArgumentException("task has no \"data\" object");
        Map<String, String> data = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = d.properties().iterator(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isValueNode()) throw new IllegalArgumentException("task data \"" + e.getKey() + "\" must be a string");
            data.put(e.getKey(), e.getValue().asText());
        }
        Task task = new Task(family, instruction, data);
        impl.validate(task);
        return task;
    }

    /** A task from one JSON line. */
    public static Task fromJson(String json) {
        try {
            return fromJson(Jsonl.mapper().readTree(json));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new DataException("invalid task JSON: " + e.getOriginalMessage(), e);
        }
    }

    private static String requireText(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || !v.isTextual() || v.asText().isBlank())
            throw new IllegalArgumentException("task needs a non-empty string field \"" + field + "\"");
        return v.asText();
    }
}
