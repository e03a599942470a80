package org.instruct4j.engine.io;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import org.junit.jupiter.api.Test;

/** The one line a user reads for a failed read or write: every layer's own words, none twice, no class names. */
class IoErrorsTest {
    @Test void aWrapperThatAddsTheFileKeepsTheReasonBelowIt() {
        var e = new UncheckedIOException("cannot write metrics file runs/x.jsonl", new IOException("No space left on device"));
        assertThat(IoErrors.describe(e)).isEqualTo("cannot write metrics file runs/x.jsonl: No space left on device");
    }

    @Test void aWrapperWithoutWordsOfItsOwnIsLeftOut() {
        var e = new UncheckedIOException(new IOException("No space left on device"));
        assertThat(IoErrors.describe(e)).isEqualTo("No space left on device");
    }

    @Test void theChainStopsAtTheFirstMessageThatSaysWhatTheRootSays() {
        var root = new IOException("No space left on device");
        var inner = new IOException("could not write runs/.m.new-1/model.safetensors (No space left on device)", root);
        var outer = new IOException("could not save runs/m (No space left on device)", inner);
        var checkpoint = new UncheckedIOException("cannot write checkpoint runs/m: " + outer.getMessage(), outer);
        assertThat(IoErrors.describe(checkpoint)).isEqualTo("cannot write checkpoint runs/m: could not save runs/m (No space left on device)");
    }

    @Test void aFileSystemErrorWithoutAReasonSaysWhichKind() {
        assertThat(IoErrors.describe(new AccessDeniedException("runs/x"))).isEqualTo("runs/x: permission denied");
        assertThat(IoErrors.describe(new NoSuchFileException("runs/y"))).isEqualTo("runs/y: no such file or folder");
        assertThat(IoErrors.describe(new FileSystemException("runs/z", null, "Read-only file system"))).isEqualTo("runs/z: Read-only file system");
        assertThat(IoErrors.describe(new IOException())).isEqualTo("IOException");
    }
}
