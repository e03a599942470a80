package org.instruct4j.engine.backend.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KernelCacheTest {
    @TempDir Path dir;

    @Test void theKeyChangesWithEveryInputOfTheCompile() {
        Map<String, String> h = Map.of("common.cuh", "int x;");
        List<String> o = KernelCache.options("sm_90");
        String base = KernelCache.key("src", h, o, "sm_90", "NVRTC 13.1");
        assertThat(base).hasSize(64).isEqualTo(KernelCache.key("src", Map.of("common.cuh", "int x;"), o, "sm_90", "NVRTC 13.1"));
        assertThat(KernelCache.key("src2", h, o, "sm_90", "NVRTC 13.1")).isNotEqualTo(base);
        assertThat(KernelCache.key("src", Map.of("common.cuh", "int y;"), o, "sm_90", "NVRTC 13.1")).isNotEqualTo(base);
        assertThat(KernelCache.key("src", h, KernelCache.options("sm_80"), "sm_90", "NVRTC 13.1")).isNotEqualTo(base);
        assertThat(KernelCache.key("src", h, o, "sm_80", "NVRTC 13.1")).isNotEqualTo(base);
        assertThat(KernelCache.key("src", h, o, "sm_90", "NVRTC 12.4")).isNotEqualTo(base);
        assertThat(KernelCache.key("ab", Map.of(), List.of("c"), "x", "r")).isNotEqualTo(KernelCache.key("a", Map.of(), List.of("bc"), "x", "r"));
    }

    /** A compiler that records what it was asked and returns "cubin of SOURCE". */
    static final class FakeCompiler implements KernelCache.Compiler {
        final List<String> compiled = new ArrayList<>();
        final String release;

        FakeCompiler(String release) { this.release = release; }

        @Override public byte[] compile(String name, String source, Map<String, String> headers, List<String> options) {
            compiled.add(name + " " + options);
            return ("cubin of " + source).getBytes(StandardCharsets.UTF_8);
        }

        @Override public String release() { return release; }
    }

    @Test void compilesOnceThenReadsFromDisk() throws Exception {
        FakeCompiler fake = new FakeCompiler("NVRTC 13.1");
        List<String> compiled = fake.compiled;
        var source = new KernelSources.Source("gelu", "kernel text", Map.of());
        KernelCache first = new KernelCache(dir, fake);
        assertThat(new String(first.image(source, "sm_90"), StandardCharsets.UTF_8)).isEqualTo("cubin of kernel text");
        assertThat(first.misses()).isEqualTo(1);
        assertThat(Files.exists(first.fileFor(source, "sm_90"))).isTrue();
        assertThat(first.fileFor(source, "sm_90").getFileName().toString()).endsWith(".cubin");

        KernelCache second = new KernelCache(dir, fake);  // a new process: the file on disk is used
        assertThat(new String(second.image(source, "sm_90"), StandardCharsets.UTF_8)).isEqualTo("cubin of kernel text");
        assertThat(second.hits()).isEqualTo(1);
        assertThat(second.misses()).isZero();
        assertThat(compiled).hasSize(1);
        assertThat(compiled.get(0)).contains("--gpu-architecture=sm_90");

        second.image(source, "sm_80");  // another GPU: another entry
        assertThat(compiled).hasSize(2);
        try (var files = Files.list(dir)) { assertThat(files.filter(p -> p.toString().endsWith(".cubin")).count()).isEqualTo(2); }
    }

    @Test void anotherNvrtcReleaseCompilesAgain() {
        var source = new KernelSources.Source("gelu", "kernel text", Map.of());
        FakeCompiler old = new FakeCompiler("NVRTC 12.4"), upgraded = new FakeCompiler("NVRTC 13.1");
        new KernelCache(dir, old).image(source, "sm_90");
        KernelCache after = new KernelCache(dir, upgraded);
        after.image(source, "sm_90");
        assertThat(upgraded.compiled).as("an image of NVRTC 12.4 is not served to NVRTC 13.1").hasSize(1);
        assertThat(after.misses()).isEqualTo(1);
    }

    @Test void theCacheDirectoryCanBeOverridden() {
        assertThat(KernelCache.defaultDirectory(Map.of("INSTRUCT4J_CACHE", "/tmp/k"), "/home/u")).isEqualTo(Path.of("/tmp/k"));
        assertThat(KernelCache.defaultDirectory(Map.of(), "/home/u")).isEqualTo(Path.of("/home/u/.cache/instruct4j/kernels"));
    }

    @Test void everyKernelFileIsOnTheClasspathWithItsHeaders() {
        for (String module : KernelSources.MODULES) {
            KernelSources.Source s = KernelSources.load(module);
            assertThat(s.text()).as(module).contains("extern \"C\" __global__");
            for (String include : KernelSources.includes(s.text())) assertThat(s.headers()).as(module).containsKey(include);
        }
        assertThat(KernelSources.load("layernorm").headers()).containsKey("common.cuh");
        assertThat(KernelSources.includes("#include \"a.cuh\"\n  #  include \"b.cuh\"\n#include <c>")).containsExactly("a.cuh", "b.cuh");
    }
}
