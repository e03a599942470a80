package org.instruct4j.engine.autograd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.instruct4j.engine.Scope;
import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.ops.Arith;
import org.instruct4j.engine.ops.Gelu;
import org.instruct4j.engine.ops.ShapeOps;
import org.instruct4j.engine.testing.GradCheck;
import org.junit.jupiter.api.Test;

/** The graph rules: fan-out sums gradients, leaves accumulate across backward calls, GradMode, Scope. */
class AutogradTest {

    @Test void aGradientOfAnotherDtypeIsNamed() {
        Tensor x = Tensor.of(new float[] {1, 2}, 2).requiresGrad(true);
        Tensor y = Tensor.of(new float[] {1, 2}, 2)
                .recordOp(new Node("wrong_dtype", new Tensor[] {x}, g -> new Tensor[] {Tensor.ofInts(new int[] {0, 0}, 2)}));
        assertThatThrownBy(() -> y.sum().backward()).hasMessageContaining("wrong_dtype backward gave a I32 gradient for input 0, a F32 tensor");
    }

    @Test void backwardOfWhatNeedsNoGradientSaysWhy() {
        Tensor x = Tensor.of(new float[] {1, 2}, 2).requiresGrad(true);
        try (GradMode g = GradMode.off()) {
            Tensor loss = x.sum();
            assertThatThrownBy(loss::backward).hasMessageContaining("does not require grad")
                    .hasMessageContaining("computed with GradMode off, as it is now");
        }
    }

    @Test void aTensorUsedTwiceGetsBothGradients() {
        // y = x * x + gelu(x): dy/dx = 2x + gelu'(x), reached along three paths.
        GradCheck.withSeed("fan-out", rng -> {
            int n = GradCheck.size(rng, 1, 17);
            GradCheck.of("x*x + gelu(x)", rng).input("x", n)
                    .check(t -> Arith.add(Arith.mul(t[0], t[0]), Gelu.gelu(t[0])), x -> {
                        double[] out = new double[n];
                        for (int i = 0; i < n; i++) {
                            double v = x[0][i];
                            out[i] = v * v + 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
                        }
                        return out;
                    });
            GradCheck.of("x + x", rng).input("x", n).check(t -> Arith.add(t[0], t[0]), x -> {
                double[] out = new double[n];
                for (int i = 0; i < n; i++) out[i] = 2 * x[0][i];
                return out;
            });
        });
    }

    @Test void gradientsAccumulateAcrossBackwardCalls() {
        Tensor x = Tensor.of(new float[] {1, -2, 3}, 3).requiresGrad(true);
        x.times(x).sum().backward();                  // 2x
        assertThat(x.grad().toFloatArray()).containsExactly(2, -4, 6);
        x.scale(3f).sum().backward();                 // + 3
        assertThat(x.grad().toFloatArray()).containsExactly(5, -1, 9);
        x.zeroGrad();
        assertThat(x.grad()).isNull();
        x.sum().backward();
        assertThat(x.grad().toFloatArray()).containsExactly(1, 1, 1);
    }

    @Test void theSameGraphCanBeWalkedTwice() {
        Tensor x = Tensor.of(new float[] {0.5f, -1f}, 2).requiresGrad(true);
        Tensor loss = Gelu.gelu(x).sum();
        loss.backward();
        float[] once = x.grad().toFloatArray();
        loss.backward();
        float[] twice = x.grad().toFloatArray();
        for (int i = 0; i < 2; i++) assertThat(twice[i]).isCloseTo(2 * once[i], within(1e-6f));
    }

    @Test void gradModeOffRecordsNothingAndRestores() {
        Tensor x = Tensor.of(new float[] {1, 2}, 2).requiresGrad(true);
        Tensor y;
        try (GradMode g = GradMode.off()) {
            assertThat(GradMode.isEnabled()).isFalse();
            y = Gelu.gelu(x.times(x)).sum();
            try (GradMode inner = GradMode.on()) {
                assertThat(x.scale(2f).requiresGrad()).isTrue();
            }
            assertThat(GradMode.isEnabled()).isFalse();
        }
        assertThat(GradMode.isEnabled()).isTrue();
        assertThat(y.gradFn()).isNull();
        assertThat(y.requiresGrad()).isFalse();
        assertThatThrownBy(y::backward).hasMessageContaining("does not require grad");
    }

    @Test void inputsThatNeedNoGradientGetNone() {
        Tensor w = Tensor.of(new float[] {1, 2}, 2).requiresGrad(true);
        Tensor c = Tensor.of(new float[] {3, 4}, 2);
        w.times(c).sum().backward();
        assertThat(c.grad()).isNull();
        assertThat(w.grad().toFloatArray()).containsExactly(3, 4);
    }

    @Test void detachCutsTheGraph() {
        Tensor x = Tensor.of(new float[] {1, 2}, 2).requiresGrad(true);
        Tensor d = x.times(x).detach();
        assertThat(d.requiresGrad()).isFalse();
        assertThat(d.toFloatArray()).containsExactly(1, 4);
    }

    @Test void scopeFreesTemporariesKeepsWhatIsKeptAndParametersKeepTheirGradients() {
        Tensor w = Tensor.of(new float[] {1, 2, 3}, 3).requiresGrad(true);   // made outside: owned by nobody
        Tensor temp, kept;
        try (Scope outer = Scope.open()) {
            try (Scope step = Scope.open()) {
                temp = w.times(w);
                Tensor loss = temp.sum();
                loss.backward();
                kept = Scope.keep(temp.scale(2f));
                assertThat(step.size()).isPositive();
            }
            assertThat(temp.isFreed()).isTrue();
            assertThat(kept.isFreed()).isFalse();
            assertThat(kept.toFloatArray()).containsExactly(2, 8, 18);
            assertThat(w.grad().toFloatArray()).containsExactly(2, 4, 6);
        }
        // keep moved it to the outer scope, which has closed now.
        assertThat(kept.isFreed()).isTrue();
        assertThat(w.isFreed()).isFalse();
        assertThat(w.grad().isFreed()).isFalse();
        assertThatThrownBy(temp::toFloatArray).hasMessageContaining("freed");
    }

    @Test void keptReshapeViewOutlivesItsScope() {
        Tensor view;
        try (Scope s = Scope.open()) {
            Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3).scale(1f);
            view = Scope.keep(ShapeOps.reshape(x, 3, 2));
        }
        assertThat(view.toFloatArray()).containsExactly(1, 2, 3, 4, 5, 6);
    }

    @Test void aUseAfterFreeSaysWhatFreedIt() {
        Tensor closed = Tensor.zeros(2);
        closed.close();
        assertThatThrownBy(closed::toFloatArray).hasMessageContaining("F32[2] was freed (by free() or close())");
        Tensor w = Tensor.of(new float[] {1, 2}, 2).requiresGrad(true);
        w.times(w).sum().backward();
        Tensor grad = w.grad();
        w.zeroGrad();
        assertThatThrownBy(grad::toFloatArray).hasMessageContaining("freed by zeroGrad()");
        Tensor scoped;
        try (Scope s = Scope.open()) { scoped = Tensor.zeros(3).reshape(1, 3); }
        assertThatThrownBy(scoped::toFloatArray).hasMessageContaining("F32[1,3]").hasMessageContaining("freed when its scope closed");
    }

    @Test void aSeedOfAnotherShapeIsRefused() {
        Tensor x = Tensor.of(new float[] {1, 2, 3}, 3).requiresGrad(true);
        assertThatThrownBy(() -> x.scale(2f).backward(Tensor.zeros(4)))
                .hasMessageContaining("[3]").hasMessageContaining("[4]").hasMessageContaining("the tensor's shape");
    }

    @Test void aScopeClosedOnAnotherThreadIsNamed() throws Exception {
        Scope scope = Scope.open();
        try {
            Throwable[] thrown = new Throwable[1];
            Thread other = new Thread(() -> { try { scope.close(); } catch (Throwable t) { thrown[0] = t; } }, "closer");
            other.start();
            other.join();
            assertThat(thrown[0]).hasMessageContaining("thread 'closer'").hasMessageContaining("belong to the thread that opens them");
        } finally {
            scope.close();
        }
    }

    @Test void scopesMustCloseInnermostFirst() {
        Scope outer = Scope.open();
        Scope inner = Scope.open();
        assertThatThrownBy(outer::close).hasMessageContaining("innermost");
        inner.close();
        outer.close();
    }

    /**
     * A backward gives an intermediate gradient's memory back once the op that needed it is done, not when the scope
     * closes; a gradient handed on as it is, or as a view, lives until its last user; what it did not make (the
     * caller's seed, a constant an op hands on) it leaves alone.
     */
    @Test void intermediateGradientsAreFreedAsTheWalkPassesThem() {
        try (Scope s = Scope.open()) {
            Tensor x = Tensor.of(new float[] {1, 2, 3, 4}, 4).requiresGrad(true);
            java.util.List<Tensor> seen = new java.util.ArrayList<>();
            Tensor copied = spy(x, seen, g -> g.scale(1f));                 // hands on a new gradient
            Tensor viewed = spy(copied, seen, g -> g.view(4));              // hands on a view of the one it got
            Tensor passed = spy(viewed, seen, g -> g);                     // hands on the one it got
            Tensor y = Arith.add(passed, passed);                          // both inputs get the same gradient
            Tensor seed = Tensor.of(new float[] {1, 1, 1, 1}, 4);
            y.backward(seed);
            assertThat(x.grad().toFloatArray()).containsExactly(2, 2, 2, 2);
            // What the spies got, last op first: the sum of y's two paths, the same, a view of it; x's gradient
            // (right above) was made from the view after the other two spies had handed it on.
            assertThat(seen).hasSize(3).allSatisfy(g -> assertThat(g.storageOwner().isFreed()).as("freed before the scope closes").isTrue());
            assertThat(seed.isFreed()).as("the caller's seed").isFalse();
            assertThat(x.grad().isFreed()).isFalse();

            Tensor constant = Tensor.of(new float[] {5, 5, 5, 5}, 4);   // say, a straight-through gradient made ahead
            Tensor z = Tensor.of(new float[] {1, 2, 3, 4}, 4).requiresGrad(true);
            spy(spy(z, new java.util.ArrayList<>(), g -> constant), new java.util.ArrayList<>(), g -> g).sum().backward();
            assertThat(z.grad().toFloatArray()).containsExactly(5, 5, 5, 5);
            assertThat(constant.isFreed()).as("a tensor made before the backward, handed on as a gradient").isFalse();
        }
    }

    /**
     * A gradient an op makes for an input that needs none (LayerNorm's, attention's and add's backward make all of
     * theirs) is freed as the walk passes it, like the others, not left for the scope.
     */
    @Test void aGradientForAnInputThatNeedsNoneIsFreedByTheWalk() {
        try (Scope s = Scope.open()) {
            Tensor x = Tensor.of(new float[] {1, 2}, 2).requiresGrad(true), constant = Tensor.of(new float[] {3, 4}, 2);
            java.util.List<Tensor> made = new java.util.ArrayList<>();
            Tensor both = Arith.add(x, constant).detach().recordOp(new Node("both", new Tensor[] {x, constant}, g -> {
                made.add(g.scale(1f));
                made.add(g.scale(1f));
                return made.toArray(Tensor[]::new);
            }));
            both.sum().backward();
            assertThat(x.grad().toFloatArray()).containsExactly(1, 1);
            assertThat(made.get(1).isFreed()).as("the constant's gradient, freed before the scope closes").isTrue();
        }
    }

    /** An identity op whose backward records the gradient it gets and hands on what handOn makes of it. */
    private static Tensor spy(Tensor in, java.util.List<Tensor> seen, java.util.function.UnaryOperator<Tensor> handOn) {
        Tensor out = in.scale(1f).detach();
        return out.recordOp(new Node("spy", new Tensor[] {in}, g -> {
            seen.add(g);
            return new Tensor[] {handOn.apply(g)};
        }));
    }
}
