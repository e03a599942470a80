package org.instruct4j.engine.backend;

import org.instruct4j.engine.DType;

/**
 * A backend's flat storage for one tensor: {@code length} elements of {@code dtype}. Offsets and strides in
 * the {@link Backend} primitives are counted in elements. {@link #close()} gives the memory back (to the
 * caching allocator on the GPU); using a closed buffer is an error.
 */
public interface Buffer extends AutoCloseable {
    DType dtype();

    long length();

    Backend backend();

    boolean isClosed();

    @Override void close();
}
