package org.instruct4j.rlhf.plot;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.imageio.ImageIO;
import org.instruct4j.engine.io.AtomicFiles;
import org.instruct4j.rlhf.train.MetricsLog;
import org.knowm.xchart.AnnotationLine;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategorySeries;
import org.knowm.xchart.CategorySeries.CategorySeriesRenderStyle;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.AxesChartStyler;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Every chart the project draws (XChart, headless, PNG of {@link #WIDTH} x {@link #HEIGHT}): bars of one value per
 * model, with 95% intervals as error bars and a labelled reference line, and curves against the training step.
 * A model has the same colour in every chart; tick values are round (XChart picks them), axes have titles with
 * units, and a legend with swatches names every bar and curve.
 */
public final class Charts {
    public static final int WIDTH = 800, HEIGHT = 480;

    /** The demo's policies and models, each in its own colour everywhere. */
    private static final Map<String, Color> MODEL_COLOURS = Map.of(
            "GPT", new Color(127, 127, 127), "GPT-prompted", new Color(140, 86, 75), "SFT", new Color(31, 119, 180),
            "PPO", new Color(255, 127, 14), "PPO-ptx", new Color(214, 39, 40), "RM", new Color(148, 103, 189));
    /** Curves that are not a model's (a CLI run's metrics), in order. */
    private static final Color[] OTHERS = {new Color(44, 160, 44), new Color(23, 190, 207), new Color(227, 119, 194),
            new Color(188, 189, 34), new Color(31, 119, 180), new Color(255, 127, 14)};

    private static final Color TRANSPARENT = new Color(0, 0, 0, 0);
    private static final Color REFERENCE_COLOUR = new Color(70, 70, 70);
    /** Reference lines, dashed in turn: the first long dashes, the next dots. */
    private static final BasicStroke[] REFERENCE_STROKES = {
            new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10, new float[] {6, 4}, 0),
            new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10, new float[] {2, 3}, 0)};

    /** The reward model's loss: the mean over a batch's comparisons, not its tokens. */
    public static final String RANKING_LOSS_AXIS = "K-way ranking loss (nats/comparison)";
    /**
     * PPO's KL from the SFT model as the trainer logs it: the mean over the sampled responses of log p(policy) -
     * log p(SFT) summed over each response's tokens, an estimate that can dip below zero where the KL itself cannot.
     */
    public static final String KL_AXIS = "estimated KL from the SFT model (nats/response)";

    /** What a metric of the trainers' logs is, as an axis title with its unit (a trainer's own meaning overrides it). */
    private static final Map<String, String> METRIC_AXES = Map.ofEntries(
            Map.entry("loss", "loss (nats/token)"), Map.entry("val_loss", "validation loss (nats/token)"),
            Map.entry("ptx_loss", "pretraining loss (nats/token)"), Map.entry("reward", "reward (reward-model score)"),
            Map.entry("kl", KL_AXIS), Map.entry("entropy", "entropy (nats/token)"),
            Map.entry("clip_fraction", "clipped fraction of tokens"), Map.entry("value_loss", "value loss (squared error)"),
            Map.entry("explained_variance", "explained variance of returns"), Map.entry("response_length", "response length (tokens)"),
            Map.entry("accuracy", "pairwise accuracy (fraction)"), Map.entry("val_accuracy", "validation accuracy (fraction)"),
            Map.entry("lr", "learning rate"), Map.entry("score", "validation score"));

    static {
        System.setProperty("java.awt.headless", "true");   // before any AWT class loads: no window, no display needed
    }

    private Charts() {}

    /** One model's bar: its value and the half-width of its 95% interval (0: no interval). */
    public record Bar(String model, double value, double halfWidth) {
        public static Bar of(String model, double value) { return new Bar(model, value, 0); }
    }

    /** A horizontal line across the bars, with what it means ("50%: as good as SFT"). */
    public record Reference(double value, String label) {}

    /** One curve: its name in the legend (a model, or "MODEL (what)"), x values and y values. */
    public record Curve(String name, double[] x, double[] y) {
        public static Curve of(String name, MetricsLog.Series s) { return new Curve(name, s.steps(), s.values()); }
    }

    /**
     * Bars of one value per model from 0 to yMax, with horizontal reference lines across them (none, one or two).
     *
     * @throws IOException when the file cannot be written
     */
    public static void bars(Path png, String title, String yTitle, List<Bar> bars, double yMax, Reference... references) throws IOException {
        if (references.length > REFERENCE_STROKES.length)
            throw new IllegalArgumentException(png + ": at most " + REFERENCE_STROKES.length + " reference lines, got " + references.length);
        CategoryChart chart = new CategoryChart(WIDTH, HEIGHT);
        chart.setTitle(title);
        chart.setXAxisTitle("model");
        chart.setYAxisTitle(yTitle);
        style(chart.getStyler());
        chart.getStyler().setOverlapped(true);   // one series per model (its own colour), each with a value only in its own slot
        chart.getStyler().setYAxisMin(0.0);
        chart.getStyler().setYAxisMax(yMax);
        chart.getStyler().setErrorBarsColor(Color.BLACK);
        chart.getStyler().setErrorBarsColorSeriesColor(false);
        chart.getStyler().setLabelsVisible(false);
        List<String> models = bars.stream().map(Bar::model).toList();
        boolean intervals = bars.stream().anyMatch(b -> b.halfWidth() > 0);
        for (int i = 0; i < bars.size(); i++) {
            List<Double> values = new ArrayList<>(), errors = new ArrayList<>();
            for (int j = 0; j < bars.size(); j++) {
                // NaN, not 0, in the other models' slots: a 0 there draws a zero-height error bar, a dash at the axis.
                values.add(i == j ? bars.get(i).value() : Double.NaN);
                errors.add(i == j ? bars.get(i).halfWidth() : 0.0);
            }
            CategorySeries s = intervals ? chart.addSeries(models.get(i), models, values, errors) : chart.addSeries(models.get(i), models, values);
            s.setFillColor(colour(models.get(i), i));
        }
        // XChart puts the value-axis ticks at the values themselves when they are equally spaced (all bars 0: ticks
        // at 0 and 100 only); an invisible series at a value off that grid makes it choose round ticks instead.
        List<Double> off = new ArrayList<>();
        for (int j = 0; j < bars.size(); j++) off.add(yMax * Math.PI / 1000);
        CategorySeries spacer = chart.addSeries(" ", models, off);
        spacer.setChartCategorySeriesRenderStyle(CategorySeriesRenderStyle.Line);
        spacer.setLineColor(TRANSPARENT);
        spacer.setMarker(SeriesMarkers.NONE);
        spacer.setShowInLegend(false);
        for (int r = 0; r < references.length; r++) {
            // A line series names the reference in the legend; the annotation carries it across the whole plot.
            List<Double> level = new ArrayList<>();
            for (int j = 0; j < bars.size(); j++) level.add(references[r].value());
            CategorySeries line = chart.addSeries(references[r].label(), models, level);
            line.setChartCategorySeriesRenderStyle(CategorySeriesRenderStyle.Line);
            line.setLineColor(REFERENCE_COLOUR);
            line.setLineStyle(REFERENCE_STROKES[r]);
            line.setMarker(SeriesMarkers.NONE);
            if (r == 0) {   // XChart styles all annotation lines alike, so only the first reference gets one
                chart.getStyler().setAnnotationLineColor(REFERENCE_COLOUR);
                chart.getStyler().setAnnotationLineStroke(REFERENCE_STROKES[0]);
                chart.addAnnotation(new AnnotationLine(references[0].value(), false, false));
            }
        }
        write(chart, png);
    }

    /** Curves against the step; non-finite points are left out. A model's second curve is dashed, with markers. */
    public static void curves(Path png, String title, String xTitle, String yTitle, List<Curve> curves) throws IOException {
        XYChart chart = new XYChart(WIDTH, HEIGHT);
        chart.setTitle(title);
        chart.setXAxisTitle(xTitle);
        chart.setYAxisTitle(yTitle);
        style(chart.getStyler());
        chart.getStyler().setXAxisMin(0.0);   // steps count from 1: an axis from 0 gets round ticks (0, 20, 40, ...)
        chart.getStyler().setXAxisDecimalPattern("#,##0");
        Set<Color> used = new HashSet<>();
        double firstY = Double.NaN;
        for (int i = 0; i < curves.size(); i++) {
            Curve c = curves.get(i);
            List<Double> xs = new ArrayList<>(), ys = new ArrayList<>();
            for (int k = 0; k < c.x().length; k++)
                if (Double.isFinite(c.y()[k])) {
                    xs.add(c.x()[k]);
                    ys.add(c.y()[k]);
                }
            if (xs.isEmpty()) continue;
            if (Double.isNaN(firstY)) firstY = ys.get(0);
            XYSeries s = chart.addSeries(c.name(), xs, ys);
            Color colour = colour(c.name(), i);
            s.setLineColor(colour);
            s.setMarkerColor(colour);
            boolean second = !used.add(colour);
            s.setLineStyle(second ? new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10, new float[] {7, 4}, 0) : new BasicStroke(1.6f));
            s.setMarker(second || xs.size() <= 30 ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
        }
        if (!Double.isNaN(firstY)) {
            // XChart labels equally spaced x values by picking every k-th one (1, 8, 15, ...); one invisible point
            // between them makes it choose round ticks (0, 20, 40, ...) instead.
            XYSeries spacer = chart.addSeries(" ", List.of(0.5), List.of(firstY));
            spacer.setLineColor(TRANSPARENT);
            spacer.setMarker(SeriesMarkers.NONE);
            spacer.setShowInLegend(false);
        }
        write(chart, png);
    }

    /**
     * One chart per metric of a trainer's log, named prefix-metric.png, with the metric's validation companion
     * (val_loss beside loss) on the same axes where the log has one; a metric the log lacks draws nothing.
     *
     * @param axisTitles a metric's axis title where this trainer's differs from the usual one (the reward model's
     *                   loss is per comparison, not per token), and under "step" what a step is (a PPO iteration);
     *                   empty for none
     * @throws IOException when a file cannot be written
     */
    public static void metrics(MetricsLog log, Path dir, String prefix, Map<String, String> axisTitles, String... metrics) throws IOException {
        for (String m : metrics) {
            MetricsLog.Series training = log.series(m), validation = log.series("val_" + m);
            if (training.isEmpty() && validation.isEmpty()) continue;
            List<Curve> curves = new ArrayList<>();
            if (validation.isEmpty()) curves.add(Curve.of(m, training));
            else {
                if (!training.isEmpty()) curves.add(Curve.of("training batches", training));
                curves.add(Curve.of("validation", validation));
            }
            curves(dir.resolve(prefix + "-" + m.replace('_', '-') + ".png"), prefix + ": " + m.replace('_', ' '), axisTitles.getOrDefault("step", "step"),
                    axisTitles.getOrDefault(m, axisTitle(m)), curves);
        }
    }

    /** The axis title (with unit) of a trainers' metric. */
    public static String axisTitle(String metric) { return METRIC_AXES.getOrDefault(metric, metric); }

    /** A model's colour ("PPO-ptx (validation)" is PPO-ptx's); other names take the index-th of the other colours. */
    static Color colour(String name, int index) {
        int paren = name.indexOf(" (");
        Color c = MODEL_COLOURS.get(paren < 0 ? name : name.substring(0, paren));
        return c != null ? c : OTHERS[index % OTHERS.length];
    }

    private static void style(AxesChartStyler s) {
        s.setChartBackgroundColor(Color.WHITE);
        s.setPlotBackgroundColor(Color.WHITE);
        s.setPlotBorderColor(new Color(200, 200, 200));
        s.setPlotGridLinesColor(new Color(225, 225, 225));
        s.setLegendPosition(Styler.LegendPosition.OutsideE);
        s.setLegendBorderColor(new Color(200, 200, 200));
        s.setChartTitleBoxVisible(false);
        s.setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        s.setAxisTitleFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        s.setAxisTickLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        s.setLegendFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        s.setAntiAlias(true);
        s.setYAxisDecimalPattern("#,##0.####");   // 0.05, not .05
    }

    private static void write(Chart<?, ?> chart, Path png) throws IOException {
        // Encoded in memory (a chart is tens of kB), not through ImageIO's cache file in java.io.tmpdir: when the disk
        // fills as AtomicFiles flushes the PNG, the JDK closes that cached stream again as the JVM exits and prints a
        // NullPointerException's trace (FileCacheImageOutputStream.close) after the run's one-line error.
        ImageIO.setUseCache(false);
        AtomicFiles.write(png, out -> BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG));
    }
}
