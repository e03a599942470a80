package org.instruct4j.engine.testing;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.Arrays;
import java.util.function.Function;
import org.instruct4j.engine.Tensor;

/**
 * libtorch on the CPU (through DJL's PyTorch engine) as a second reference for the engine's ops: tensors go
 * over as NDArrays, the op is written with NDArray calls, and the backward of {@code sum(out * R)} runs under a
 * GradientCollector. libtorch is a declared test dependency: when it cannot load, {@link #open()} fails with a
 * message that says so instead of letting a test skip.
 */
public final class TorchReference implements AutoCloseable {
    /** DJL's name for its PyTorch engine. */
    public static final String ENGINE = "PyTorch";

    private final Engine engine;
    private final NDManager manager;

    private TorchReference(Engine engine) {
        this.engine = engine;
        this.manager = engine.newBaseManager();
    }

    /** Loads libtorch (offline, from the pytorch-native-cpu jar); an AssertionError names the cause if it cannot. */
    public static TorchReference open() {
        try {
            Engine engine = Engine.getEngine(ENGINE);
            return new TorchReference(engine);
        } catch (Throwable e) {
            throw new AssertionError("libtorch could not load through DJL's " + ENGINE + " engine (the tests need "
                    + "ai.djl.pytorch:pytorch-engine, pytorch-jni and pytorch-native-cpu on the test classpath and "
                    + "-Dai.djl.offline=true): " + e, e);
        }
    }

    public NDManager manager() { return manager; }

    /** libtorch's version string, for the test report. */
    public String version() { return engine.getVersion(); }

    /** An F32 tensor as a float32 NDArray, an I32 tensor as int64 (what torch indexing wants). */
    public NDArray array(Tensor t) {
        Shape shape = new Shape(Arrays.stream(t.shape()).asLongStream().toArray());
        return switch (t.dtype()) {
            case F32 -> manager.create(t.toFloatArray(), shape);
            case I32 -> manager.create(t.toIntArray(), shape).toType(DataType.INT64, false);
            case BF16 -> throw new IllegalArgumentException("bring BF16 tensors to F32 before comparing: " + t.describe());
        };
    }

    public static float[] floats(NDArray a) { return a.toType(DataType.FLOAT32, false).toFloatArray(); }

    public static int[] shape(NDArray a) { return Arrays.stream(a.getShape().getShape()).mapToInt(Math::toIntExact).toArray(); }

    /** What libtorch computed: the output (values and shape) and each input's gradient. */
    public record Result(float[] output, int[] shape, float[][] grads) {}

    /**
     * Runs op on the given floating inputs (each needing a gradient), then the backward of sum(out * r);
     * r == null skips the backward.
     */
    public Result run(Function<NDArray[], NDArray> op, float[] r, Tensor... inputs) {
        try (NDManager scope = manager.newSubManager()) {
            NDArray[] xs = new NDArray[inputs.length];
            for (int i = 0; i < inputs.length; i++) {
                xs[i] = array(inputs[i]);
                xs[i].attach(scope);
                if (r != null) xs[i].setRequiresGradient(true);
            }
            if (r == null) {
                NDArray out = op.apply(xs);
                return new Result(floats(out), shape(out), new float[0][]);
            }
            try (GradientCollector collector = engine.newGradientCollector()) {
                NDArray out = op.apply(xs);
                NDArray rr = manager.create(r, out.getShape());
                rr.attach(scope);
                collector.backward(out.mul(rr).sum());
                float[][] grads = new float[inputs.length][];
                for (int i = 0; i < inputs.length; i++) grads[i] = floats(xs[i].getGradient());
                return new Result(floats(out), shape(out), grads);
            }
        }
    }

    @Override public void close() { manager.close(); }
}
