package org.instruct4j.rlhf.cli;

/** A mistake in what the user gave (a bad option, a bad file): printed as one clear line, no stack trace. */
public class UserError extends RuntimeException {
    public UserError(String message) { super(message); }

    public UserError(String message, Throwable cause) { super(message, cause); }
}
