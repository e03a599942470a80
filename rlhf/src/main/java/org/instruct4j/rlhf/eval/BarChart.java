package org.instruct4j.rlhf.eval;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.instruct4j.engine.io.AtomicFiles;

/**
 * A PNG bar chart with 95% interval whiskers and an optional reference line: the shape of the paper's Figure 1
 * (win rate against the SFT baseline, 50% marked). Drawn with java.awt in headless mode.
 */
public final class BarChart {
    /** One bar: its label, value and interval, all in the chart's units. */
    public record Bar(String label, double value, double low, double high) {}

    private BarChart() {}

    public static void write(Path file, String title, String yLabel, List<Bar> bars, double yMax, Double referenceLine)
            throws IOException {
        System.setProperty("java.awt.headless", "true");
        int w = 120 + 110 * Math.max(1, bars.size()), h = 420, left = 70, bottom = 70, top = 50;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        g.drawString(title, left, 28);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        int plotH = h - top - bottom, plotW = w - left - 30;
        g.drawLine(left, top, left, top + plotH);
        g.drawLine(left, top + plotH, left + plotW, top + plotH);
        for (int i = 0; i <= 4; i++) {
            double v = yMax * i / 4;
            int y = top + plotH - (int) (plotH * v / yMax);
            g.setColor(new Color(225, 225, 225));
            g.drawLine(left + 1, y, left + plotW, y);
            g.setColor(Color.BLACK);
            g.drawString(String.format(java.util.Locale.ROOT, "%.2g", v), 8, y + 4);
        }
        g.drawString(yLabel, 8, top - 10);
        int slot = plotW / Math.max(1, bars.size());
        Color[] palette = {new Color(120, 120, 120), new Color(160, 160, 160), new Color(66, 133, 244),
                new Color(219, 68, 55), new Color(244, 160, 0), new Color(15, 157, 88)};
        for (int i = 0; i < bars.size(); i++) {
            Bar b = bars.get(i);
            int x = left + i * slot + slot / 5, bw = slot * 3 / 5;
            int yv = top + plotH - (int) (plotH * clamp(b.value() / yMax));
            g.setColor(palette[i % palette.length]);
            g.fillRect(x, yv, bw, top + plotH - yv);
            g.setColor(Color.BLACK);
            if (!Double.isNaN(b.low()) && !Double.isNaN(b.high())) {
                int yl = top + plotH - (int) (plotH * clamp(b.low() / yMax)), yh = top + plotH - (int) (plotH * clamp(b.high() / yMax));
                int cx = x + bw / 2;
                g.setStroke(new BasicStroke(2));
                g.drawLine(cx, yl, cx, yh);
                g.drawLine(cx - 6, yl, cx + 6, yl);
                g.drawLine(cx - 6, yh, cx + 6, yh);
                g.setStroke(new BasicStroke(1));
            }
            g.drawString(b.label(), x, top + plotH + 18);
            g.drawString(String.format(java.util.Locale.ROOT, "%.2f", b.value()), x, top + plotH + 34);
        }
        if (referenceLine != null) {
            int y = top + plotH - (int) (plotH * clamp(referenceLine / yMax));
            g.setColor(new Color(200, 0, 0));
            g.setStroke(new BasicStroke(1, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10, new float[] {6, 4}, 0));
            g.drawLine(left, y, left + plotW, y);
        }
        g.dispose();
        AtomicFiles.write(file, out -> ImageIO.write(img, "png", out));
    }

    private static double clamp(double v) { return Math.max(0, Math.min(1, v)); }
}
