package org.instruct4j.engine.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.instruct4j.engine.Rng;
import org.instruct4j.engine.Tensor;
import org.instruct4j.engine.backend.Backend;
import org.instruct4j.engine.backend.Buffer;
import org.junit.jupiter.api.Test;

class AdamWTest {
    /** Two steps of AdamW on a weight (decayed) and a bias (not decayed) against the formula in double. */
    @Test void matchesHandComputedUpdate() {
        float[] w0 = {0.5f, -1.5f, 2f, 0.1f}, b0 = {0.3f, -0.2f};
        float[][] wGrads = {{0.1f, -0.4f, 2f, 0f}, {-0.3f, 0.2f, 1f, 0.05f}};
        float[][] bGrads = {{1f, -1f}, {0.5f, 0.25f}};
        Tensor w = Tensor.of(w0.clone(), 2, 2).requiresGrad(true), b = Tensor.of(b0.clone(), 2).requiresGrad(true);
        Map<String, Tensor> params = new LinkedHashMap<>();
        params.put("w", w);
        params.put("b", b);
        float lr = 0.01f, wd = 0.1f, scale = 0.5f;
        AdamW opt = new AdamW(params, 0.9f, 0.95f, 1e-8f, wd);
        double[] mw = new double[4], vw = new double[4], mb = new double[2], vb = new double[2];
        double[] pw = toDouble(w0), pb = toDouble(b0);
        for (int t = 1; t <= 2; t++) {
            w.setGrad(Tensor.of(wGrads[t - 1], 2, 2));
            b.setGrad(Tensor.of(bGrads[t - 1], 2));
            opt.step(lr, scale);
            reference(pw, wGrads[t - 1], mw, vw, t, lr, wd, scale);
            reference(pb, bGrads[t - 1], mb, vb, t, lr, 0, scale);
            assertClose(w.toFloatArray(), pw);
            assertClose(b.toFloatArray(), pb);
        }
        assertThat(opt.stepCount()).isEqualTo(2);
        assertThat(opt.state()).containsKeys("w.m", "w.v", "b.m", "b.v", "step");
        assertClose(opt.state().get("w.m").toFloatArray(), mw);
    }

    @Test void skipsParametersWithoutGradAndRestoresState() {
        Tensor a = Tensor.of(new float[] {1f, 2f}, 2).requiresGrad(true), c = Tensor.of(new float[] {3f}, 1).requiresGrad(true);
        AdamW opt = AdamW.of(Map.of("a", a, "c", c), 0f);
        c.setGrad(Tensor.of(new float[] {1f}, 1));
        opt.step(0.1f, 1f);
        assertThat(a.toFloatArray()).containsExactly(1f, 2f);
        assertThat(c.toFloatArray()[0]).isCloseTo(2.9f, within(1e-5f));

        // A fresh optimizer on copies of the parameters, given the state, takes the next step exactly as the
        // original does: the step count (bias correction) and both moments came through.
        Tensor a2 = Tensor.of(a.toFloatArray(), 2).requiresGrad(true), c2 = Tensor.of(c.toFloatArray(), 1).requiresGrad(true);
        AdamW restored = AdamW.of(Map.of("a", a2, "c", c2), 0f);
        restored.loadState(opt.state());
        assertThat(restored.stepCount()).isEqualTo(1);
        for (Tensor p : List.of(a, a2)) p.setGrad(Tensor.of(new float[] {0.5f, -2f}, 2));
        for (Tensor p : List.of(c, c2)) p.setGrad(Tensor.of(new float[] {-0.7f}, 1));
        opt.step(0.1f, 1f);
        restored.step(0.1f, 1f);
        assertThat(a2.toFloatArray()).containsExactly(a.toFloatArray());
        assertThat(c2.toFloatArray()).containsExactly(c.toFloatArray());
    }

    @Test void globalNormAndClipScale() {
        Tensor a = Tensor.zeros(2).requiresGrad(true), c = Tensor.zeros(1).requiresGrad(true), none = Tensor.zeros(3).requiresGrad(true);
        a.setGrad(Tensor.of(new float[] {3f, 0f}, 2));
        c.setGrad(Tensor.of(new float[] {-4f}, 1));
        float norm = GradClip.globalNorm(List.of(a, c, none));
        assertThat(norm).isCloseTo(5f, within(1e-6f));
        assertThat(GradClip.clipScale(norm, 1f)).isCloseTo(0.2f, within(1e-6f));
        assertThat(GradClip.clipScale(norm, 10f)).isEqualTo(1f);
    }

    /**
     * The norm is each gradient's sum of squares (in double, in order, rounded to float) totalled in double in the
     * parameters' order, whichever thread measured which gradient; the Backend default (one after another, as on
     * the GPU) gives the same values. Sizes from one element to over a million (above which the CPU splits the work).
     */
    @Test void globalNormSumsEachGradientInOrder() {
        Rng rng = new Rng(42);
        List<Tensor> params = new ArrayList<>();
        double want = 0;
        for (int n : new int[] {1, 7, 1_100_001, 64, 150_000, 3, 1 << 17, 5, 9, 11, 13}) {
            Tensor p = Tensor.zeros(n).requiresGrad(true);
            p.setGrad(Tensor.randn(rng, 1f, n));
            params.add(p);
            double s = 0;
            for (float g : p.grad().toFloatArray()) s += (double) g * g;
            want += (float) s;
        }
        params.add(Tensor.zeros(4).requiresGrad(true)); // no gradient: skipped
        assertThat(GradClip.globalNorm(params)).isEqualTo((float) Math.sqrt(want));

        Backend cpu = params.get(0).backend();
        var oneByOne = (Backend) Proxy.newProxyInstance(
                getClass().getClassLoader(), new Class<?>[] {Backend.class},
                (proxy, method, args) -> method.getName().equals("sumSquaresEach")
                        ? InvocationHandler.invokeDefault(proxy, method, args) : method.invoke(cpu, args));
        var buffers = params.subList(0, 11).stream().map(p -> p.grad().buffer()).toArray(Buffer[]::new);
        Tensor parallel = Tensor.zeros(buffers.length), serial = Tensor.zeros(buffers.length);
        cpu.sumSquaresEach(buffers, parallel.buffer());
        oneByOne.sumSquaresEach(buffers, serial.buffer());
        assertThat(serial.toFloatArray()).containsExactly(parallel.toFloatArray());
    }

    @Test void schedules() {
        assertThat(LrSchedule.constant(3e-4f).at(1000)).isEqualTo(3e-4f);
        LrSchedule cos = LrSchedule.cosine(1f, 100, 0.1f);
        assertThat(cos.at(0)).isCloseTo(1f, within(1e-6f));
        assertThat(cos.at(50)).isCloseTo(0.55f, within(1e-6f));
        assertThat(cos.at(100)).isCloseTo(0.1f, within(1e-6f));
        assertThat(cos.at(500)).isCloseTo(0.1f, within(1e-6f));
        LrSchedule warm = LrSchedule.linearWarmup(1f, 10, 0.1f, cos);
        assertThat(warm.at(0)).isCloseTo(0.1f, within(1e-6f));
        assertThat(warm.at(5)).isCloseTo(0.55f, within(1e-6f));
        assertThat(warm.at(10)).isCloseTo(1f, within(1e-6f));
        assertThat(warm.at(60)).isCloseTo(0.55f, within(1e-6f));
        LrSchedule ppo = LrSchedule.linearWarmup(2f, 10, 0.1f, LrSchedule.constant(2f));
        assertThat(ppo.at(9)).isCloseTo(2f * (0.1f + 0.9f * 0.9f), within(1e-6f));
        assertThat(ppo.at(10_000)).isEqualTo(2f);
    }

    private static void reference(double[] p, float[] g, double[] m, double[] v, int t, double lr, double wd, double scale) {
        for (int i = 0; i < p.length; i++) {
            double gi = g[i] * scale;
            m[i] = 0.9 * m[i] + 0.1 * gi;
            v[i] = 0.95 * v[i] + 0.05 * gi * gi;
            double mhat = m[i] / (1 - Math.pow(0.9, t)), vhat = v[i] / (1 - Math.pow(0.95, t));
            p[i] -= lr * (mhat / (Math.sqrt(vhat) + 1e-8) + wd * p[i]);
        }
    }

    private static double[] toDouble(float[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) d[i] = x[i];
        return d;
    }

    private static void assertClose(float[] actual, double[] expected) {
        for (int i = 0; i < actual.length; i++) assertThat((double) actual[i]).as("element %d", i).isCloseTo(expected[i], within(1e-6));
    }
}
