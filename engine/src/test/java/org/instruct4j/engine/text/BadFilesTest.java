package org.instruct4j.engine.text;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Broken vocab.json / merges.txt files must give errors that name the file and the line. */
class BadFilesTest {
    @TempDir
    Path dir;
    Path vocab, merges;
    List<String> vocabLines, mergeLines;

    /** A good pair of files to break: tokenizer trained on a tiny corpus, saved one entry per line. */
    @BeforeEach
    void writeGoodFiles() throws IOException {
        vocab = dir.resolve("vocab.json");
        merges = dir.resolve("merges.txt");
        BpeTokenizer.train(List.of("low lower lowest newer newest"), 270, List.of()).save(vocab, merges);
        vocabLines = new ArrayList<>(Files.readAllLines(vocab));
        mergeLines = new ArrayList<>(Files.readAllLines(merges));
        assertThat(BpeTokenizer.load(vocab, merges).vocabSize()).isEqualTo(270); // the files start out good
    }

    private void rewrite() throws IOException {
        Files.write(vocab, vocabLines);
        Files.write(merges, mergeLines);
    }

    private void assertLoadFails(Path file, int line, String what) throws IOException {
        rewrite();
        assertThatThrownBy(() -> BpeTokenizer.load(vocab, merges)).isInstanceOf(TokenizerFileException.class)
                .hasMessageContaining(file + ":" + line + ":").hasMessageContaining(what);
    }

    @Test
    void vocabThatIsNotJson() throws IOException {
        vocabLines.set(5, "\"oops\" 12,");
        assertLoadFails(vocab, 6, "not valid JSON");
    }

    @Test
    void vocabIdThatIsNotAnInteger() throws IOException {
        vocabLines.set(7, vocabLines.get(7).replaceAll("\\d+,$", "\"seven\","));
        assertLoadFails(vocab, 8, "is not an integer");
    }

    @Test
    void vocabIdGivenTwice() throws IOException {
        vocabLines.set(9, vocabLines.get(9).replaceAll("\\d+,$", "3,"));
        assertLoadFails(vocab, 10, "id 3 is given to both");
    }

    @Test
    void vocabWithAGap() throws IOException {
        vocabLines.remove(10); // line 11 holds id 9
        rewrite();
        assertThatThrownBy(() -> BpeTokenizer.load(vocab, merges)).isInstanceOf(TokenizerFileException.class)
                .hasMessageContaining(vocab.toString()).hasMessageContaining("id 9 is missing");
    }

    @Test
    void vocabWithoutOneOfTheByteTokens() throws IOException {
        vocabLines.set(10, vocabLines.get(10).replaceFirst("^\"[^\"]*\"", "\"<|not a byte|>\""));
        rewrite();
        assertThatThrownBy(() -> BpeTokenizer.load(vocab, merges)).isInstanceOf(TokenizerFileException.class)
                .hasMessageContaining(vocab.toString()).hasMessageContaining("byte token").hasMessageContaining("is missing");
    }

    @Test
    void mergeLineWithoutTwoTokens() throws IOException {
        mergeLines.set(3, "lonely");
        assertLoadFails(merges, 4, "expected two tokens");
    }

    @Test
    void mergeOfAnUnknownToken() throws IOException {
        mergeLines.set(2, "Q nowhere");
        assertLoadFails(merges, 3, "\"nowhere\" is not in the vocabulary");
    }

    @Test
    void mergeWhoseResultIsNotInTheVocabulary() throws IOException {
        mergeLines.set(2, "Q Z");
        assertLoadFails(merges, 3, "the merged token \"QZ\" is not in vocab.json");
    }

    @Test
    void mergeUsingATokenBeforeItIsMade() throws IOException {
        String last = mergeLines.get(mergeLines.size() - 1);
        String made = last.replace(" ", "");
        mergeLines.add(1, made + " " + made.substring(made.length() - 1)); // the final merge's token, used first
        vocabLines.add(vocabLines.size() - 1, "\"" + made + made.substring(made.length() - 1) + "\": 270");
        vocabLines.set(vocabLines.size() - 3, vocabLines.get(vocabLines.size() - 3) + ",");
        assertLoadFails(merges, 2, "neither a byte token nor made by an earlier merge");
    }

    /** Cut short, merges.txt would leave the tokens it lost to be read as special tokens, never encoded. */
    @Test
    void mergesCutShort() throws IOException {
        mergeLines.subList(5, mergeLines.size()).clear(); // 4 of the 12 merges left
        rewrite();
        assertThatThrownBy(() -> BpeTokenizer.load(vocab, merges)).isInstanceOf(TokenizerFileException.class)
                .hasMessageContaining(merges + ": 8 tokens of vocab.json are made by no merge, the first ")
                .hasMessageContaining("(id 260): merges.txt is cut short");
    }

    @Test
    void mergeListedTwice() throws IOException {
        mergeLines.add(mergeLines.get(1));
        assertLoadFails(merges, mergeLines.size(), "listed twice (first on line 2)");
    }
}
