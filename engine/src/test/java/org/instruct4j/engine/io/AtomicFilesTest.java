package org.instruct4j.engine.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
    @TempDir Path dir;

    @Test void aFailedWriteLeavesTheOldFileAndNoTemporary() throws IOException {
        Path target = dir.resolve("ckpt.bin");
        AtomicFiles.write(target, out -> out.write(new byte[] {1, 2, 3}));
        assertThat(Files.readAllBytes(target)).containsExactly(1, 2, 3);
        assertThatThrownBy(() -> AtomicFiles.write(target, out -> {
            out.write(new byte[] {9, 9});
            throw new IOException("No space left on device");
        })).hasMessage("could not write " + target.toAbsolutePath() + " (No space left on device)");
        assertThat(Files.readAllBytes(target)).containsExactly(1, 2, 3);
        try (var files = Files.list(dir)) {
            assertThat(files).containsExactly(target);
        }
    }
}
