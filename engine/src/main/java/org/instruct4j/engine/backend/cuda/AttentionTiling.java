package org.instruct4j.engine.backend.cuda;

/**
 * The block geometry of the flash attention kernels in kernels/src/attention.cu, as plain Java so the
 * tile loop can be unit-tested (and emulated) without a GPU. Every bound here has a twin in attention.cu
 * (named the same in a comment there); change both together.
 *
 * <p>Query i sits at key position {@code tk - tq + i} and sees keys {@code start <= j <= tk - tq + i}.
 *
 * @param headDim   D, a template parameter of the kernel
 * @param blockM    query rows per CTA (forward, dq pass) or queries per streamed tile (dk/dv pass)
 * @param blockN    keys per streamed tile (forward, dq pass) or keys per CTA (dk/dv pass)
 * @param warps     warps per CTA; each owns 16 rows of the CTA's own dimension
 * @param sharedBytes dynamic shared memory per CTA
 */
public record AttentionTiling(int headDim, int blockM, int blockN, int warps, int sharedBytes) {

    /** Opt-in free launches: every flash kernel stays within the 48 KB of dynamic shared memory allowed by default. */
    public static final int DEFAULT_SHARED_LIMIT = 48 * 1024;

    public int threads() { return warps * 32; }

    /** Forward: BM x D of Q, and two (double-buffered) BN x D tiles each of K and V, all bf16. */
    public static AttentionTiling forward(int headDim) {
        return switch (headDim) {
            case 64 -> new AttentionTiling(64, 128, 64, 8, bf16(128 * 64 + 2 * 2 * 64 * 64));
            case 128 -> new AttentionTiling(128, 64, 32, 4, bf16(64 * 128 + 2 * 2 * 32 * 128));
            default -> throw new IllegalArgumentException("flash attention has no kernel for head dim " + headDim);
        };
    }

    /** dq pass (warps own query rows): BM x D of Q and of dO, one BN x D tile each of K and V. */
    public static AttentionTiling backwardDq(int headDim) {
        return switch (headDim) {
            case 64 -> new AttentionTiling(64, 64, 64, 4, bf16(2 * 64 * 64 + 2 * 64 * 64));
            case 128 -> new AttentionTiling(128, 64, 32, 4, bf16(2 * 64 * 128 + 2 * 32 * 128));
            default -> throw new IllegalArgumentException("flash attention backward has no kernel for head dim " + headDim);
        };
    }

    /** dk/dv pass (warps own key rows): BN x D of K and of V, one BM x D tile each of Q and dO. */
    public static AttentionTiling backwardDkDv(int headDim) {
        return switch (headDim) {
            case 64 -> new AttentionTiling(64, 64, 64, 4, bf16(2 * 64 * 64 + 2 * 64 * 64));
            case 128 -> new AttentionTiling(128, 32, 64, 4, bf16(2 * 64 * 128 + 2 * 32 * 128));
            default -> throw new IllegalArgumentException("flash attention backward has no kernel for head dim " + headDim);
        };
    }

    private static int bf16(int elements) { return elements * 2; }

    // ---- the loop bounds shared by the kernels --------------------------------------------------------------

    /** Key position of query row i (the last key it sees). */
    public static int lastKey(int i, int tq, int tk) { return tk - tq + i; }

    /** Whether query i sees key j. */
    public static boolean visible(int i, int j, int start, int tq, int tk) {
        return j >= start && j <= lastKey(i, tq, tk);
    }

    /** First key tile a query block visits: the tile holding key {@code start} (tiles before it are all padding). */
    public static int firstKeyTile(int start, int blockN) { return start / blockN; }

    /**
     * One past the last key tile a query block starting at row m0 visits: tiles wholly above the diagonal of
     * the block's last row are skipped.
     */
    public static int endKeyTile(int m0, int blockM, int tq, int tk, int blockN) {
        int lastRow = Math.min(m0 + blockM, tq) - 1;
        int lastKeyExclusive = lastKey(lastRow, tq, tk) + 1;
        return ceilDiv(lastKeyExclusive, blockN);
    }

    /**
     * Whether a key tile at n0 needs the per-element mask for the query block at m0: it holds padding, keys
     * past the end, or keys above the diagonal of the block's first row. Other tiles are fully visible.
     */
    public static boolean tileNeedsMask(int m0, int n0, int blockN, int start, int tq, int tk) {
        return n0 < start || n0 + blockN > tk || n0 + blockN - 1 > lastKey(m0, tq, tk);
    }

    /** dk/dv pass: the first query tile that sees any key of the key block at n0 (earlier rows end before n0). */
    public static int firstQueryTile(int n0, int tq, int tk, int blockM) {
        int firstRow = Math.max(0, n0 - (tk - tq));
        return firstRow / blockM;
    }

    /** dk/dv pass: whether the whole key block at n0 is left padding (never attended: dk = dv = 0). */
    public static boolean keyBlockIsPadding(int n0, int blockN, int start, int tk) {
        return Math.min(n0 + blockN, tk) <= start;
    }

    public static int ceilDiv(int a, int b) { return (a + b - 1) / b; }
}
