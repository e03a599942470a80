package org.instruct4j.rlhf.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** What the demo prints for a person to copy into a shell stays one word each. */
class ShellWordTest {
    @Test
    void plainWordsStayAsTheyAre() {
        assertThat(ShellWord.of(Path.of("runs/demo/models/ppo-ptx"))).isEqualTo("runs/demo/models/ppo-ptx");
        assertThat(ShellWord.of("--out=a,b+c@d%e:f")).isEqualTo("--out=a,b+c@d%e:f");
    }

    @Test
    void wordsTheShellWouldSplitOrExpandAreQuoted() {
        assertThat(ShellWord.of(Path.of("/home/me/My Runs/demo"))).isEqualTo("'/home/me/My Runs/demo'");
        assertThat(ShellWord.of("Reverse these words: a b c")).isEqualTo("'Reverse these words: a b c'");
        assertThat(ShellWord.of("$HOME/`x`")).isEqualTo("'$HOME/`x`'");
        assertThat(ShellWord.of("Omar's town")).isEqualTo("'Omar'\\''s town'");
        assertThat(ShellWord.of("")).isEqualTo("''");
    }
}
