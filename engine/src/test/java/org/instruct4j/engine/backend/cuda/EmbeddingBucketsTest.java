package org.instruct4j.engine.backend.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class EmbeddingBucketsTest {
    @Test void groupsPositionsByIdInIncreasingOrder() {
        Random r = new Random(5);
        int vocab = 13, n = 200;
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = r.nextInt(vocab - 3) + 3;
        EmbeddingBuckets b = EmbeddingBuckets.of(ids, n, vocab);
        assertThat(b.bucketStart()[b.count()]).isEqualTo(n);
        int previousId = -1;
        for (int k = 0; k < b.count(); k++) {
            int id = b.bucketId()[k];
            assertThat(id).isGreaterThan(previousId);
            previousId = id;
            List<Integer> expected = new ArrayList<>(), actual = new ArrayList<>();
            for (int i = 0; i < n; i++) if (ids[i] == id) expected.add(i);
            for (int p = b.bucketStart()[k]; p < b.bucketStart()[k + 1]; p++) actual.add(b.positions()[p]);
            assertThat(actual).isEqualTo(expected);
        }
        assertThat(b.bucketId()).doesNotContain(0, 1, 2);
    }

    @Test void onlyTheFirstNIdsCountAndBadIdsAreNamed() {
        assertThat(EmbeddingBuckets.of(new int[] {2, 2, 99}, 2, 3).count()).isEqualTo(1);
        assertThatThrownBy(() -> EmbeddingBuckets.of(new int[] {1, 5}, 2, 3)).hasMessageContaining("token id 5 at position 1");
        assertThatThrownBy(() -> EmbeddingBuckets.of(new int[] {-1}, 1, 3)).hasMessageContaining("token id -1");
    }
}
