package org.instruct4j.engine.text;

import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds GPT-2's vocab.json and merges.txt from the r50k_base ranks that ship inside JTokkit (the same
 * encoding). tiktoken files only hold token -> rank; the merges are recovered the standard way: for each token
 * longer than one byte, in rank order, run rank-based BPE on its bytes using only lower-ranked tokens; it stops
 * at exactly two parts, and those two parts are the token's merge.
 */
final class R50kFiles {
    static final int END_OF_TEXT = 50256;

    private R50kFiles() {}

    record Files2(Path vocab, Path merges) {}

    static Files2 write(Path dir) {
        List<byte[]> byRank = readRanks();
        Map<ByteBuffer, Integer> rankOf = new HashMap<>();
        for (int r = 0; r < byRank.size(); r++) rankOf.put(ByteBuffer.wrap(byRank.get(r)), r);

        Map<String, Integer> vocab = new LinkedHashMap<>();
        for (int r = 0; r < byRank.size(); r++) vocab.put(alphabet(byRank.get(r)), r);
        vocab.put("<|endoftext|>", END_OF_TEXT);

        StringBuilder merges = new StringBuilder("#version: 0.2\n");
        for (int r = 0; r < byRank.size(); r++) {
            byte[] token = byRank.get(r);
            if (token.length == 1) continue;
            List<byte[]> parts = bpeBelow(token, r, rankOf);
            if (parts.size() != 2) throw new IllegalStateException("token of rank " + r + " does not split in two");
            merges.append(alphabet(parts.get(0))).append(' ').append(alphabet(parts.get(1))).append('\n');
        }
        try {
            Path vocabFile = dir.resolve("vocab.json"), mergesFile = dir.resolve("merges.txt");
            new ObjectMapper().writeValue(vocabFile.toFile(), vocab);
            Files.writeString(mergesFile, merges, StandardCharsets.UTF_8);
            return new Files2(vocabFile, mergesFile);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Rank-based BPE (tiktoken's rule) restricted to tokens ranked below {@code maxRank}. */
    private static List<byte[]> bpeBelow(byte[] token, int maxRank, Map<ByteBuffer, Integer> rankOf) {
        List<byte[]> parts = new ArrayList<>();
        for (byte b : token) parts.add(new byte[] {b});
        while (true) {
            int best = -1, bestRank = maxRank;
            for (int i = 0; i + 1 < parts.size(); i++) {
                Integer rank = rankOf.get(ByteBuffer.wrap(concat(parts.get(i), parts.get(i + 1))));
                if (rank != null && rank < bestRank) {
                    bestRank = rank;
                    best = i;
                }
            }
            if (best < 0) return parts;
            parts.set(best, concat(parts.get(best), parts.remove(best + 1)));
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = new byte[a.length + b.length];
        System.arraycopy(a, 0, c, 0, a.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    /** GPT-2's byte-to-unicode alphabet, written out here independently of the code under test. */
    static String alphabet(byte[] bytes) {
        StringBuilder sb = new StringBuilder();
        for (byte x : bytes) {
            int b = x & 0xFF;
            boolean printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
            if (printable) {
                sb.append((char) b);
            } else {
                int shifted = 0; // how many non-printable bytes come before b
                for (int c = 0; c < b; c++) {
                    if (!((c >= 33 && c <= 126) || (c >= 161 && c <= 172) || (c >= 174 && c <= 255))) shifted++;
                }
                sb.append((char) (256 + shifted));
            }
        }
        return sb.toString();
    }

    private static List<byte[]> readRanks() {
        List<byte[]> byRank = new ArrayList<>();
        try (InputStream in = R50kFiles.class.getResourceAsStream("/com/knuddels/jtokkit/r50k_base.tiktoken")) {
            if (in == null) throw new IllegalStateException("r50k_base.tiktoken not found in JTokkit's jar");
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
            String line;
            while ((line = reader.readLine()) != null) {
                if (line.isBlank()) continue;
                String[] f = line.split(" ");
                int rank = Integer.parseInt(f[1]);
                if (rank != byRank.size()) throw new IllegalStateException("ranks out of order at " + rank);
                byRank.add(Base64.getDecoder().decode(f[0]));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return byRank;
    }
}
