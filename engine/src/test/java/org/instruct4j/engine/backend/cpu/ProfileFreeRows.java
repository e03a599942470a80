package org.instruct4j.engine.backend.cpu;

import java.lang.management.ManagementFactory;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * The child program of {@link VectorMathProfileFreeTest}: calls each row primitive until its compiled form has
 * settled and prints, per primitive, "name bytes" with the fewest heap bytes one call allocated, averaged over a
 * round of calls, in any round. A primitive whose vectors are boxed allocates hundreds of bytes a call in every
 * round; one compiled well allocates none once its compiled form is in place.
 */
final class ProfileFreeRows {
    private static final int ROUNDS = 12, CALLS = 5_000, N = 1024;
    private static float sink;

    private ProfileFreeRows() {}

    public static void main(String[] args) {
        Random random = new Random(1);
        float[] x = gaussian(random, 4 * N), y = gaussian(random, 4 * N), out = new float[4 * N];
        float[] w = gaussian(random, N), b = gaussian(random, N), mean = new float[1], rstd = new float[1];
        float[] sums = new float[N];
        Map<String, Runnable> rows = new LinkedHashMap<>();
        rows.put("max", () -> sink += VectorMath.max(x, 3, N));
        rows.put("sum", () -> sink += VectorMath.sum(x, 3, N));
        rows.put("dot", () -> sink += VectorMath.dot(x, 3, y, 5, N));
        rows.put("axpy", () -> VectorMath.axpy(0.5f, x, 1, out, 0, N));
        rows.put("scale", () -> VectorMath.scale(out, 0, 0.999f, N));
        rows.put("layerNormRow", () -> VectorMath.layerNormRow(x, w, b, out, 0, N, 1e-5f, mean, rstd, 0));
        rows.put("layerNormBackwardRow", () -> VectorMath.layerNormBackwardRow(y, x, w, 0.1f, 1.2f, out, 0, N));
        rows.put("layerNormWeightGrads", () -> VectorMath.layerNormWeightGrads(y, x, w, b, 4, N, out, sums, 0, N));
        rows.put("softmaxBackwardRow", () -> VectorMath.softmaxBackwardRow(x, y, out, 0, N));
        rows.put("attentionScoreGradRow", () -> VectorMath.attentionScoreGradRow(x, out, 0, N, 0.3f, 0.1f));
        // Ragged lengths: the masked ends, and on AVX2 a row ending on either of a sum's two running vectors.
        rows.put("sumRagged", () -> sink += VectorMath.sum(x, 3, N - 13));
        rows.put("dotRagged", () -> sink += VectorMath.dot(x, 3, y, 5, N - 5));
        rows.put("layerNormRowRagged", () -> VectorMath.layerNormRow(x, w, b, out, 0, N - 13, 1e-5f, mean, rstd, 0));
        rows.put("layerNormBackwardRowRagged", () -> VectorMath.layerNormBackwardRow(y, x, w, 0.1f, 1.2f, out, 0, N - 5));
        for (Map.Entry<String, Runnable> row : rows.entrySet())
            System.out.println(row.getKey() + " " + fewestBytesPerCall(row.getValue()));
    }

    /**
     * The fewest heap bytes one call allocated on this thread, averaged over a round of calls, in any round: 0 once
     * the call's compiled form allocates nothing, whatever it allocated while the JIT was still at work.
     */
    static double fewestBytesPerCall(Runnable call) {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        double fewest = Double.MAX_VALUE;
        for (int round = 0; round < ROUNDS; round++) {
            long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < CALLS; i++) call.run();
            fewest = Math.min(fewest, (threads.getCurrentThreadAllocatedBytes() - before) / (double) CALLS);
        }
        return fewest;
    }

    static float[] gaussian(Random random, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) random.nextGaussian();
        return v;
    }
}
