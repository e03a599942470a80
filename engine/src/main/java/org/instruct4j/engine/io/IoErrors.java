package org.instruct4j.engine.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Turns a failed read or write into the one line a user reads: each cause's own words, outermost first. */
public final class IoErrors {
    private IoErrors() {}

    /**
     * The messages of the failure and its causes joined by ": ", outermost first, up to the first that says what
     * the innermost cause says ("cannot write metrics file runs/x.jsonl: No space left on device"); a file-system
     * error without a reason says which kind it is ("runs/x: permission denied"), where Java's message is the path.
     */
    public static String describe(Throwable failure) {
        Throwable root = failure;
        while (root.getCause() != null) root = root.getCause();
        String rootWords = ownWords(root);
        List<String> parts = new ArrayList<>();
        for (Throwable t = failure; t != null; t = t.getCause()) {
            String words = ownWords(t);
            if (words == null || parts.stream().anyMatch(p -> p.contains(words))) continue;
            String said = words;
            if (t instanceof FileSystemException fs && fs.getReason() == null && !parts.isEmpty()) {
                // Its message is the path alone, which a wrapper copies ("cannot open X: " + e.getMessage()): the path
                // is said once, with the reason after it.
                String file = fs.getFile(), outer = parts.removeLast();
                if (outer.endsWith(": " + file)) outer = outer.substring(0, outer.length() - file.length() - 2);
                if (outer.endsWith(file)) said = kind(fs);   // the wrapper's own words end with this very path
                parts.add(outer);
            }
            parts.add(said);
            if (words.contains(rootWords)) break;
        }
        return String.join(": ", parts);
    }

    /** A JSON file that cannot be read (cut short, edited), at its line and column as an editor shows them. */
    public static IOException notJson(Path file, JsonProcessingException e) {
        var at = e.getLocation();
        String where = at == null || at.getLineNr() < 1 ? "" : ":" + at.getLineNr() + ":" + at.getColumnNr();
        return new IOException(file + where + ": not valid JSON: " + e.getOriginalMessage(), e);
    }

    /**
     * Why a failure happened, without the path a file-system error carries ("permission denied", "Not a directory"),
     * for a line that names the file in its own words; other failures: {@link #describe}.
     */
    public static String reason(Throwable failure) {
        if (failure instanceof FileSystemException fs) return fs.getReason() != null ? fs.getReason() : kind(fs);
        return describe(failure);
    }

    /** The part of the failure's message that is its own (not its cause's toString, which wrappers copy). */
    private static String ownWords(Throwable t) {
        // Jackson's message has a second line, " at [Source: ...; line: 3, column: 11]": the line and column are said
        // by notJson, with the file's name, and the one line the user reads stays one.
        String message = t instanceof JsonProcessingException j ? j.getOriginalMessage() : t.getMessage();
        if (t instanceof UncheckedIOException && t.getCause() != null && t.getCause().toString().equals(message)) return null;
        if (t instanceof FileSystemException fs && fs.getReason() == null) return fs.getFile() + ": " + kind(fs);
        if (message == null || message.isBlank()) return t.getCause() == null ? t.getClass().getSimpleName() : null;
        return message;
    }

    private static String kind(FileSystemException e) {
        if (e instanceof AccessDeniedException) return "permission denied";
        if (e instanceof NoSuchFileException) return "no such file or folder";
        if (e instanceof FileAlreadyExistsException) return "already exists";
        return e.getClass().getSimpleName();
    }
}
