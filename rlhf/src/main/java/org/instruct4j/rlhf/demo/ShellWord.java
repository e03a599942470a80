package org.instruct4j.rlhf.demo;

import java.util.regex.Pattern;

/** A path or word written into a command that a person copies into a shell: quoted when the shell would split or expand it. */
public final class ShellWord {
    private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9_./:=,+@%-]+");

    private ShellWord() {}

    /** The word as is when it is plain, else in single quotes (a single quote inside written as '\''). */
    public static String of(Object word) {
        String w = word.toString();
        return PLAIN.matcher(w).matches() ? w : "'" + w.replace("'", "'\\''") + "'";
    }

    /** How the user started instruct4j (the launcher says; "./instruct4j" from the project's folder otherwise). */
    public static String launcher() { return of(System.getProperty("instruct4j.launcher", "./instruct4j")); }
}
