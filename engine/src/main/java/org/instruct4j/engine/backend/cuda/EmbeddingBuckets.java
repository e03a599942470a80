package org.instruct4j.engine.backend.cuda;

/**
 * The positions of each distinct token id, grouped by id in increasing position order (a counting sort), so the
 * embedding backward can give each table row to one thread block and add its gradients in the CPU's order.
 *
 * @param positions all positions, grouped: bucket b holds positions[bucketStart[b] .. bucketStart[b+1])
 * @param bucketStart count + 1 offsets into positions
 * @param bucketId the token id of each bucket, increasing
 */
public record EmbeddingBuckets(int[] positions, int[] bucketStart, int[] bucketId) {
    public int count() { return bucketId.length; }

    public static EmbeddingBuckets of(int[] ids, int n, int vocab) {
        int[] counts = new int[vocab];
        for (int i = 0; i < n; i++) {
            int id = ids[i];
            if (id < 0 || id >= vocab)
                throw new IndexOutOfBoundsException("token id " + id + " at position " + i + " outside the table of " + vocab + " rows");
            counts[id]++;
        }
        int distinct = 0;
        for (int c : counts) if (c > 0) distinct++;
        int[] bucketId = new int[distinct], bucketStart = new int[distinct + 1], next = new int[vocab];
        int b = 0, offset = 0;
        for (int id = 0; id < vocab; id++) {
            if (counts[id] == 0) continue;
            bucketId[b] = id;
            bucketStart[b++] = offset;
            next[id] = offset;
            offset += counts[id];
        }
        bucketStart[distinct] = offset;
        int[] positions = new int[n];
        for (int i = 0; i < n; i++) positions[next[ids[i]]++] = i;
        return new EmbeddingBuckets(positions, bucketStart, bucketId);
    }
}
