package org.instruct4j.rlhf.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One run at a time per output folder: a second instruct4j process given the same --out (a demo started again in
 * another terminal) is refused before it starts, naming the process that writes there, instead of both replacing
 * each other's models. The lock is the file ".NAME.lock" beside the folder (inside it, the lock would move away
 * with the folder when a model is saved, which replaces the folder as a whole); the operating system lets go of it
 * when the process ends, however it ends, and a clean exit removes the file.
 */
final class OutputLock {
    /** The folders this JVM holds; a command run again in the same JVM (the tests do) holds them already. */
    private static final Map<Path, FileLock> HELD = new ConcurrentHashMap<>();

    private OutputLock() {}

    static void hold(Path out) {
        Path folder = out.toAbsolutePath().normalize();
        if (folder.getParent() == null || HELD.containsKey(folder)) return;
        Path file = folder.resolveSibling("." + folder.getFileName() + ".lock");
        try {
            Files.createDirectories(folder.getParent());
            FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock lock = channel.tryLock();
            if (lock == null) {
                String holder = Files.readString(file, StandardCharsets.UTF_8).trim();
                channel.close();
                throw new UserError("--out " + out + ": another instruct4j run" + (holder.isEmpty() ? "" : " (" + holder + ")")
                        + " is writing there; wait for it to end, or give another --out");
            }
            channel.truncate(0);
            channel.write(ByteBuffer.wrap(("process " + ProcessHandle.current().pid() + ", started "
                    + LocalTime.now().truncatedTo(ChronoUnit.SECONDS)).getBytes(StandardCharsets.UTF_8)));
            HELD.put(folder, lock);
            file.toFile().deleteOnExit();
        } catch (IOException e) {
            // a folder where no lock file can be made (read-only, a file system without locks): the run goes on unguarded
        }
    }
}
