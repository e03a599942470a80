package org.instruct4j.engine.backend.cuda;

/**
 * The column-major cuBLAS call that computes a row-major product. A row-major matrix read as column-major is its
 * transpose, so row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T: pass B first and A second, swap
 * m and n, and keep each operand's own transpose flag. ld is the stored row length of each operand.
 *
 * @param transFirst whether the first operand (B) is transposed, i.e. B is stored n x k
 * @param transSecond whether the second operand (A) is transposed, i.e. A is stored k x m
 * @param m rows of the column-major result (the row-major n)
 * @param n columns of the column-major result (the row-major m)
 */
public record GemmOperands(boolean transFirst, boolean transSecond, int m, int n, int k, int ldFirst, int ldSecond, int ldc) {
    public static GemmOperands rowMajor(boolean transA, boolean transB, int m, int n, int k) {
        return new GemmOperands(transB, transA, n, m, k, transB ? k : n, transA ? m : k, n);
    }
}
