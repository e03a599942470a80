package org.instruct4j.rlhf.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;
import java.util.function.Supplier;

/** What a command prints, for the tests that check what a user reads: each runs the call, which must exit 0. */
public final class CommandOutput {
    private CommandOutput() {}

    public interface Call { int run() throws Exception; }

    public static String stdout(Call call) throws Exception { return captured(call, () -> System.out, System::setOut); }

    public static String stderr(Call call) throws Exception { return captured(call, () -> System.err, System::setErr); }

    private static String captured(Call call, Supplier<PrintStream> stream, Consumer<PrintStream> setStream) throws Exception {
        PrintStream saved = stream.get();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        setStream.accept(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try {
            assertThat(call.run()).isZero();
        } finally {
            setStream.accept(saved);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
