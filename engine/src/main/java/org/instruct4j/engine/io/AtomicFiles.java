package org.instruct4j.engine.io;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Writes a file so that readers see the old one or the complete new one, never half of it: the body writes
 * a temporary file in the same folder, which is flushed to disk and then renamed over the target. A failure (a
 * full disk) deletes the temporary file and says which target it was writing.
 *
 * <p>What the project writes is readable like any other file: files get mode 0644 and folders 0755 (Java makes
 * temporary files 0600 and temporary folders 0700, which would leave reports and models private to the writer).
 */
public final class AtomicFiles {
    private static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-r--r--"),
            FOLDER = PosixFilePermissions.fromString("rwxr-xr-x");
    /** The name {@link #write} gives its temporary file: ".NAME." + a random number + ".tmp" (Files.createTempFile's). */
    private static final Pattern TEMPORARY = Pattern.compile("\\..+\\.\\d+\\.tmp");

    private AtomicFiles() {}

    public static void write(Path target, IoConsumer<OutputStream> body) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        if (dir != null) Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + abs.getFileName() + ".", ".tmp");
        readableByAll(tmp);
        boolean done = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                OutputStream out = new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 20);
                body.accept(out);
                out.flush();
                ch.force(true);
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
            done = true;
        } catch (IOException e) {
            throw new IOException("could not write " + abs + " (" + IoErrors.describe(e) + ")", e);
        } finally {
            if (!done) Files.deleteIfExists(tmp);
        }
    }

    /**
     * Deletes the temporary files that writes into dir left when their process was killed (kill -9, a power cut:
     * no finally runs). Only the one process that writes into dir may call it (the CLI holds the output folder's
     * lock): another one's write under way would lose its file.
     */
    public static void removeLeftovers(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) return;
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.toList())
                if (TEMPORARY.matcher(f.getFileName().toString()).matches() && Files.isRegularFile(f)) Files.deleteIfExists(f);
        }
    }

    /** Gives a file mode 0644, a folder 0755, where the file system has POSIX permissions (elsewhere: unchanged). */
    public static void readableByAll(Path path) throws IOException {
        try {
            Files.setPosixFilePermissions(path, Files.isDirectory(path) ? FOLDER : FILE);
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system (Windows): files there are readable as the folder's ACL says
        }
    }
}
