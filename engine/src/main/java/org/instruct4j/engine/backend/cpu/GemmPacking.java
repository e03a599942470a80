package org.instruct4j.engine.backend.cpu;

/**
 * Copies blocks of A and B into the layout the micro-kernel streams through (plain Java, no Vector API).
 * Packing is where the transposes are handled, so the kernel only ever sees one layout:
 * <ul>
 *   <li>A block (mc x kc) becomes panels of {@code mr} rows; inside a panel, element (r, p) sits at
 *       {@code p * mr + r}, so one k step reads mr consecutive floats.</li>
 *   <li>B block (kc x nc) becomes panels of {@code nr} columns; inside a panel, element (p, c) sits at
 *       {@code p * nr + c}, so one k step reads nr consecutive floats (whole vectors).</li>
 * </ul>
 * Ragged edges are padded with zeros to whole panels; the padded lanes are computed and then thrown away.
 */
final class GemmPacking {
    private GemmPacking() {}

    /**
     * Packs rows [i0, i0 + mc) and k range [p0, p0 + kc) of op(A) into dst (ceil(mc / mr) panels of mr x kc).
     * A is m x k row-major at aOff, or k x m when transA.
     */
    static void packA(boolean transA, float[] a, int aOff, int m, int k, int i0, int mc, int p0, int kc,
                      float[] dst, int mr) {
        for (int ip = 0; ip < mc; ip += mr) {
            int rows = Math.min(mr, mc - ip), d = ip * kc;
            if (transA) {
                // A(i, p) = a[p * m + i]: a k step's rows are adjacent in memory.
                for (int p = 0; p < kc; p++) {
                    int src = aOff + (p0 + p) * m + i0 + ip, dp = d + p * mr;
                    for (int r = 0; r < rows; r++) dst[dp + r] = a[src + r];
                    for (int r = rows; r < mr; r++) dst[dp + r] = 0f;
                }
            } else {
                // A(i, p) = a[i * k + p]: read each row once, scatter it with stride mr.
                for (int r = 0; r < mr; r++) {
                    if (r < rows) {
                        int src = aOff + (i0 + ip + r) * k + p0;
                        for (int p = 0; p < kc; p++) dst[d + p * mr + r] = a[src + p];
                    } else {
                        for (int p = 0; p < kc; p++) dst[d + p * mr + r] = 0f;
                    }
                }
            }
        }
    }

    /**
     * Packs panels [panelFrom, panelTo) of the B block with k range [p0, p0 + kc) and columns [j0, j0 + nc)
     * into dst (panel jp at {@code dstBase + jp * nr * kc}). B is k x n row-major at bOff, or n x k when transB.
     */
    static void packB(boolean transB, float[] b, int bOff, int k, int n, int p0, int kc, int j0, int nc,
                      float[] dst, int nr, int panelFrom, int panelTo, int dstBase) {
        for (int jp = panelFrom; jp < panelTo; jp++) {
            int j = jp * nr, cols = Math.min(nr, nc - j), d = dstBase + j * kc;
            if (transB) {
                // B(p, j) = b[j * k + p]: read each column of op(B) (a row of b) once, scatter with stride nr.
                for (int c = 0; c < nr; c++) {
                    if (c < cols) {
                        int src = bOff + (j0 + j + c) * k + p0;
                        for (int p = 0; p < kc; p++) dst[d + p * nr + c] = b[src + p];
                    } else {
                        for (int p = 0; p < kc; p++) dst[d + p * nr + c] = 0f;
                    }
                }
            } else {
                // A plain loop, not System.arraycopy: a panel row is only nr (16) floats, and the call's setup
                // cost more than the copy (packing the activations for a weight gradient is 2048 such rows).
                for (int p = 0; p < kc; p++) {
                    int dp = d + p * nr, src = bOff + (p0 + p) * n + j0 + j;
                    for (int c = 0; c < cols; c++) dst[dp + c] = b[src + c];
                    for (int c = cols; c < nr; c++) dst[dp + c] = 0f;
                }
            }
        }
    }
}
