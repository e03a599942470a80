package org.instruct4j.rlhf.data;

/** A data file that cannot be used; the message reads "file:line: reason". */
public final class DataException extends RuntimeException {
    public DataException(String message) { super(message); }

    public DataException(String message, Throwable cause) { super(message, cause); }
}
