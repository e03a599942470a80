package org.instruct4j.rlhf.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One run at a time per output folder: a second instruct4j process given the same --out (a demo started again in
 * another terminal) is refused before it starts, naming the process that writes there, instead of both replacing
 * each other's models. So is one whose --out is inside a folder another process writes (a command given a running
 * demo's stage folder, runs/demo/models/sft) or holds a folder another process writes (a demo given runs/demo while a
 * command writes runs/demo/models/sft): the two would replace each other's models as well. The lock is the file
 * ".NAME.lock" beside the folder (inside it, the lock would move away with the folder when a model is saved, which
 * replaces the folder as a whole); the operating system lets go of it when the process ends, however it ends, and a
 * clean exit removes the file. A lock file that no process holds (of a process that was killed) guards nothing and is
 * left as it is.
 */
final class OutputLock {
    /** The folders this JVM holds; a command run again in the same JVM (the tests do) holds them already. */
    private static final Map<Path, FileLock> HELD = new ConcurrentHashMap<>();
    /** The name of a folder's lock file: ".NAME.lock", NAME the folder's. */
    private static final Pattern LOCK_FILE = Pattern.compile("\\.(.+)\\.lock");

    private OutputLock() {}

    static void hold(Path out) {
        Path folder = out.toAbsolutePath().normalize();
        if (folder.getParent() == null || HELD.containsKey(folder)) return;
        FileLock lock = take(out, folder);
        if (lock != null) HELD.put(folder, lock);
    }

    /**
     * The lock of folder, taken; null when no lock file can be made there; refused when another run holds it, or a
     * folder that it is in or that is inside it.
     */
    private static FileLock take(Path out, Path folder) {
        Path file = lockFile(folder);
        try {
            Files.createDirectories(folder.getParent());
            FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock lock = channel.tryLock();
            if (lock == null) {
                channel.close();
                throw busy(out, holder(file), "there");
            }
            channel.truncate(0);
            channel.write(ByteBuffer.wrap(("process " + ProcessHandle.current().pid() + ", started "
                    + LocalTime.now().truncatedTo(ChronoUnit.SECONDS)).getBytes(StandardCharsets.UTF_8)));
            file.toFile().deleteOnExit();
            // Looked for once this lock is taken: of two runs started at once on nested folders, one sees the other's.
            UserError nested = nested(out, folder);
            if (nested != null) {
                channel.close();
                throw nested;
            }
            return lock;
        } catch (IOException e) {
            return null;   // a folder where no lock file can be made (read-only, a file system without locks): the run goes on unguarded
        }
    }

    /** The refusal of out when another process holds a folder that out is in, or one inside out; null when none does. */
    private static UserError nested(Path out, Path folder) {
        for (Path above = folder.getParent(); above.getParent() != null; above = above.getParent()) {
            String holder = otherHolder(lockFile(above));
            if (holder != null) return busy(out, holder, "to " + above + ", which holds this folder");
        }
        for (Path inside : lockedInside(folder)) {
            String holder = otherHolder(lockFile(inside));
            if (holder != null) return busy(out, holder, "to " + inside + ", inside this folder");
        }
        return null;
    }

    /**
     * What the process that holds the lock file says of itself ("" when nothing), when it is another process; null
     * when none holds it (a killed run's file, left as it is: it may be another's that a run is about to take) or
     * this JVM does, or it cannot be read.
     */
    private static String otherHolder(Path file) {
        if (ours(file)) return null;
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
             FileLock free = channel.tryLock(0, Long.MAX_VALUE, true)) {   // shared: read-only files, and two runs looking at once
            return free != null ? null : holder(file);
        } catch (OverlappingFileLockException e) {
            return null;   // this JVM took it a moment ago, on another thread
        } catch (IOException e) {
            return null;   // none there, or one that cannot be read: nothing that can be told
        }
    }

    /**
     * Whether file is the lock file of a folder this JVM holds (however its path is written). Such a file is never
     * opened again: the locks are the process's, and closing any channel on the file would let go of it.
     */
    private static boolean ours(Path file) {
        for (Path held : HELD.keySet()) {
            try {
                if (Files.isSameFile(lockFile(held), file)) return true;
            } catch (IOException e) {
                // one of the two is gone: not the same file
            }
        }
        return false;
    }

    /**
     * The folders in the tree under folder (when it exists) that have a lock file beside them, held or not: not
     * through links (a link may lead anywhere, or around in a circle), and past what cannot be read.
     */
    private static List<Path> lockedInside(Path folder) {
        List<Path> found = new ArrayList<>();
        try {
            Files.walkFileTree(folder, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) {
                    Matcher name = LOCK_FILE.matcher(file.getFileName().toString());
                    if (attributes.isRegularFile() && name.matches()) found.add(file.resolveSibling(name.group(1)));
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) {
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            // a folder whose listing broke off: the ones found until then
        }
        return found;
    }

    private static Path lockFile(Path folder) {
        return folder.resolveSibling("." + folder.getFileName() + ".lock");
    }

    /** What the lock file's holder wrote of itself: its process and when it started ("" when nothing can be read). */
    private static String holder(Path file) {
        try {
            return new String(Files.readAllBytes(file), StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            return "";
        }
    }

    private static UserError busy(Path out, String holder, String where) {
        return new UserError("--out " + out + ": another instruct4j run" + (holder.isEmpty() ? "" : " (" + holder + ")")
                + " is writing " + where + "; wait for it to end, or give another --out");
    }
}
