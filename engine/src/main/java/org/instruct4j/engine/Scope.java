package org.instruct4j.engine;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Deterministic lifetime for tensors. A tensor made while a scope is open belongs to the innermost one and is
 * freed when it closes, unless it was {@link #keep kept} (moved to the enclosing scope) first. Tensors made with
 * no scope open are owned by nobody: parameters and optimizer state are made that way, or in a long-lived scope
 * (a model or optimizer built inside a step's scope would be freed with it). Scopes are per thread: each thread
 * opens and closes its own, innermost first.
 *
 * <pre>{@code
 * try (Scope step = Scope.open()) {
 *     Tensor loss = CrossEntropy.mean(model.forward(tokens, null), targets);
 *     loss.backward();
 *     optimizer.step(lr, 1f);
 *     optimizer.zeroGrad();
 * }   // every activation and temporary gradient of the step is freed here
 * }</pre>
 */
public final class Scope implements AutoCloseable {
    private static final ThreadLocal<Deque<Scope>> OPEN = ThreadLocal.withInitial(ArrayDeque::new);

    private final List<Tensor> owned = new ArrayList<>();
    private final Scope parent;
    private final Thread opener = Thread.currentThread();
    private boolean closed;

    private Scope(Scope parent) { this.parent = parent; }

    /** Opens a scope on this thread, inside the innermost one already open; close it with try-with-resources. */
    public static Scope open() {
        Deque<Scope> stack = OPEN.get();
        Scope s = new Scope(stack.peek());
        stack.push(s);
        return s;
    }

    /** The innermost open scope of this thread, or null. */
    static Scope current() { return OPEN.get().peek(); }

    void adopt(Tensor t) { owned.add(t); }

    /**
     * Moves t out of this scope to the enclosing one (or to nobody). A view (reshape, detach) takes the tensor
     * owning its buffer along, or the kept view would point at freed memory. Gradients of leaves are owned by
     * nobody already.
     */
    public static Tensor keep(Tensor t) {
        Scope s = current();
        if (s == null) return t;
        s.moveToParent(t);
        if (t.storageOwner() != t) s.moveToParent(t.storageOwner());
        return t;
    }

    private void moveToParent(Tensor t) {
        // Identity search from the end: the tensor to keep is usually among the last ones made.
        for (int i = owned.size() - 1; i >= 0; i--) {
            if (owned.get(i) == t) {
                owned.remove(i);
                if (parent != null) parent.adopt(t);
                return;
            }
        }
    }

    /** Runs make with no scope open, so what it makes belongs to nobody (gradients of parameters). */
    static <T> T withoutScope(java.util.function.Supplier<T> make) {
        Deque<Scope> stack = OPEN.get();
        Deque<Scope> saved = new ArrayDeque<>(stack);
        stack.clear();
        try {
            return make.get();
        } finally {
            stack.addAll(saved);
        }
    }

    /** Number of tensors this scope will free: for tests of the lifetime rules. */
    public int size() { return owned.size(); }

    @Override public void close() {
        if (closed) return;
        if (Thread.currentThread() != opener)
            throw new IllegalStateException("a scope opened on thread '" + opener.getName() + "' was closed on thread '"
                    + Thread.currentThread().getName() + "': scopes belong to the thread that opens them");
        Deque<Scope> stack = OPEN.get();
        if (stack.peek() != this) throw new IllegalStateException("scopes must close innermost first");
        stack.pop();
        closed = true;
        for (int i = owned.size() - 1; i >= 0; i--) owned.get(i).freeAsScopeCloses();
        owned.clear();
    }
}
