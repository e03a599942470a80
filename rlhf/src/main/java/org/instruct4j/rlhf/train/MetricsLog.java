package org.instruct4j.rlhf.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
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
 * run keeps its curve. Also keeps every row in memory for the plots. A null path logs to memory only.
 */
public final class MetricsLog implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final BufferedWriter writer;
    private final List<Map<String, Double>> rows = new ArrayList<>();

    /** Opens path for appending (a resumed run continues its file). */
    public MetricsLog(Path path) {
        try {
            if (path == null) writer = null;
            else {
                if (path.toAbsolutePath().getParent() != null) Files.createDirectories(path.toAbsolutePath().getParent());
                writer = Files.newBufferedWriter(path, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open metrics file " + path + ": " + e.getMessage(), e);
        }
    }

    public static MetricsLog inMemory() { return new MetricsLog(null); }

    public void log(long step, Map<String, ? extends Number> metrics) {
        Map<String, Double> row = new LinkedHashMap<>();
        row.put("step", (double) step);
        for (Map.Entry<String, ? extends Number> e : metrics.entrySet()) row.put(e.getKey(), e.getValue().doubleValue());
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
            writer.write(JSON.writeValueAsString(json));
            writer.newLine();
            writer.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write metrics: " + e.getMessage(), e);
        }
    }

    public List<Map<String, Double>> rows() { return List.copyOf(rows); }

    /** One metric's (step, value) points, skipping rows that lack it. */
    public double[][] series(String name) {
        List<double[]> pts = new ArrayList<>();
        for (Map<String, Double> r : rows) {
            Double v = r.get(name);
            if (v != null && Double.isFinite(v)) pts.add(new double[] {r.get("step"), v});
        }
        double[][] out = new double[2][pts.size()];
        for (int i = 0; i < pts.size(); i++) { out[0][i] = pts.get(i)[0]; out[1][i] = pts.get(i)[1]; }
        return out;
    }

    @Override public void close() {
        if (writer == null) return;
        try {
            writer.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
