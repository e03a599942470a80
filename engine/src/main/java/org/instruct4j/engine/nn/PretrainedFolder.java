package org.instruct4j.engine.nn;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.instruct4j.engine.io.AtomicFiles;
import org.instruct4j.engine.io.IoConsumer;
import org.instruct4j.engine.io.IoErrors;

/**
 * Replaces a model folder as a whole, so a crash never leaves a half-written one and never loses what was there.
 *
 * <p>The new files are written into a hidden sibling folder ".NAME.new-*". Files of the old folder that the
 * new one does not write (a README) are linked (or copied) into it, except those named as belonging to the old
 * content. Then two renames: the old
 * folder to ".NAME.old-*", the new one to NAME; sub-folders of the old one are moved across and the old one is
 * deleted. A crash before the renames leaves the old folder untouched; a crash between them leaves NAME absent
 * and its old content whole in ".NAME.old-*", which {@link #recoveryHint} points out and {@link #settle}, at the
 * next save or resume, puts back.
 */
final class PretrainedFolder {
    private static final String NEW = ".new-", OLD = ".old-";
    /** The random part of the two names: Files.createTempDirectory's number, {@link #unusedSibling}'s hex. */
    private static final String NEW_SUFFIX = "\\d+", OLD_SUFFIX = "[0-9a-f]+";

    private PretrainedFolder() {}

    /** dropped: names of old files that are not carried over (they describe the old content only). */
    static void replace(Path folder, Set<String> dropped, IoConsumer<Path> body) throws IOException {
        Path target = folder.toAbsolutePath().normalize();
        if (target.getParent() == null) throw new IOException(target + ": cannot replace a file-system root");
        if (Files.exists(target) && !Files.isDirectory(target)) throw new IOException(target + " exists and is not a folder");
        Path parent = Files.createDirectories(target.getParent());
        String name = target.getFileName().toString();
        settle(target);
        Path fresh = Files.createTempDirectory(parent, "." + name + NEW);
        AtomicFiles.readableByAll(fresh);
        boolean placed = false;
        try {
            body.accept(fresh);
            if (!Files.exists(target)) {
                sync(fresh);
                move(fresh, target);
                placed = true;
            } else {
                List<Path> subfolders = carryOver(target, fresh, dropped);
                sync(fresh);
                Path old = unusedSibling(parent, "." + name + OLD);
                move(target, old);
                move(fresh, target);
                placed = true;
                for (Path sub : subfolders) move(old.resolve(sub.getFileName().toString()), target.resolve(sub.getFileName().toString()));
                deleteTree(old);
            }
            sync(parent);
        } catch (IOException e) {
            if (placed) throw e;   // the new folder is in place; only the old one's clean-up failed
            throw new IOException("could not save " + target + " (" + IoErrors.describe(rootOf(e)) + ")", e);
        } finally {
            if (!placed) deleteTree(fresh);
        }
    }

    /**
     * Settles what a {@link #replace} that a crash cut short (kill -9, a power cut: no finally runs) left, so that the
     * folder holds its last complete content and nothing of the crash stays beside it: a ".NAME.new-*" folder was
     * never placed and goes; a ".NAME.old-*" one is the content before that save, which comes back as NAME when the
     * crash fell between the two renames (NAME is missing), and otherwise gives NAME the sub-folders it had not yet
     * moved across and goes. AtomicFiles' temporary files in NAME go too. Only the one process that writes the
     * folder may call it (the CLI holds its lock): another one's save under way would look the same.
     */
    static void settle(Path folder) throws IOException {
        Path target = folder.toAbsolutePath().normalize(), parent = target.getParent();
        if (parent == null || !Files.isDirectory(parent)) return;
        String name = target.getFileName().toString();
        for (Path fresh : siblings(parent, "." + name + NEW, NEW_SUFFIX)) deleteTree(fresh);
        List<Path> old = siblings(parent, "." + name + OLD, OLD_SUFFIX);
        if (!Files.exists(target) && !old.isEmpty()) {
            old.sort(Comparator.comparing(PretrainedFolder::modified));
            move(old.removeLast(), target);   // the newest, should crashes have left several
        }
        for (Path o : old) {
            try (Stream<Path> s = Files.list(o)) {
                for (Path sub : s.toList())
                    if (Files.isDirectory(sub) && !Files.exists(target.resolve(sub.getFileName().toString())))
                        move(sub, target.resolve(sub.getFileName().toString()));
            }
            deleteTree(o);
        }
        AtomicFiles.removeLeftovers(target);
    }

    /** The folders in parent named prefix + a suffix that matches suffixPattern. */
    private static List<Path> siblings(Path parent, String prefix, String suffixPattern) throws IOException {
        try (Stream<Path> s = Files.list(parent)) {
            return new ArrayList<>(s.filter(p -> {
                String n = p.getFileName().toString();
                return n.startsWith(prefix) && n.substring(prefix.length()).matches(suffixPattern) && Files.isDirectory(p);
            }).toList());
        }
    }

    private static FileTime modified(Path p) {
        try {
            return Files.getLastModifiedTime(p);
        } catch (IOException e) {
            return FileTime.fromMillis(0);
        }
    }

    /** The innermost cause: its words say what went wrong, without the temporary file's name. */
    private static Throwable rootOf(Throwable e) {
        while (e.getCause() != null) e = e.getCause();
        return e;
    }

    /** A sentence for a "no such folder" error when a crash in {@link #replace} left the content beside it. */
    static String recoveryHint(Path folder) {
        Path target = folder.toAbsolutePath().normalize();
        if (target.getParent() == null || !Files.isDirectory(target.getParent())) return "";
        String prefix = "." + target.getFileName() + OLD;
        try (Stream<Path> s = Files.list(target.getParent())) {
            List<String> left = s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(prefix)).sorted().toList();
            return left.isEmpty() ? "" : " (an interrupted save left the previous content in " + left
                    + " beside it: rename that folder back to " + target.getFileName() + ")";
        } catch (IOException e) {
            return "";
        }
    }

    /** Links or copies the old folder's files that the new one lacks (but for dropped ones); returns its sub-folders (moved later). */
    private static List<Path> carryOver(Path old, Path fresh, Set<String> dropped) throws IOException {
        Set<String> written;
        try (Stream<Path> s = Files.list(fresh)) {
            written = s.map(p -> p.getFileName().toString()).collect(Collectors.toSet());
        }
        List<Path> subfolders = new ArrayList<>();
        try (Stream<Path> s = Files.list(old)) {
            for (Path p : s.toList()) {
                String n = p.getFileName().toString();
                if (written.contains(n) || dropped.contains(n)) continue;
                if (Files.isDirectory(p)) {
                    subfolders.add(p);
                    continue;
                }
                try {
                    Files.createLink(fresh.resolve(n), p);
                } catch (IOException | UnsupportedOperationException e) {
                    Files.copy(p, fresh.resolve(n), StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
        return subfolders;
    }

    private static Path unusedSibling(Path parent, String prefix) {
        for (long n = System.nanoTime(); ; n++) {
            Path p = parent.resolve(prefix + Long.toHexString(n));
            if (!Files.exists(p)) return p;
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to);
        }
    }

    /** Flushes a folder's entries to disk where the platform allows it (Linux does; elsewhere it is skipped). */
    private static void sync(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // not supported for folders here: the renames are still atomic, only their durability is the OS's.
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) return;
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
