package org.instruct4j.engine.text;

import java.util.Arrays;

/**
 * A map from a pair of token ids to an int, by open addressing on one long key. The BPE inner loop looks a pair
 * up for every neighbouring pair of every word it encodes; a HashMap would box each key.
 */
final class PairTable {
    private static final long EMPTY = -1L; // ids are non-negative, so (left, right) never packs to -1
    private long[] keys;
    private int[] values;
    private int size;

    PairTable(int expected) {
        int capacity = Integer.highestOneBit(Math.max(4, expected * 2) - 1) << 1;
        keys = new long[capacity];
        values = new int[capacity];
        Arrays.fill(keys, EMPTY);
    }

    static long key(int left, int right) { return ((long) left << 32) | (right & 0xFFFFFFFFL); }

    private int slot(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h >>> 40) & (keys.length - 1);
    }

    /** The value stored for (left, right), or {@code missing}. */
    int get(int left, int right, int missing) {
        long key = key(left, right);
        for (int i = slot(key); ; i = (i + 1) & (keys.length - 1)) {
            if (keys[i] == key) return values[i];
            if (keys[i] == EMPTY) return missing;
        }
    }

    /** Stores a value; returns false (and changes nothing) when the pair is already there. */
    boolean putIfAbsent(int left, int right, int value) {
        if (2 * (size + 1) > keys.length) grow();
        long key = key(left, right);
        int i = slot(key);
        while (keys[i] != EMPTY) {
            if (keys[i] == key) return false;
            i = (i + 1) & (keys.length - 1);
        }
        keys[i] = key;
        values[i] = value;
        size++;
        return true;
    }

    private void grow() {
        long[] oldKeys = keys;
        int[] oldValues = values;
        keys = new long[oldKeys.length * 2];
        values = new int[oldKeys.length * 2];
        Arrays.fill(keys, EMPTY);
        size = 0;
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldKeys[i] != EMPTY) putIfAbsent((int) (oldKeys[i] >>> 32), (int) oldKeys[i], oldValues[i]);
        }
    }
}
