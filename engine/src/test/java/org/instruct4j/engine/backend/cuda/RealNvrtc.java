package org.instruct4j.engine.backend.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The real NVRTC the build unpacks from the cuda-redist test dependency (libnvrtc.so.13 and its builtins, in
 * engine/target/nvrtc: a folder the dynamic loader does not search, as with a runfile, conda or pip install),
 * loaded once per test JVM through the project's own binding. Linux x86-64 only, the platform of the artifact;
 * skipped outside Maven (the packed GPU run, an IDE without the property), failed when the build did not unpack it.
 */
final class RealNvrtc {
    private static Nvrtc instance;

    private RealNvrtc() {}

    static synchronized Nvrtc get() {
        assumeTrue(System.getProperty("os.name").equals("Linux") && System.getProperty("os.arch").equals("amd64"),
                "the NVRTC test dependency is for Linux x86-64; this is " + System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        if (instance == null) {
            String folder = System.getProperty("instruct4j.test.nvrtc");  // engine/pom.xml sets it for every Maven test run
            assumeTrue(folder != null, "run outside Maven (no instruct4j.test.nvrtc): the real-NVRTC tests need the folder the build unpacks");
            assertThat(Files.exists(Path.of(folder, "libnvrtc.so.13"))).as(folder + "/libnvrtc.so.13 (unpacked by the build)").isTrue();
            instance = Nvrtc.loadFrom(Path.of(folder));
        }
        return instance;
    }
}
