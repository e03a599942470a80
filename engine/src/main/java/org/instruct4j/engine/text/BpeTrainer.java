package org.instruct4j.engine.text;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * Learns BPE merges. The corpus is reduced to its distinct pre-tokenized words with their counts; every
 * neighbouring pair of tokens inside a word is counted (weighted by the word's count), and the most frequent pair
 * is merged into a new token, again and again.
 *
 * <p>Counts are updated incrementally: merging (a, b) only rewrites the words that contain it (each pair keeps a
 * list of them), and a max-heap of (count, pair) picks the next merge. Heap entries are not removed when a
 * count changes; a popped entry whose count is out of date is pushed back with the current count. This is
 * exact because a pair's count can only grow in the step that creates its new token, and those pairs (the ones
 * containing the new token) are pushed fresh after each step.
 */
final class BpeTrainer {
    private BpeTrainer() {}

    /** Token strings in id order (256 byte tokens, then the learned ones) and the merges in rank order. */
    record Result(List<String> tokens, int[] mergeLeft, int[] mergeRight) {}

    private static final class PairStat {
        long count;
        int[] words = new int[4]; // indices of words that contain (or once contained) the pair
        int wordCount;

        void addWord(int w) {
            if (wordCount > 0 && words[wordCount - 1] == w) return;
            if (wordCount == words.length) words = Arrays.copyOf(words, wordCount * 2);
            words[wordCount++] = w;
        }
    }

    private record Candidate(long count, long pair) {}

    static Result learn(Iterable<String> corpus, int newTokens) {
        // 1. distinct words and their counts
        Map<String, long[]> wordCounts = new HashMap<>();
        for (String document : corpus) {
            PreTokenizer.split(document, 0, document.length(),
                    (s, e) -> wordCounts.computeIfAbsent(document.substring(s, e), k -> new long[1])[0]++);
        }
        int[] idOfByte = new int[256];
        List<String> tokens = new ArrayList<>();
        Map<String, Integer> idOfToken = new HashMap<>();
        for (int id = 0; id < 256; id++) {
            idOfByte[ByteAlphabet.BYTE_ORDER[id]] = id;
            String t = String.valueOf(ByteAlphabet.charOf(ByteAlphabet.BYTE_ORDER[id]));
            tokens.add(t);
            idOfToken.put(t, id);
        }
        int wordTotal = wordCounts.size();
        int[][] words = new int[wordTotal][];
        int[] lengths = new int[wordTotal];
        long[] freq = new long[wordTotal];
        int w0 = 0;
        for (Map.Entry<String, long[]> e : wordCounts.entrySet()) {
            byte[] bytes = e.getKey().getBytes(StandardCharsets.UTF_8);
            words[w0] = new int[bytes.length];
            for (int i = 0; i < bytes.length; i++) words[w0][i] = idOfByte[bytes[i] & 0xFF];
            lengths[w0] = bytes.length;
            freq[w0] = e.getValue()[0];
            w0++;
        }

        // 2. initial pair counts
        Map<Long, PairStat> pairs = new HashMap<>();
        for (int w = 0; w < wordTotal; w++) {
            for (int i = 0; i + 1 < lengths[w]; i++) {
                PairStat st = pairs.computeIfAbsent(PairTable.key(words[w][i], words[w][i + 1]), k -> new PairStat());
                st.count += freq[w];
                st.addWord(w);
            }
        }
        PriorityQueue<Candidate> heap = new PriorityQueue<>((x, y) ->
                x.count != y.count ? Long.compare(y.count, x.count) : Long.compare(x.pair, y.pair));
        pairs.forEach((pair, st) -> heap.add(new Candidate(st.count, pair)));

        // 3. merge the most frequent pair until the vocabulary is full
        List<int[]> merges = new ArrayList<>();
        int learned = 0;
        while (learned < newTokens && !heap.isEmpty()) {
            Candidate top = heap.poll();
            if (!mergeable(tokens, top.pair)) continue;
            PairStat stat = pairs.get(top.pair);
            if (stat == null || stat.count <= 0) continue;
            if (stat.count != top.count) {
                heap.add(new Candidate(stat.count, top.pair));
                continue;
            }
            int a = (int) (top.pair >>> 32), b = (int) top.pair;
            String mergedToken = tokens.get(a) + tokens.get(b);
            Integer existing = idOfToken.get(mergedToken); // another split may have made it already
            int merged;
            if (existing != null) {
                merged = existing;
            } else {
                merged = tokens.size();
                tokens.add(mergedToken);
                idOfToken.put(mergedToken, merged);
                learned++;
            }
            merges.add(new int[] {a, b});

            Map<Long, PairStat> grown = new HashMap<>(); // pairs with the new token, pushed once at the end
            int[] affected = Arrays.copyOf(stat.words, stat.wordCount);
            for (int w : affected) {
                int[] sym = words[w];
                int n = lengths[w];
                if (!containsPair(sym, n, a, b)) continue; // stale entry: an earlier merge removed the pair
                for (int i = 0; i + 1 < n; i++) pairs.get(PairTable.key(sym[i], sym[i + 1])).count -= freq[w];
                int m = 0;
                for (int i = 0; i < n; ) {
                    if (i + 1 < n && sym[i] == a && sym[i + 1] == b) {
                        sym[m++] = merged;
                        i += 2;
                    } else {
                        sym[m++] = sym[i++];
                    }
                }
                lengths[w] = m;
                for (int i = 0; i + 1 < m; i++) {
                    long key = PairTable.key(sym[i], sym[i + 1]);
                    PairStat st = pairs.computeIfAbsent(key, k -> new PairStat());
                    st.count += freq[w];
                    st.addWord(w);
                    if (sym[i] == merged || sym[i + 1] == merged) grown.put(key, st);
                }
            }
            pairs.remove(top.pair);
            grown.forEach((key, st) -> {
                if (st.count > 0) heap.add(new Candidate(st.count, key));
            });
        }
        int[] left = new int[merges.size()], right = new int[merges.size()];
        for (int r = 0; r < merges.size(); r++) {
            left[r] = merges.get(r)[0];
            right[r] = merges.get(r)[1];
        }
        return new Result(tokens, left, right);
    }

    /**
     * Whether a pair may become a token: never one holding two digits, so every number is read digit by digit (as
     * LLaMA's tokenizer splits them). A sum's last digit then depends on the operands' last digits only, a table of
     * a hundred entries, where a token per number makes every sum an entry of its own.
     */
    private static boolean mergeable(List<String> tokens, long pair) {
        return digits(tokens.get((int) (pair >>> 32))) + digits(tokens.get((int) pair)) <= 1;
    }

    private static int digits(String token) {
        int n = 0;
        for (int i = 0; i < token.length(); i++) if (token.charAt(i) >= '0' && token.charAt(i) <= '9') n++;
        return n;
    }

    private static boolean containsPair(int[] sym, int n, int a, int b) {
        for (int i = 0; i + 1 < n; i++) if (sym[i] == a && sym[i + 1] == b) return true;
        return false;
    }
}
