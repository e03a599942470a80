package org.instruct4j.engine.io;

import java.io.IOException;

/** A consumer that may throw IOException (the body that writes a file). */
@FunctionalInterface
public interface IoConsumer<T> {
    void accept(T value) throws IOException;
}
