package org.instruct4j.bench;

import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleSupplier;
import java.util.stream.Stream;

/**
 * Two builds of the engine side by side in one JVM ({@link SideBySide}, steps alternating): each engine jar is
 * loaded in a class loader of its own with the rest of the benchmarks' classpath, and both run
 * TrainStepSideBySide's instruct4j step on the same model and batch. This is how a change to the engine is timed
 * old against new on a shared machine: load that comes and goes slows both alike. A change that keeps the bits
 * prints the same first losses on both sides.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC -Xss8m -Xmx8g \
 *     -cp bench/target/benchmarks.jar org.instruct4j.bench.EngineJarsSideBySide OLD_ENGINE_JAR NEW_ENGINE_JAR \
 *     [tiny,demo,pretrain,gpt2] [rounds scale, 1]
 * </pre>
 * (the engine jar of a build is engine/target/instruct4j-engine-*.jar; this build's is bench/target/lib's.)
 */
public final class EngineJarsSideBySide {
    static { RunEnvironment.requireLib("EngineJarsSideBySide", false); }   // before any field that needs the engine

    private EngineJarsSideBySide() {}

    static final String USAGE = "usage: EngineJarsSideBySide OLD_ENGINE_JAR NEW_ENGINE_JAR [sizes, comma-separated, of tiny,"
            + " demo, pretrain, gpt2; default tiny,demo,gpt2] [rounds scale, above 0; default 1]";

    public static void main(String[] args) throws Exception {
        BenchArgs a = BenchArgs.of("EngineJarsSideBySide", USAGE, args);
        Path old = engineJar(a, 0, "OLD_ENGINE_JAR"), current = engineJar(a, 1, "NEW_ENGINE_JAR");
        List<String> sizes = a.names(2, "size", "tiny,demo,gpt2", TrainStepSideBySide.SIZES);
        double scale = a.positive(3, "rounds scale", 1);
        a.done();
        RunEnvironment.start("EngineJarsSideBySide");
        try (URLClassLoader oldLoader = loaderWith(old); URLClassLoader newLoader = loaderWith(current)) {
            for (String name : sizes) {
                TrainStepSideBySide.Size size = TrainStepSideBySide.size(name);
                int rounds = Math.max(3, (int) Math.round(size.rounds() * scale));
                DoubleSupplier oldStep = step(oldLoader, size.name()), newStep = step(newLoader, size.name());
                SideBySide.Result result = SideBySide.run("new", () -> (float) newStep.getAsDouble(), "old",
                        () -> (float) oldStep.getAsDouble(), size.warmup(), rounds);
                System.out.printf("%n== train step %s, old %s against new %s; batch %d x %d; %d timed steps each%n",
                        size.name(), old.getFileName(), current, size.batch(), size.seq(), rounds);
                SideBySide.print(result, (long) size.batch() * size.seq(), "tokens");
            }
        }
    }

    /** The engine jar named at position i, which must be a file. */
    private static Path engineJar(BenchArgs a, int i, String what) {
        Path jar = Path.of(a.text(i, what, null));
        if (!Files.isRegularFile(jar)) throw a.fail("no engine jar at " + jar + " (" + what + ")");
        return jar;
    }

    /** TrainStepSideBySide's step of a size, made by the classes of loader (a JDK interface crosses loaders). */
    private static DoubleSupplier step(ClassLoader loader, String size) throws ReflectiveOperationException {
        return (DoubleSupplier) Class.forName(TrainStepSideBySide.class.getName(), true, loader)
                .getMethod("instruct4jStep", String.class).invoke(null, size);
    }

    /** The engine jar first, then the benchmarks jar and its lib folder without the engine jar there. */
    private static URLClassLoader loaderWith(Path engineJar) throws IOException {
        if (!Files.isRegularFile(engineJar)) throw new IllegalArgumentException("no engine jar at " + engineJar);
        Path benchJar = Path.of(EngineJarsSideBySide.class.getProtectionDomain().getCodeSource().getLocation().getPath());
        List<URL> urls = new ArrayList<>(List.of(url(engineJar), url(benchJar)));
        try (Stream<Path> lib = Files.list(benchJar.resolveSibling("lib"))) {
            for (Path jar : lib.sorted().toList())
                if (!jar.getFileName().toString().startsWith("instruct4j-engine")) urls.add(url(jar));
        }
        return new URLClassLoader(urls.toArray(URL[]::new), ClassLoader.getPlatformClassLoader());
    }

    private static URL url(Path p) throws MalformedURLException { return p.toAbsolutePath().toUri().toURL(); }
}
