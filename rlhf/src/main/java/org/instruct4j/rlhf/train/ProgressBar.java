package org.instruct4j.rlhf.train;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Map;
import java.util.SequencedMap;
import java.util.TreeMap;

/**
 * A one-line console progress bar on stderr: "sft  [#####.....] 120/400  3.1 it/s  ETA 1m30s  loss 2.31".
 * On a terminal it redraws in place; otherwise (a log file, CI) it prints a plain line every few seconds.
 *
 * <p>The rate and ETA leave out what came before the first report: a run's first step pays for the JIT and for
 * memory touched the first time (seconds, against milliseconds later), and counted in it would put the first ETAs an
 * hour out for a run of a minute.
 */
public final class ProgressBar {
    private final String label;
    private final long total;
    private final PrintStream out;
    private final boolean tty;
    private final long startNanos = System.nanoTime();
    private long lastPrintNanos;
    private final long plainEveryNanos;
    /** The first report, from which the rate is measured; done is -1 until then. */
    private long firstDone = -1, firstNanos;

    public ProgressBar(String label, long total) { this(label, total, System.err, System.console() != null, 5_000_000_000L); }

    public ProgressBar(String label, long total, PrintStream out, boolean tty, long plainEveryNanos) {
        this.label = label;
        this.total = total;
        this.out = out;
        this.tty = tty;
        this.plainEveryNanos = plainEveryNanos;
    }

    /** Reports that done of total steps are finished, with a few metrics to show beside the bar. */
    public void update(long done, Map<String, ? extends Number> metrics) {
        long now = System.nanoTime();
        if (firstDone < 0) {
            firstDone = done;
            firstNanos = now;
        }
        boolean last = done >= total;
        if (!tty && !last && lastPrintNanos != 0 && now - lastPrintNanos < plainEveryNanos) return;
        lastPrintNanos = now;
        String line = line(done, (now - startNanos) / 1e9, steadyRate(firstDone, firstNanos / 1e9, done, now / 1e9), metrics);
        if (tty) out.print("\r" + line + "\u001b[K" + (last ? "\n" : ""));
        else out.println(line);
        out.flush();
    }

    /** Ends the line (on a terminal) if the bar did not reach its total. */
    public void finish() {
        if (tty) out.println();
        out.flush();
    }

    /** Steps a second since the first report (0 while there is none to measure). */
    static double steadyRate(long firstDone, double firstSeconds, long done, double seconds) {
        return done > firstDone && seconds > firstSeconds ? (done - firstDone) / (seconds - firstSeconds) : 0;
    }

    /** The bar after done steps, seconds since it was made, at rate steps a second (0: not known yet). */
    String line(long done, double seconds, double rate, Map<String, ? extends Number> metrics) {
        int width = 20;
        int filled = total <= 0 ? width : (int) Math.min(width, width * done / total);
        StringBuilder sb = new StringBuilder();
        sb.append(label).append(" [").append("#".repeat(filled)).append(".".repeat(width - filled)).append("] ");
        sb.append(done).append('/').append(total);
        if (rate > 0) sb.append(String.format(Locale.ROOT, "  %.2f it/s", rate));
        if (rate > 0 && done < total) sb.append("  ETA ").append(duration((total - done) / rate));
        else sb.append("  ").append(duration(seconds));
        if (metrics == null) return sb.toString();
        // In the map's own order when it has one, else by name: Map.of's order changes from one JVM to the next.
        var entries = metrics instanceof SequencedMap<String, ? extends Number> ordered ? ordered.entrySet()
                : new TreeMap<String, Number>(metrics).entrySet();
        for (Map.Entry<String, ? extends Number> e : entries)
            sb.append(String.format(Locale.ROOT, "  %s %.4g", e.getKey(), e.getValue().doubleValue()));
        return sb.toString();
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        if (s < 60) return s + "s";
        if (s < 3600) return (s / 60) + "m" + String.format(Locale.ROOT, "%02ds", s % 60);
        return (s / 3600) + "h" + String.format(Locale.ROOT, "%02dm", (s / 60) % 60);
    }
}
