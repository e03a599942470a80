package org.instruct4j.rlhf.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The out-of-memory line names a heap this machine can give, or says it cannot give more. */
class HeapAdviceTest {
    private static final long MIB = 1L << 20, GIB = 1L << 30;

    @Test void theJvmsDefaultQuarterGetsTwiceAsMuchWhereTheMachineHasIt() {
        assertThat(HeapAdvice.afterOutOfMemory(1003 * MIB, 3_900 * MIB))   // a 4 GB machine's default heap
                .isEqualTo("with a Java heap of at most 1003 MiB of this machine's 3.8 GiB; give the JVM more "
                        + "(INSTRUCT4J_JAVA_OPTS=-Xmx2g ./instruct4j ...), train a smaller model or batch, "
                        + "or take each batch in pieces (pretrain, sft, rm: --micro-batch N)");
        assertThat(HeapAdvice.afterOutOfMemory(6007 * MIB, 23 * GIB)).contains("-Xmx12g");
    }

    @Test void theSuggestionStaysWithinThreeQuartersOfTheMachine() {
        assertThat(HeapAdvice.afterOutOfMemory(256 * MIB, GIB)).contains("-Xmx768m");
        assertThat(HeapAdvice.afterOutOfMemory(3 * GIB, 5 * GIB)).contains("-Xmx3840m");
    }

    @Test void aHeapNearlyAsLargeAsTheMachineCanGiveIsSaidSo() {
        assertThat(HeapAdvice.afterOutOfMemory(1536 * MIB, 2 * GIB))
                .isEqualTo("with a Java heap of at most 1536 MiB of this machine's 2.0 GiB, about as much as it can give: "
                        + "train a smaller model or batch, or take each batch in pieces (pretrain, sft, rm: --micro-batch N)")
                .doesNotContain("-Xmx");
    }

    @Test void whereTheMachinesMemoryIsUnknownTwiceTheHeapIsSuggested() {
        assertThat(HeapAdvice.afterOutOfMemory(4 * GIB, 0)).startsWith("with a Java heap of at most 4096 MiB; ").contains("-Xmx8g");
    }
}
