package org.instruct4j.rlhf.data;

/** Every record that starts from a prompt; lets one validator (prompt length) apply to all of them. */
public interface HasPrompt {
    String prompt();
}
