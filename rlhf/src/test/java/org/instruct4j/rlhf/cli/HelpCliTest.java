package org.instruct4j.rlhf.cli;

import static org.assertj.core.api.Assertions.assertThat;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.instruct4j.engine.nn.GptConfig;
import org.junit.jupiter.api.Test;

/** What each command's --help says, read as a user reads it: the same words for the same things in every command. */
class HelpCliTest {
    private static String help(Command c) throws Exception { return CommandOutput.stdout(() -> c.run(new String[] {"--help"})); }

    /** An option's value is named for what it takes (N, X, FILE, DIR, ...), and the same in every command that has the option. */
    @Test
    void everyValueHasAMeaningfulPlaceholderTheSameInEveryCommand() throws Exception {
        Pattern valued = Pattern.compile("--([a-z-]+) <([^>]*)>");
        Map<String, String> placeholders = new HashMap<>(), firstIn = new HashMap<>();
        for (Command c : Main.commands()) {
            if (c.name().equals("doctor")) continue;   // no options
            Matcher m = valued.matcher(help(c));
            while (m.find()) {
                String option = m.group(1), placeholder = m.group(2);
                assertThat(placeholder).as(c.name() + " --" + option).matches("[A-Z]+");
                String before = placeholders.putIfAbsent(option, placeholder);
                firstIn.putIfAbsent(option, c.name());
                assertThat(placeholder).as("--" + option + " in " + c.name() + " and in " + firstIn.get(option))
                        .isEqualTo(before == null ? placeholder : before);
            }
        }
        assertThat(placeholders).containsEntry("seed", "N").containsEntry("device", "DEVICE").containsEntry("init", "DIR")
                .containsEntry("size", "PRESET");
    }

    /** --size lists every preset it takes, as its error does, and those are the names GptConfig knows. */
    @Test
    void sizeListsEveryPreset() throws Exception {
        for (String preset : CliOptions.MODEL_PRESETS.split(", | or ")) assertThat(GptConfig.preset(preset)).as(preset).isNotNull();
        assertThatThrownBy(() -> GptConfig.preset("gpt3")).hasMessageEndingWith("expected " + CliOptions.MODEL_PRESETS);
        for (Command c : Arrays.asList(new DemoCommand(), new PretrainCommand()))
            assertThat(help(c).replaceAll("\\s+", " ")).as(c.name()).contains(CliOptions.MODEL_PRESETS).doesNotContain("...");
    }

    /** Every command's help opens with the same usage line: the command and [options], not a list of them all. */
    @Test
    void everyUsageLineHasOneForm() throws Exception {
        for (Command c : Main.commands())
            if (!c.name().equals("doctor"))   // no options: "usage: instruct4j doctor"
                assertThat(help(c)).as(c.name()).startsWith("usage: instruct4j " + c.name() + " [options]" + System.lineSeparator());
    }
}
