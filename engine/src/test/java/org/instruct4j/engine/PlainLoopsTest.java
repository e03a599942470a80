package org.instruct4j.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.instruct4j.engine.backend.cpu.VectorSupport;
import org.instruct4j.engine.testing.ChildJvm;
import org.junit.jupiter.api.Test;

/**
 * On a JVM started without jdk.incubator.vector (an embedder who left out --add-modules) the engine runs its plain
 * loops, says so once, and trains as the vector kernels do, to the bit: README's example in a child JVM without the
 * module ends at the loss it reaches here (the plain loops sum in the vector kernels' order: PlainMath). A JVM whose
 * vectors hold fewer than 4 floats (-XX:MaxVectorSize=8), where the vector kernels would fail to start, runs the plain
 * loops too, says why, and ends at the same loss.
 */
class PlainLoopsTest {
    @Test void withoutTheVectorModuleTheReadmeExampleTrainsToTheSameLoss() throws Exception {
        ChildJvm child = ChildJvm.run(TrainWithoutVectors.class, "-Xmx512m");
        assertThat(child.exitCode()).as("the child's exit status; stderr:%n%s", child.err()).isZero();
        assertThat(child.out()).as("the child's vector support and loss (Float.toString: the same string, the same bits)")
                .isEqualTo("vector false, loss " + ReadmeExampleTest.trainedLoss());
        assertThat(child.err()).as("what an embedder is told").contains("jdk.incubator.vector is not in this JVM")
                .contains("--add-modules jdk.incubator.vector");
    }

    @Test void vectorsNarrowerThanFourFloatsRunThePlainLoops() throws Exception {
        assumeTrue(System.getProperty("os.arch").matches("amd64|x86_64"), "-XX:MaxVectorSize=8 is an x86 JVM's setting here");
        ChildJvm child = ChildJvm.run(TrainWithoutVectors.class, "--add-modules", "jdk.incubator.vector", "-XX:MaxVectorSize=8", "-Xmx512m");
        assertThat(child.exitCode()).as("the child's exit status; stderr:%n%s", child.err()).isZero();
        assertThat(child.out()).as("the child's vector support and loss")
                .isEqualTo("vector false, loss " + ReadmeExampleTest.trainedLoss());
        assertThat(child.err()).as("what the user is told").contains("vectors hold 2 floats").contains("plain Java loops");
    }

    /** The child: README's example, on whatever kernels this JVM has. */
    static final class TrainWithoutVectors {
        public static void main(String[] args) {
            float loss = ReadmeExampleTest.trainedLoss();
            System.out.println("vector " + VectorSupport.AVAILABLE + ", loss " + loss);
        }
    }
}
