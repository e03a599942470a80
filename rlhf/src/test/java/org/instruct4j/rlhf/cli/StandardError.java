package org.instruct4j.rlhf.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** What a command prints on standard error, for the tests that check what a user is told there. */
final class StandardError {
    private StandardError() {}

    interface CliCall { int run() throws Exception; }

    /** Runs the call (it must exit 0) with standard error captured, and returns what it printed there. */
    static String of(CliCall call) throws Exception {
        PrintStream saved = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            assertThat(call.run()).isZero();
        } finally {
            System.setErr(saved);
        }
        return err.toString(StandardCharsets.UTF_8);
    }
}
