package org.instruct4j.rlhf.cli;

/** One `instruct4j <name>` subcommand. run returns the process exit code. */
public interface Command {
    String name();

    /** One line for `instruct4j --help`. */
    String summary();

    int run(String[] args) throws Exception;
}
