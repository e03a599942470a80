package org.instruct4j.engine.text;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;

/**
 * GPT-2's byte-level BPE tokenizer. Text is split into words by GPT-2's pre-tokenization ({@link PreTokenizer}),
 * each word's UTF-8 bytes start as one token per byte, and the merges are applied lowest rank first until none
 * applies. With GPT-2's own vocab.json and merges.txt the ids are exactly those of GPT-2 (tiktoken's r50k_base).
 *
 * <p>Tokens come in three sorts: the 256 byte tokens, the tokens made by merges, and special tokens: every
 * vocabulary entry that is neither (such as {@code <|endoftext|>}). Special tokens are written {@code <|name|>},
 * which is how loading tells them from tokens a damaged merges.txt no longer makes. They are only recognised in
 * text by {@link #encodeWithSpecials}; {@link #encode} treats their strings as plain text.
 *
 * <p>{@link #pad()} is always a special token of its own, distinct from end-of-text (a model
 * padded with end-of-text learns never to stop). Instances are immutable and safe to share between threads.
 */
public final class BpeTokenizer {
    public static final String END_OF_TEXT = "<|endoftext|>";
    public static final String PAD = "<|pad|>";

    private static final int NO_MERGE = Integer.MAX_VALUE;
    private static final int CACHE_LIMIT = 1 << 16;

    private final String[] tokens;          // id -> vocab.json string
    private final byte[][] tokenBytes;      // id -> the bytes it decodes to
    private final int[] idOfByte = new int[256];
    private final int[] mergeLeft, mergeRight, mergeResult; // by rank
    private final PairTable rankOfPair;
    private final Map<String, Integer> idOfToken;
    private final Map<String, Integer> specials; // in id order
    private final Map<String, int[]> wordCache = new ConcurrentHashMap<>();

    /**
     * Builds a tokenizer from its vocabulary (id order) and merges (pairs of token ids, rank order). Callers have
     * checked that every byte token is present, each merge's parts come from earlier merges and its result is
     * in the vocabulary.
     */
    BpeTokenizer(List<String> vocabulary, int[] mergeLeft, int[] mergeRight) {
        this.tokens = vocabulary.toArray(String[]::new);
        this.idOfToken = new HashMap<>(tokens.length * 2);
        for (int id = 0; id < tokens.length; id++) idOfToken.put(tokens[id], id);
        boolean[] regular = new boolean[tokens.length];
        for (int b = 0; b < 256; b++) {
            idOfByte[b] = idOfToken.get(String.valueOf(ByteAlphabet.charOf(b)));
            regular[idOfByte[b]] = true;
        }
        this.mergeLeft = mergeLeft.clone();
        this.mergeRight = mergeRight.clone();
        this.mergeResult = new int[mergeLeft.length];
        this.rankOfPair = new PairTable(mergeLeft.length);
        for (int r = 0; r < mergeLeft.length; r++) {
            mergeResult[r] = idOfToken.get(tokens[mergeLeft[r]] + tokens[mergeRight[r]]);
            regular[mergeResult[r]] = true;
            rankOfPair.putIfAbsent(mergeLeft[r], mergeRight[r], r);
        }
        Map<String, Integer> specialMap = new LinkedHashMap<>();
        this.tokenBytes = new byte[tokens.length][];
        for (int id = 0; id < tokens.length; id++) {
            if (regular[id]) {
                tokenBytes[id] = ByteAlphabet.decode(tokens[id]);
            } else {
                specialMap.put(tokens[id], id);
                tokenBytes[id] = tokens[id].getBytes(StandardCharsets.UTF_8);
            }
        }
        this.specials = Collections.unmodifiableMap(specialMap);
    }

    // ---------------------------------------------------------------------------------------- construction

    /**
     * Loads GPT-2's files. vocab.json maps token strings (byte-to-unicode alphabet) to ids 0..n-1; merges.txt has
     * a "#version" first line, then "left right" pairs in rank order. If {@value #PAD} is not in the vocabulary it
     * is added as a new last id (so GPT-2's files give vocabSize() 50258 and pad() 50257). Every vocabulary entry
     * but the special tokens ({@code <|name|>}) must be a byte token or made by a merge.
     *
     * @throws TokenizerFileException naming the file and line of the first problem found
     */
    public static BpeTokenizer load(Path vocabJson, Path mergesTxt) {
        List<String> vocabulary = new ArrayList<>(GptFiles.readVocab(vocabJson));
        Map<String, Integer> idOf = new HashMap<>();
        for (int id = 0; id < vocabulary.size(); id++) idOf.put(vocabulary.get(id), id);
        boolean[] made = new boolean[vocabulary.size()]; // byte tokens and results of merges read so far
        for (int b = 0; b < 256; b++) {
            String byteToken = String.valueOf(ByteAlphabet.charOf(b));
            Integer id = idOf.get(byteToken);
            if (id == null) {
                throw new TokenizerFileException(vocabJson + ": the byte token " + GptFiles.quote(byteToken)
                        + " (byte 0x" + Integer.toHexString(b) + ") is missing");
            }
            made[id] = true;
        }
        List<GptFiles.MergeLine> lines = GptFiles.readMerges(mergesTxt);
        int[] left = new int[lines.size()], right = new int[lines.size()];
        PairTable seen = new PairTable(lines.size());
        for (int r = 0; r < lines.size(); r++) {
            GptFiles.MergeLine m = lines.get(r);
            left[r] = partId(m.left(), m, idOf, made, mergesTxt);
            right[r] = partId(m.right(), m, idOf, made, mergesTxt);
            Integer result = idOf.get(m.left() + m.right());
            if (result == null) {
                throw new TokenizerFileException(mergesTxt + ":" + m.line() + ": the merged token "
                        + GptFiles.quote(m.left() + m.right()) + " is not in " + vocabJson.getFileName());
            }
            if (!seen.putIfAbsent(left[r], right[r], m.line())) {
                throw new TokenizerFileException(mergesTxt + ":" + m.line() + ": the pair " + GptFiles.quote(m.left())
                        + " " + GptFiles.quote(m.right()) + " is listed twice (first on line "
                        + seen.get(left[r], right[r], -1) + ")");
            }
            made[result] = true;
        }
        // An entry no merge makes would be taken as a special token that plain text never encodes to: with
        // merges.txt cut short, every token it lost. So only tokens written as specials may be unmade.
        int unmade = 0, first = -1;
        for (int id = 0; id < made.length; id++) {
            if (made[id] || isSpecialForm(vocabulary.get(id))) continue;
            if (unmade++ == 0) first = id;
        }
        if (unmade > 0) {
            throw new TokenizerFileException(mergesTxt + ": " + unmade + " tokens of " + vocabJson.getFileName()
                    + " are made by no merge, the first " + GptFiles.quote(vocabulary.get(first)) + " (id " + first
                    + "): " + mergesTxt.getFileName() + " is cut short or belongs to another vocabulary (only special tokens,"
                    + " written <|name|>, need no merge)");
        }
        if (!idOf.containsKey(PAD)) vocabulary.add(PAD);
        return new BpeTokenizer(vocabulary, left, right);
    }

    /** The form of special tokens, {@code <|name|>}, as {@value #END_OF_TEXT} and {@value #PAD}. */
    private static boolean isSpecialForm(String token) {
        return token.length() > 4 && token.startsWith("<|") && token.endsWith("|>");
    }

    private static int partId(String part, GptFiles.MergeLine m, Map<String, Integer> idOf, boolean[] made, Path file) {
        Integer id = idOf.get(part);
        if (id == null) {
            throw new TokenizerFileException(file + ":" + m.line() + ": token " + GptFiles.quote(part)
                    + " is not in the vocabulary");
        }
        if (!made[id]) {
            throw new TokenizerFileException(file + ":" + m.line() + ": token " + GptFiles.quote(part)
                    + " is neither a byte token nor made by an earlier merge");
        }
        return id;
    }

    /**
     * Learns a byte-level BPE vocabulary of {@code vocabSize} tokens from the corpus (each element one document,
     * read as plain text). Starts from the 256 byte tokens in GPT-2's order, then repeatedly merges the most
     * frequent neighbouring pair inside pre-tokenized words; ties go to the pair with the smaller (left, right)
     * ids, so the same corpus always gives the same merges. No merge makes a token of two or more digits: numbers are
     * read digit by digit (as LLaMA's tokenizer reads them), so "17" is "1" then "7". The files stay GPT-2's: the rule
     * lives in the merges, so any GPT-2 tokenizer reading them splits numbers alike. The special tokens get the last
     * ids, in the order given, followed by {@value #END_OF_TEXT} and {@value #PAD} when the list lacks them; vocabSize
     * counts them. Special tokens are written {@code <|name|>} (load tells them from ordinary tokens by that form).
     * Training stops early (a smaller vocabulary) when no pair is left to merge.
     */
    public static BpeTokenizer train(Iterable<String> corpus, int vocabSize, List<String> specialTokens) {
        List<String> allSpecials = new ArrayList<>(specialTokens);
        if (!allSpecials.contains(END_OF_TEXT)) allSpecials.add(END_OF_TEXT);
        if (!allSpecials.contains(PAD)) allSpecials.add(PAD);
        for (int i = 0; i < allSpecials.size(); i++) {
            String s = allSpecials.get(i);
            if (s == null || s.isEmpty()) throw new IllegalArgumentException("special token " + i + " is empty");
            if (allSpecials.indexOf(s) != i) throw new IllegalArgumentException("special token " + s + " is listed twice");
        }
        int merges = vocabSize - 256 - allSpecials.size();
        if (merges < 0) {
            throw new IllegalArgumentException("vocabSize " + vocabSize + " is smaller than the 256 byte tokens plus "
                    + allSpecials.size() + " special tokens");
        }
        BpeTrainer.Result learned = BpeTrainer.learn(corpus, merges);
        List<String> vocabulary = new ArrayList<>(learned.tokens());
        for (String s : allSpecials) {
            if (vocabulary.contains(s)) {
                throw new IllegalArgumentException("special token " + s + " is also an ordinary token of the vocabulary");
            }
            if (!isSpecialForm(s)) {
                throw new IllegalArgumentException("special token " + s + " is not written <|name|>: saved, it would not load");
            }
            vocabulary.add(s);
        }
        return new BpeTokenizer(vocabulary, learned.mergeLeft(), learned.mergeRight());
    }

    /** Writes GPT-2's vocab.json and merges.txt, each atomically (temp file, then rename); load() reads them back. */
    public void save(Path vocabJson, Path mergesTxt) {
        GptFiles.writeVocab(vocabJson, Arrays.asList(tokens));
        List<String[]> pairs = new ArrayList<>(mergeLeft.length);
        for (int r = 0; r < mergeLeft.length; r++) pairs.add(new String[] {tokens[mergeLeft[r]], tokens[mergeRight[r]]});
        GptFiles.writeMerges(mergesTxt, pairs);
    }

    // ---------------------------------------------------------------------------------------- encoding

    /**
     * Encodes plain text: special-token strings in it are encoded as ordinary text. (An unpaired UTF-16 surrogate,
     * which has no UTF-8 form, is encoded as '?'.)
     */
    public int[] encode(String text) {
        IntList out = new IntList(Math.max(16, text.length() / 3));
        encodePlain(text, 0, text.length(), out);
        return out.toArray();
    }

    /** Encodes text in which registered special-token strings (such as {@value #END_OF_TEXT}) become their ids. */
    public int[] encodeWithSpecials(String text) {
        IntList out = new IntList(Math.max(16, text.length() / 3));
        int pos = 0;
        while (pos < text.length()) {
            int bestStart = text.length(), bestId = -1, bestLength = 0;
            for (Map.Entry<String, Integer> s : specials.entrySet()) {
                int at = text.indexOf(s.getKey(), pos);
                if (at >= 0 && (at < bestStart || (at == bestStart && s.getKey().length() > bestLength))) {
                    bestStart = at;
                    bestId = s.getValue();
                    bestLength = s.getKey().length();
                }
            }
            encodePlain(text, pos, bestStart, out);
            if (bestId < 0) break;
            out.add(bestId);
            pos = bestStart + bestLength;
        }
        return out.toArray();
    }

    private void encodePlain(String text, int from, int to, IntList out) {
        PreTokenizer.split(text, from, to, (start, end) -> {
            String word = text.substring(start, end);
            int[] ids = wordCache.get(word);
            if (ids == null) {
                ids = bpe(word.getBytes(StandardCharsets.UTF_8));
                if (wordCache.size() >= CACHE_LIMIT) wordCache.clear(); // keeps memory bounded on huge corpora
                wordCache.put(word, ids);
            }
            out.addAll(ids);
        });
    }

    /**
     * BPE on one word: start with a token per byte, then merge every occurrence (left to right) of the neighbouring
     * pair with the lowest rank, until no neighbouring pair has a merge.
     */
    private int[] bpe(byte[] bytes) {
        int n = bytes.length;
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = idOfByte[bytes[i] & 0xFF];
        while (n > 1) {
            int best = NO_MERGE;
            for (int i = 0; i + 1 < n; i++) {
                int rank = rankOfPair.get(ids[i], ids[i + 1], NO_MERGE);
                if (rank < best) best = rank;
            }
            if (best == NO_MERGE) break;
            int a = mergeLeft[best], b = mergeRight[best], merged = mergeResult[best];
            int w = 0;
            for (int i = 0; i < n; ) {
                if (i + 1 < n && ids[i] == a && ids[i + 1] == b) {
                    ids[w++] = merged;
                    i += 2;
                } else {
                    ids[w++] = ids[i++];
                }
            }
            n = w;
        }
        return Arrays.copyOf(ids, n);
    }

    // ---------------------------------------------------------------------------------------- decoding

    /** The text of the ids; byte sequences that are not valid UTF-8 become U+FFFD, as Python's errors="replace". */
    public String decode(int[] ids) { return decode(ids, 0, ids.length); }

    /** The text of ids[from, to). */
    public String decode(int[] ids, int from, int to) {
        if (from < 0 || to > ids.length || from > to) {
            throw new IndexOutOfBoundsException("range [" + from + ", " + to + ") of " + ids.length + " ids");
        }
        int length = 0;
        for (int i = from; i < to; i++) {
            checkId(ids[i], i);
            length += tokenBytes[ids[i]].length;
        }
        byte[] bytes = new byte[length];
        int at = 0;
        for (int i = from; i < to; i++) {
            byte[] t = tokenBytes[ids[i]];
            System.arraycopy(t, 0, bytes, at, t.length);
            at += t.length;
        }
        return Utf8.decode(bytes, length);
    }

    private void checkId(int id, int position) {
        if (id < 0 || id >= tokens.length) {
            throw new IllegalArgumentException("token id " + id + " at position " + position
                    + " is outside the vocabulary [0, " + tokens.length + ")");
        }
    }

    // ---------------------------------------------------------------------------------------- vocabulary

    public int vocabSize() { return tokens.length; }

    /** The id of a special token, or empty when the vocabulary has no such special token. */
    public OptionalInt specialId(String token) {
        Integer id = specials.get(token);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    /** The special tokens with their ids, in id order. */
    public Map<String, Integer> specialTokens() { return specials; }

    /** The id of {@value #END_OF_TEXT}; throws IllegalStateException when the vocabulary has none. */
    public int endOfText() {
        Integer id = specials.get(END_OF_TEXT);
        if (id == null) throw new IllegalStateException("this vocabulary has no " + END_OF_TEXT + " token");
        return id;
    }

    /** The id of {@value #PAD}, always present and different from {@link #endOfText()}. */
    public int pad() { return specials.get(PAD); }

    /** The token's string as written in vocab.json (byte-to-unicode alphabet; special tokens as they are). */
    public String token(int id) {
        if (id < 0 || id >= tokens.length) {
            throw new IllegalArgumentException("token id " + id + " is outside the vocabulary [0, " + tokens.length + ")");
        }
        return tokens[id];
    }

    /** The number of merges, in rank order. */
    public int mergeCount() { return mergeLeft.length; }

    /** Merge {@code rank} as its two token strings, as on its line of merges.txt. */
    public List<String> merge(int rank) { return List.of(tokens[mergeLeft[rank]], tokens[mergeRight[rank]]); }

    /** Two tokenizers are equal when they have the same vocabulary (same ids) and the same merges in the same order. */
    @Override
    public boolean equals(Object o) {
        return o instanceof BpeTokenizer t && Arrays.equals(tokens, t.tokens)
                && Arrays.equals(mergeLeft, t.mergeLeft) && Arrays.equals(mergeRight, t.mergeRight);
    }

    @Override
    public int hashCode() { return 31 * Arrays.hashCode(tokens) + Arrays.hashCode(mergeLeft); }

    @Override
    public String toString() {
        return "BpeTokenizer[vocabSize=" + tokens.length + ", merges=" + mergeLeft.length + ", specials=" + specials + "]";
    }

    /** A growable int array for the encoder's output. */
    private static final class IntList {
        private int[] data;
        private int size;

        IntList(int capacity) { data = new int[capacity]; }

        void add(int v) {
            if (size == data.length) data = Arrays.copyOf(data, size * 2);
            data[size++] = v;
        }

        void addAll(int[] vs) {
            if (size + vs.length > data.length) data = Arrays.copyOf(data, Math.max(size * 2, size + vs.length));
            System.arraycopy(vs, 0, data, size, vs.length);
            size += vs.length;
        }

        int[] toArray() { return Arrays.copyOf(data, size); }
    }
}
