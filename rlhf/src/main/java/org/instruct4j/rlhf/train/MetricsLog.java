package org.instruct4j.rlhf.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Training metrics, one JSON object per line ({"step": 12, "loss": 2.3, ...}), flushed each step so a crashed
 * run keeps its curve. Also keeps every row in memory for the plots. A null path logs to memory only. A checkpoint
 * records {@link #bytes()}; a run resumed from it cuts the file back to that length ({@link #resume}), so the lines
 * a killed run wrote after its last checkpoint are written again, once, as an uninterrupted run writes them.
 */
public final class MetricsLog implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path path;
    private final BufferedWriter writer;
    private final List<Map<String, Double>> rows = new ArrayList<>();
    private long bytes;

    /** Opens path for appending (the file an earlier run left is continued). */
    public MetricsLog(Path path) { this(path, false); }

    private MetricsLog(Path path, boolean truncate) {
        this.path = path;
        try {
            if (path == null) writer = null;
            else {
                if (path.toAbsolutePath().getParent() != null) Files.createDirectories(path.toAbsolutePath().getParent());
                writer = Files.newBufferedWriter(path, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        truncate ? StandardOpenOption.TRUNCATE_EXISTING : StandardOpenOption.APPEND);
                bytes = Files.size(path);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open metrics file " + path + ": " + e.getMessage(), e);
        }
    }

    /** A new log at path: a file an earlier run left there is emptied. */
    public static MetricsLog fresh(Path path) { return new MetricsLog(path, true); }

    /**
     * The log of a run resumed from a checkpoint that recorded the log's length as bytes: the file is cut back to
     * that length and its rows are read back for the plots.
     */
    public static MetricsLog resume(Path path, long bytes) {
        try {
            long size = Files.exists(path) ? Files.size(path) : 0;
            if (bytes < 0 || size < bytes)
                throw new IOException("the checkpoint's metrics end at byte " + bytes + " but the file has " + size + " bytes");
            try (FileChannel ch = FileChannel.open(path, StandardOpenOption.WRITE)) {
                ch.truncate(bytes);
            }
            MetricsLog log = new MetricsLog(path, false);
            for (String line : Files.readAllLines(path, StandardCharsets.UTF_8)) {
                if (line.isBlank()) continue;
                Map<String, Double> row = new LinkedHashMap<>();
                JSON.readTree(line).fields().forEachRemaining(e -> row.put(e.getKey(), e.getValue().isNull() ? Double.NaN : e.getValue().asDouble()));
                log.rows.add(row);
            }
            return log;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot resume metrics file " + path + ": " + e.getMessage(), e);
        }
    }

    /** The length of the file so far, in bytes (0 in memory). */
    public long bytes() { return bytes; }

    /**
     * Logs one row. The metrics are written in their map's order when it has one (a LinkedHashMap), else sorted by
     * name: Map.of's order changes from one JVM to the next, and a resumed run must write the same lines.
     */
    public void log(long step, Map<String, ? extends Number> metrics) {
        Map<String, Double> row = new LinkedHashMap<>();
        row.put("step", (double) step);
        var entries = metrics instanceof java.util.SequencedMap<String, ? extends Number> ordered ? ordered.entrySet()
                : new java.util.TreeMap<String, Number>(metrics).entrySet();
        for (Map.Entry<String, ? extends Number> e : entries) row.put(e.getKey(), e.getValue().doubleValue());
        rows.add(row);
        if (writer == null) return;
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("step", step);
        for (Map.Entry<String, Double> e : row.entrySet()) {
            if (e.getKey().equals("step")) continue;
            double v = e.getValue();
            json.put(e.getKey(), Double.isFinite(v) ? v : null);   // JSON has no NaN
        }
        try {
            String line = JSON.writeValueAsString(json) + "\n";
            writer.write(line);
            writer.flush();
            bytes += line.getBytes(StandardCharsets.UTF_8).length;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write metrics file " + path + ": " + e.getMessage(), e);
        }
    }

    public List<Map<String, Double>> rows() { return List.copyOf(rows); }

    /** One metric over the run: the steps that logged it and its values there. */
    public record Series(double[] steps, double[] values) {
        public boolean isEmpty() { return values.length == 0; }

        public double first() { return values[0]; }

        public double last() { return values[values.length - 1]; }
    }

    /** One metric's points, skipping rows that lack it or hold a non-finite value. */
    public Series series(String name) {
        List<Map<String, Double>> with = rows.stream().filter(r -> r.get(name) != null && Double.isFinite(r.get(name))).toList();
        double[] steps = new double[with.size()], values = new double[with.size()];
        for (int i = 0; i < with.size(); i++) {
            steps[i] = with.get(i).get("step");
            values[i] = with.get(i).get(name);
        }
        return new Series(steps, values);
    }

    @Override public void close() {
        if (writer == null) return;
        try {
            writer.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot close metrics file " + path + ": " + e.getMessage(), e);
        }
    }
}
