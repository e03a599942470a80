package org.instruct4j.rlhf.plot;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;

/**
 * For {@link ChartsTest}, in a JVM of its own: draws a chart as a run does, then encodes one as Charts does into a
 * stream that fails as a full disk fails (when AtomicFiles flushes it), prints the error and exits.
 */
public final class PngOnAFullDisk {
    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("charts");
        Charts.curves(dir.resolve("loss.png"), "loss", "step", "loss", List.of(new Charts.Curve("SFT", new double[] {1, 2}, new double[] {3, 2})));
        XYChart chart = new XYChartBuilder().width(Charts.WIDTH).height(Charts.HEIGHT).build();
        chart.addSeries("SFT", new double[] {1, 2}, new double[] {3, 2});
        OutputStream full = new OutputStream() {
            @Override public void write(int b) {}

            @Override public void write(byte[] b, int off, int len) {}

            @Override public void flush() throws IOException { throw new IOException("No space left on device"); }
        };
        try {
            BitmapEncoder.saveBitmap(chart, full, BitmapEncoder.BitmapFormat.PNG);
        } catch (IOException e) {
            System.out.println(e.getMessage());
        }
    }
}
