package org.instruct4j.engine.backend.cpu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The processor this JVM runs on, as Linux names it in /proc/cpuinfo: model name, family and model, and the
 * widest vector instructions it has. Figures of this project are quoted with it, since results and speed depend
 * on the vector width (AVX2: 8 float lanes, AVX-512: 16).
 */
public record Processor(String model, String family, String modelNumber, String vectors) {

    private static final Path CPUINFO = Path.of("/proc/cpuinfo");

    /** This machine's processor; fields /proc/cpuinfo does not give (another OS) are "unknown". */
    public static Processor current() {
        try {
            return parse(Files.readAllLines(CPUINFO));
        } catch (IOException | RuntimeException e) {
            return parse(List.of());
        }
    }

    /** The first processor block of a /proc/cpuinfo text. */
    static Processor parse(List<String> cpuinfo) {
        String model = field(cpuinfo, "model name"), family = field(cpuinfo, "cpu family");
        String number = field(cpuinfo, "model"), flags = " " + field(cpuinfo, "flags") + " ";
        String vectors = flags.contains(" avx512f ") ? "AVX-512" : flags.contains(" avx2 ") ? "AVX2"
                : flags.contains(" sse2 ") ? "SSE2" : "unknown";
        return new Processor(model, family, number, vectors);
    }

    private static String field(List<String> lines, String name) {
        for (String line : lines) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).strip().equals(name)) return line.substring(colon + 1).strip();
        }
        return "unknown";
    }

    /** E.g. "AMD EPYC (family 25, model 1), AVX2". */
    public String describe() {
        return model + " (family " + family + ", model " + modelNumber + "), " + vectors;
    }
}
