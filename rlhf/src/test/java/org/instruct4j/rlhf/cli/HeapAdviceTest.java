package org.instruct4j.rlhf.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The out-of-memory line names a heap this machine can give, or says it cannot give more; the demo's first line
 * warns of a heap below what it needs.
 */
class HeapAdviceTest {
    private static final long MIB = 1L << 20, GIB = 1L << 30;

    @Test void theJvmsDefaultQuarterGetsTwiceAsMuchWhereTheMachineHasIt() {
        assertThat(HeapAdvice.afterOutOfMemory("sft", 1003 * MIB, 3_900 * MIB))   // a 4 GB machine's default heap
                .isEqualTo("with a Java heap of at most 1003 MiB of this machine's 3.8 GiB; give the JVM more "
                        + "(INSTRUCT4J_JAVA_OPTS=-Xmx2g ./instruct4j ...), train a smaller model or batch, "
                        + "or take each batch in pieces (pretrain, sft, rm: --micro-batch N)");
        assertThat(HeapAdvice.afterOutOfMemory("sft", 6007 * MIB, 23 * GIB)).contains("-Xmx12g");
    }

    @Test void theSuggestionStaysWithinThreeQuartersOfTheMachine() {
        assertThat(HeapAdvice.afterOutOfMemory("sft", 256 * MIB, GIB)).contains("-Xmx768m");
        assertThat(HeapAdvice.afterOutOfMemory("sft", 3 * GIB, 5 * GIB)).contains("-Xmx3840m");
    }

    @Test void aHeapNearlyAsLargeAsTheMachineCanGiveIsSaidSo() {
        assertThat(HeapAdvice.afterOutOfMemory("sft", 1536 * MIB, 2 * GIB))
                .isEqualTo("with a Java heap of at most 1536 MiB of this machine's 2.0 GiB, about as much as it can give: "
                        + "train a smaller model or batch, or take each batch in pieces (pretrain, sft, rm: --micro-batch N)")
                .doesNotContain("-Xmx");
    }

    @Test void whereTheMachinesMemoryIsUnknownTwiceTheHeapIsSuggested() {
        assertThat(HeapAdvice.afterOutOfMemory("sft", 4 * GIB, 0)).startsWith("with a Java heap of at most 4096 MiB; ").contains("-Xmx8g");
    }

    /** eval and generate have no --micro-batch: their way to use less memory is a smaller --batch. */
    @Test void evalAndGenerateAreToldOfTheirOwnOption() {
        for (String command : new String[] {"eval", "generate"})
            assertThat(HeapAdvice.afterOutOfMemory(command, 1003 * MIB, 3_900 * MIB))
                    .endsWith("(INSTRUCT4J_JAVA_OPTS=-Xmx2g ./instruct4j ...), answer fewer prompts together (a smaller --batch N)")
                    .doesNotContain("--micro-batch");
    }

    @Test void theDemoWarnsOfAHeapBelowWhatItNeedsAndNamesOneThatIsEnough() {
        assertThat(HeapAdvice.beforeDemo(699 * MIB, 2 * GIB)).isNull();   // -Xmx720m, which ran the demo
        assertThat(HeapAdvice.beforeDemo(609 * MIB, 2 * GIB)).isNotNull();   // -Xmx629m, which ran out
        assertThat(HeapAdvice.beforeDemo(12 * GIB, 0)).isNull();
        assertThat(HeapAdvice.beforeDemo(512 * MIB, 23 * GIB))
                .isEqualTo("this JVM's heap is at most 512 MiB, and the demo needs about 0.7 GiB (its reward-model stage "
                        + "would run out of memory some minutes in); give it more: INSTRUCT4J_JAVA_OPTS=-Xmx768m ./instruct4j demo");
        assertThat(HeapAdvice.beforeDemo(512 * MIB, 0)).contains("-Xmx768m");
    }

    @Test void aMachineTooSmallForTheDemoIsSaidSo() {
        assertThat(HeapAdvice.beforeDemo(460 * MIB, 920 * MIB))
                .endsWith("; this machine's 0.9 GiB may not hold it, try --quick").doesNotContain("-Xmx");
    }
}
