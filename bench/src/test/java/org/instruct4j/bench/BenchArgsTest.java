package org.instruct4j.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class BenchArgsTest {
    private static final List<String> SIZES = TrainStepSideBySide.SIZES;

    private static BenchArgs args(String... a) { return BenchArgs.forTest("H", "usage: H", a); }

    /** The status and message a check stops with. */
    private static BenchArgs.Stop stop(org.junit.jupiter.api.function.Executable e) {
        return assertThrows(BenchArgs.Stop.class, e);
    }

    @Test
    void defaultsWhenAbsent() {
        BenchArgs a = args();
        assertEquals(List.of("tiny", "demo", "gpt2"), a.names(0, "size", "tiny,demo,gpt2", SIZES));
        assertEquals(1.0, a.positive(1, "scale", 1));
        assertEquals(10, a.count(2, "rounds", 1, 10));
        assertEquals(List.of(1, 64), a.counts(3, "batches", 1, "1,64"));
        a.done();
    }

    @Test
    void readsGivenValues() {
        BenchArgs a = args("demo, Pretrain", "0.5", "7", "2,8");
        assertEquals(List.of("demo", "pretrain"), a.names(0, "size", "tiny", SIZES));
        assertEquals(0.5, a.positive(1, "scale", 1));
        assertEquals(7, a.count(2, "rounds", 1, 10));
        assertEquals(List.of(2, 8), a.counts(3, "batches", 1, "1"));
        a.done();
    }

    @Test
    void everyListItemIsCheckedBeforeAnyIsUsed() {
        BenchArgs.Stop s = stop(() -> args("demo,gpt3").names(0, "size", "tiny", SIZES));
        assertEquals(2, s.status);
        assertEquals("unknown size 'gpt3' (tiny, demo, pretrain, gpt2)", s.getMessage());
    }

    @Test
    void badNumbersSayWhichArgument() {
        assertEquals("rounds scale must be a number, got 'fast'",
                stop(() -> args("tiny", "fast").positive(1, "rounds scale", 1)).getMessage());
        assertEquals("rounds scale must be a number above 0, got '0'",
                stop(() -> args("tiny", "0").positive(1, "rounds scale", 1)).getMessage());
        assertEquals("rounds must be a whole number, got '--fast'",
                stop(() -> args("--fast").count(0, "rounds", 1, 10)).getMessage());
        assertEquals("rounds must be at least 1, got 0", stop(() -> args("0").count(0, "rounds", 1, 10)).getMessage());
        assertEquals("batches must be whole numbers separated by commas, got 'big'",
                stop(() -> args("big").counts(0, "batches", 1, "1")).getMessage());
        assertEquals("empty item in batches '1,'", stop(() -> args("1,").counts(0, "batches", 1, "1")).getMessage());
    }

    @Test
    void missingRequiredAndExtraArguments() {
        assertEquals("missing OLD_ENGINE_JAR", stop(() -> args().text(0, "OLD_ENGINE_JAR", null)).getMessage());
        BenchArgs a = args("5", "gpt2", "extra");
        a.count(0, "rounds", 1, 10);
        a.name(1, "shape set", "gpt2", List.of("gpt2", "pretrain"));
        assertEquals("unexpected argument 'extra'", stop(a::done).getMessage());
    }

    @Test
    void helpStopsWithStatusZeroWherever() {
        assertEquals(0, stop(() -> args("--help")).status);
        assertEquals(0, stop(() -> args("5", "-h")).status);
    }

    @Test
    void matchIgnoresCaseAndSeparatorsButNotAmbiguity() {
        List<String> kernels = List.of("layerNorm", "attention", "gelu", "crossEntropy");
        assertEquals("layerNorm", BenchArgs.match("layernorm", kernels));
        assertEquals("crossEntropy", BenchArgs.match("cross-entropy", kernels));
        assertEquals("crossEntropy", BenchArgs.match("CROSS_ENTROPY", kernels));
        assertNull(BenchArgs.match("layer", kernels));
        assertNull(BenchArgs.match("ab", List.of("a-b", "A_B")));
    }
}
