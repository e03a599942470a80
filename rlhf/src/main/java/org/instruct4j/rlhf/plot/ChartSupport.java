package org.instruct4j.rlhf.plot;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.instruct4j.rlhf.train.MetricsLog;

/**
 * Whether this Java runtime can draw {@link Charts}: they need the java.desktop module (AWT), which a trimmed runtime
 * may leave out (the jlink'd one bench/gpu/pack.sh makes for the GPU machine does), and a font to draw text with,
 * which a bare server may lack. Without them the demo and the CLI write their reports and metrics without charts and
 * say why, instead of failing after the training is done.
 */
public final class ChartSupport {
    private static final Optional<String> UNAVAILABLE = probe();

    private ChartSupport() {}

    /** Empty when charts can be drawn here, else the reason they cannot. */
    public static Optional<String> unavailable() { return UNAVAILABLE; }

    /** {@link Charts#metrics} where charts can be drawn; elsewhere a line on standard error that says why not. */
    public static void metrics(MetricsLog log, Path dir, String prefix, Map<String, String> axisTitles, String... metrics)
            throws IOException {
        if (UNAVAILABLE.isPresent()) System.err.println("no charts of " + prefix + ": " + UNAVAILABLE.get());
        else Charts.metrics(log, dir, prefix, axisTitles, metrics);
    }

    private static Optional<String> probe() {
        if (ModuleLayer.boot().findModule("java.desktop").isEmpty())
            return Optional.of("this Java runtime has no java.desktop module (AWT), which drawing needs");
        try {
            TextProbe.draw();
            return Optional.empty();
        } catch (LinkageError | InternalError | RuntimeException e) {   // AWT without its native parts or fonts
            return Optional.of("Java's AWT cannot draw text here (" + e + ")");
        }
    }

    /** What every chart does first: text on an image, headless. A class of its own, loaded only where AWT exists. */
    private static final class TextProbe {
        static void draw() {
            System.setProperty("java.awt.headless", "true");
            java.awt.image.BufferedImage image = new java.awt.image.BufferedImage(8, 8, java.awt.image.BufferedImage.TYPE_INT_ARGB);
            java.awt.Graphics2D g = image.createGraphics();
            try {
                g.setFont(new java.awt.Font(java.awt.Font.SANS_SERIF, java.awt.Font.PLAIN, 10));
                g.drawString("x", 0, 8);
            } finally {
                g.dispose();
            }
        }
    }
}
