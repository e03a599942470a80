package org.instruct4j.engine.text;

/** A vocab.json or merges.txt that cannot be used; the message names the file and, where known, the line. */
public final class TokenizerFileException extends RuntimeException {
    public TokenizerFileException(String message) { super(message); }

    public TokenizerFileException(String message, Throwable cause) { super(message, cause); }
}
