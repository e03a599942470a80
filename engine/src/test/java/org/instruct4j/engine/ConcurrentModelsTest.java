package org.instruct4j.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * An embedder may train or run several models at once from its own threads (a server answering two requests, a
 * sweep of runs in one JVM). The engine's shared parts (the helper threads, the array pool, the tensor counter the
 * backward uses) must then give each model the bits it gets alone.
 */
class ConcurrentModelsTest {
    @Test
    void modelsTrainedInThreadsAtOnceEachGetTheLossTheyGetAlone() throws Exception {
        float alone = ReadmeExampleTest.trainedLoss();
        int threads = 4;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<Float>> runs = new ArrayList<>();
            for (int i = 0; i < threads; i++) runs.add(pool.submit(ReadmeExampleTest::trainedLoss));
            for (Future<Float> run : runs) assertThat(Float.floatToIntBits(run.get())).isEqualTo(Float.floatToIntBits(alone));
        } finally {
            pool.shutdown();
        }
    }
}
