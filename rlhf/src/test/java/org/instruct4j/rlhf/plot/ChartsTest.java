package org.instruct4j.rlhf.plot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import javax.imageio.ImageIO;
import org.instruct4j.engine.testing.ChildJvm;
import org.instruct4j.rlhf.plot.Charts.Bar;
import org.instruct4j.rlhf.plot.Charts.Curve;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

public class ChartsTest {
    @TempDir Path dir;

    /** Reads a chart back: a PNG of the charts' size. */
    public static BufferedImage png(Path file) throws Exception {
        byte[] bytes = Files.readAllBytes(file);
        assertThat(bytes).as(file.toString()).startsWith((byte) 0x89, (byte) 'P', (byte) 'N', (byte) 'G');
        BufferedImage img = ImageIO.read(file.toFile());
        assertThat(img.getWidth()).as(file.toString()).isEqualTo(Charts.WIDTH);
        assertThat(img.getHeight()).as(file.toString()).isEqualTo(Charts.HEIGHT);
        return img;
    }

    /** A model's colour in every chart, as RGB (for tests of charts drawn elsewhere). */
    public static int colour(String model) { return Charts.colour(model, 0).getRGB(); }

    @Test
    void barsWithIntervalsAndReferenceAndCurvesRenderAsPngsWithEachModelsColour() throws Exception {
        Path bars = dir.resolve("bars.png"), curves = dir.resolve("curves.png");
        Charts.bars(bars, "Win rate", "win rate against SFT (%)", List.of(new Bar("GPT", 30, 2), new Bar("SFT", 50, 1.5),
                new Bar("PPO-ptx", 58, 1.5)), 100, new Charts.Reference(50, "50%: as good as SFT"), new Charts.Reference(68, "68%: the ceiling"));
        Charts.curves(curves, "Reward", "PPO iteration", "mean reward", List.of(
                new Curve("PPO", new double[] {1, 2, 3}, new double[] {0.1, 0.3, Double.NaN}),
                new Curve("PPO-ptx", new double[] {1, 2, 3}, new double[] {0.0, 0.2, 0.5})));
        BufferedImage b = png(bars);
        png(curves);
        // The bars are filled with their models' colours (sampled where each bar stands, above the axis).
        assertThat(countColour(b, Charts.colour("PPO-ptx", 0).getRGB())).isGreaterThan(1000);
        assertThat(countColour(b, Charts.colour("GPT", 0).getRGB())).isGreaterThan(1000);
        assertThat(Charts.colour("PPO-ptx (validation)", 3)).isEqualTo(Charts.colour("PPO-ptx", 0));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(bars))).isEqualTo("rw-r--r--");   // readable by everyone
    }

    /**
     * A disk that fills up as a chart is written: the run's one line says so (Main), and nothing follows it as the JVM
     * exits (ImageIO's cache file stream, closed again at exit, printed a NullPointerException's trace).
     */
    @Test
    void aChartOnAFullDiskLeavesNothingToSayAtExit() throws Exception {
        ChildJvm child = ChildJvm.run(PngOnAFullDisk.class, "-Djava.awt.headless=true");
        assertThat(child.out()).as("the error the run reports").isNotEmpty();
        assertThat(child.err()).isEmpty();
    }

    @Test
    void aBarsFootCarriesNoErrorBarOfTheOtherModels() throws Exception {
        // Each model is its own series with a value in its own slot only; the other slots once held 0 +- 0, which
        // XChart drew as a black dash where every bar meets the axis.
        Path bars = dir.resolve("bars.png");
        Charts.bars(bars, "Win rate", "win rate against SFT (%)", List.of(new Bar("GPT", 30, 2), new Bar("SFT", 50, 1.5),
                new Bar("PPO-ptx", 58, 1.5)), 100);
        BufferedImage b = png(bars);
        // The bar's foot is the lowest row of its colour (the legend's swatch of it sits higher), its width that row's run.
        int rgb = Charts.colour("SFT", 0).getRGB() & 0xFFFFFF, left = b.getWidth(), right = -1, foot = -1;
        for (int y = 0; y < b.getHeight(); y++)
            for (int x = 0; x < b.getWidth(); x++) if ((b.getRGB(x, y) & 0xFFFFFF) == rgb) foot = y;
        for (int x = 0; foot >= 0 && x < b.getWidth(); x++)
            if ((b.getRGB(x, foot) & 0xFFFFFF) == rgb) { left = Math.min(left, x); right = Math.max(right, x); }
        assertThat(right - left).as("the SFT bar's width").isGreaterThan(20);
        int centre = (left + right) / 2, black = 0;
        for (int y = foot - 3; y <= foot + 3; y++)
            for (int x = centre - 10; x <= centre + 10; x++) if ((b.getRGB(x, y) & 0xFFFFFF) == 0) black++;
        assertThat(black).as("black pixels at the SFT bar's foot").isZero();
    }

    @Test
    void moreReferenceLinesThanLineStylesIsAnErrorNamingTheFile() {
        Path png = dir.resolve("three.png");
        Charts.Reference r = new Charts.Reference(50, "50%");
        assertThatThrownBy(() -> Charts.bars(png, "t", "y", List.of(Bar.of("SFT", 50)), 100, r, r, r))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("three.png").hasMessageContaining("3");
    }

    @Test
    void theKlAxisSaysItIsAnEstimate() {
        // PPO's logged KL is a sample mean of log p - log p_ref and dips below zero; the axis once read "KL to the SFT model".
        assertThat(Charts.axisTitle("kl")).isEqualTo(Charts.KL_AXIS).startsWith("estimated KL from the SFT model").endsWith("(nats/response)");
    }

    private static int countColour(BufferedImage img, int rgb) {
        int n = 0;
        for (int y = 0; y < img.getHeight(); y++)
            for (int x = 0; x < img.getWidth(); x++) if ((img.getRGB(x, y) & 0xFFFFFF) == (rgb & 0xFFFFFF)) n++;
        return n;
    }
}
