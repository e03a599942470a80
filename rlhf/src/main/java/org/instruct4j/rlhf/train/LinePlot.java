package org.instruct4j.rlhf.train;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;

/** A small PNG line plot (no window: java.awt in headless mode) of one or more curves against the step. */
public final class LinePlot {
    private static final Color[] PALETTE = {
        new Color(31, 119, 180), new Color(255, 127, 14), new Color(44, 160, 44), new Color(214, 39, 40),
        new Color(148, 103, 189), new Color(140, 86, 75)};

    private final String title;
    private final Map<String, double[][]> curves = new LinkedHashMap<>();

    public LinePlot(String title) { this.title = title; }

    /** Adds a curve: xy[0] are the x values, xy[1] the y values. */
    public LinePlot add(String name, double[][] xy) {
        curves.put(name, xy);
        return this;
    }

    /** Writes the plots of the named metrics of a log, one PNG per metric, into dir as name.png. */
    public static void writeAll(MetricsLog log, Path dir, String prefix, String... metrics) {
        for (String m : metrics) {
            double[][] s = log.series(m);
            if (s[0].length == 0) continue;
            new LinePlot(prefix + " " + m).add(m, s).write(dir.resolve(prefix + "-" + m + ".png"));
        }
    }

    public void write(Path png) {
        System.setProperty("java.awt.headless", "true");
        int w = 640, h = 400, left = 70, right = 20, top = 40, bottom = 50;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        double minX = Double.POSITIVE_INFINITY, maxX = Double.NEGATIVE_INFINITY, minY = minX, maxY = maxX;
        for (double[][] c : curves.values())
            for (int i = 0; i < c[0].length; i++) {
                if (!Double.isFinite(c[1][i])) continue;
                minX = Math.min(minX, c[0][i]); maxX = Math.max(maxX, c[0][i]);
                minY = Math.min(minY, c[1][i]); maxY = Math.max(maxY, c[1][i]);
            }
        if (!Double.isFinite(minX)) { minX = 0; maxX = 1; minY = 0; maxY = 1; }
        if (maxX == minX) maxX = minX + 1;
        if (maxY == minY) { maxY += 0.5; minY -= 0.5; }
        int pw = w - left - right, ph = h - top - bottom;
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        g.drawString(title, left, 24);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        g.drawRect(left, top, pw, ph);
        for (int i = 0; i <= 4; i++) {
            double yv = minY + (maxY - minY) * i / 4, xv = minX + (maxX - minX) * i / 4;
            int yp = top + ph - ph * i / 4, xp = left + pw * i / 4;
            g.setColor(new Color(230, 230, 230));
            g.drawLine(left + 1, yp, left + pw - 1, yp);
            g.setColor(Color.BLACK);
            g.drawString(String.format(Locale.ROOT, "%.3g", yv), 4, yp + 4);
            g.drawString(String.format(Locale.ROOT, "%.0f", xv), xp - 10, top + ph + 16);
        }
        g.drawString("step", left + pw / 2 - 10, h - 10);
        int k = 0;
        for (Map.Entry<String, double[][]> e : curves.entrySet()) {
            Color col = PALETTE[k % PALETTE.length];
            g.setColor(col);
            g.setStroke(new BasicStroke(1.6f));
            double[][] c = e.getValue();
            int px = -1, py = -1;
            for (int i = 0; i < c[0].length; i++) {
                if (!Double.isFinite(c[1][i])) { px = -1; continue; }
                int x = left + (int) Math.round((c[0][i] - minX) / (maxX - minX) * pw);
                int y = top + ph - (int) Math.round((c[1][i] - minY) / (maxY - minY) * ph);
                if (px >= 0) g.drawLine(px, py, x, y);
                else g.fillRect(x - 1, y - 1, 3, 3);
                px = x;
                py = y;
            }
            g.drawString(e.getKey(), left + pw - 120, top + 16 + 14 * k);
            k++;
        }
        g.dispose();
        try {
            Path parent = png.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            Path tmp = png.resolveSibling(png.getFileName() + ".tmp");
            ImageIO.write(img, "png", tmp.toFile());
            Files.move(tmp, png, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException ex) {
            throw new UncheckedIOException("cannot write plot " + png + ": " + ex.getMessage(), ex);
        }
    }
}
