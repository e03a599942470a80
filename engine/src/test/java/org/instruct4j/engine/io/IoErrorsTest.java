package org.instruct4j.engine.io;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
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

    /** Jackson adds a second line to its message (" at [Source: REDACTED ...]"): the one line keeps its words alone, once. */
    @Test void aJsonSyntaxErrorIsOneLineSaidOnce() throws Exception {
        var syntax = org.junit.jupiter.api.Assertions.assertThrows(com.fasterxml.jackson.core.JsonProcessingException.class,
                () -> new com.fasterxml.jackson.databind.ObjectMapper().readTree("{\"n_embd\": 6"));
        var named = new IOException("runs/m/config.json:1:13: not valid JSON: " + syntax.getOriginalMessage(), syntax);
        var checkpoint = new UncheckedIOException("cannot read checkpoint runs/m: " + named.getMessage(), named);
        assertThat(IoErrors.describe(checkpoint)).isEqualTo("cannot read checkpoint runs/m: " + named.getMessage()).doesNotContain("\n");
        assertThat(IoErrors.describe(syntax)).isEqualTo(syntax.getOriginalMessage());
    }

    @Test void aFileSystemErrorWithoutAReasonSaysWhichKind() {
        assertThat(IoErrors.describe(new AccessDeniedException("runs/x"))).isEqualTo("runs/x: permission denied");
        assertThat(IoErrors.describe(new NoSuchFileException("runs/y"))).isEqualTo("runs/y: no such file or folder");
        assertThat(IoErrors.describe(new FileSystemException("runs/z", null, "Read-only file system"))).isEqualTo("runs/z: Read-only file system");
        assertThat(IoErrors.describe(new IOException())).isEqualTo("IOException");
    }

    /** A wrapper that copies a file-system error's message (the path alone) does not make the line say the path twice. */
    @Test void aPathCopiedByItsWrapperIsSaidOnce() {
        var parentIsAFile = new FileAlreadyExistsException("/x/afile");
        var metrics = new UncheckedIOException("cannot open metrics file /x/afile/sub-metrics.jsonl: " + parentIsAFile.getMessage(), parentIsAFile);
        assertThat(IoErrors.describe(metrics)).isEqualTo("cannot open metrics file /x/afile/sub-metrics.jsonl: /x/afile: already exists");
        var noFolder = new NoSuchFileException("/proc/nope-metrics.jsonl");
        var itself = new UncheckedIOException("cannot open metrics file /proc/nope-metrics.jsonl: " + noFolder.getMessage(), noFolder);
        assertThat(IoErrors.describe(itself)).isEqualTo("cannot open metrics file /proc/nope-metrics.jsonl: no such file or folder");
        assertThat(IoErrors.describe(new AccessDeniedException("/sys/x"))).isEqualTo("/sys/x: permission denied");
    }

    @Test void theReasonAloneLeavesThePathOut() {
        assertThat(IoErrors.reason(new AccessDeniedException("/sys/.x.probe"))).isEqualTo("permission denied");
        assertThat(IoErrors.reason(new FileSystemException("/x/afile/.y", null, "Not a directory"))).isEqualTo("Not a directory");
        assertThat(IoErrors.reason(new IOException("No space left on device"))).isEqualTo("No space left on device");
    }
}
