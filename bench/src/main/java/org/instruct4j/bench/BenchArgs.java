package org.instruct4j.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Locale;

/**
 * A harness's command-line arguments, every one read and checked before the harness loads libtorch or times anything:
 * bad input prints one line naming the argument, then the harness's usage line, to stderr, and exits with status 2;
 * {@code --help} or {@code -h} anywhere prints the usage line and exits with 0. Arguments are positional: each reader
 * takes its position and the default used when the argument is absent; {@link #done} refuses any beyond the last.
 *
 * <p>This class names no engine or DJL class, so it loads where they are missing (see {@link RunEnvironment}).
 */
public final class BenchArgs {
    /** What a test's instance throws where a harness's would exit. */
    static final class Stop extends RuntimeException {
        final int status;

        Stop(int status, String message) {
            super(message);
            this.status = status;
        }
    }

    private final String harness, usage;
    private final List<String> args;
    private final boolean exits;
    private int read;

    private BenchArgs(String harness, String usage, String[] args, boolean exits) {
        this.harness = harness;
        this.usage = usage;
        this.args = List.of(args);
        this.exits = exits;
        for (String a : args) if (a.equals("--help") || a.equals("-h")) stop(0, null);
    }

    /**
     * The arguments of harness (its simple name), whose usage line is {@code usage} (from "usage: "); --help or -h
     * prints it and exits.
     */
    public static BenchArgs of(String harness, String usage, String[] args) {
        return new BenchArgs(harness, usage, args, true);
    }

    /** The same, throwing {@link Stop} instead of exiting: for tests. */
    static BenchArgs forTest(String harness, String usage, String... args) {
        return new BenchArgs(harness, usage, args, false);
    }

    /** The argument at i as given, or dflt when there are fewer; a required argument has a null dflt. */
    public String text(int i, String what, String dflt) {
        read = Math.max(read, i + 1);
        if (i < args.size()) return args.get(i);
        if (dflt == null) throw fail("missing " + what);
        return dflt;
    }

    /** A whole number of at least min (rounds, steps, a batch), or dflt when absent. */
    public int count(int i, String what, int min, int dflt) {
        return whole(text(i, what, Integer.toString(dflt)), min, what + " must be a whole number", what + " must be at least ");
    }

    /** A comma-separated list of whole numbers of at least min, or dflt's when absent. */
    public List<Integer> counts(int i, String what, int min, String dflt) {
        List<Integer> out = new ArrayList<>();
        for (String s : items(i, what, dflt))
            out.add(whole(s, min, what + " must be whole numbers separated by commas", what + " must each be at least "));
        return out;
    }

    /** s as a whole number of at least min; the two messages' starts say what it should have been. */
    private int whole(String s, int min, String notWhole, String tooSmall) {
        int n;
        try {
            n = Integer.parseInt(s.trim());
        } catch (NumberFormatException e) {
            throw fail(notWhole + ", got '" + s + "'");
        }
        if (n < min) throw fail(tooSmall + min + ", got " + n);
        return n;
    }

    /** A finite number above zero (a scale, seconds), or dflt when absent. */
    public double positive(int i, String what, double dflt) {
        String s = text(i, what, Double.toString(dflt));
        double x;
        try {
            x = Double.parseDouble(s.trim());
        } catch (NumberFormatException e) {
            throw fail(what + " must be a number, got '" + s + "'");
        }
        if (!(x > 0) || Double.isInfinite(x)) throw fail(what + " must be a number above 0, got '" + s + "'");
        return x;
    }

    /** One of known (matched as {@link #match} does), as known spells it, or dflt when absent. */
    public String name(int i, String what, String dflt, Collection<String> known) {
        String s = text(i, what, dflt), m = match(s, known);
        if (m == null) throw fail("unknown " + what + " '" + s + "' (" + String.join(", ", known) + ")");
        return m;
    }

    /** A comma-separated list of names from known, each as known spells it, or dflt's when absent. */
    public List<String> names(int i, String what, String dflt, Collection<String> known) {
        List<String> out = new ArrayList<>();
        for (String s : items(i, what, dflt)) {
            String m = match(s, known);
            if (m == null) throw fail("unknown " + what + " '" + s + "' (" + String.join(", ", known) + ")");
            out.add(m);
        }
        return out;
    }

    /** Refuses arguments past the last one read; call it after reading them all. */
    public void done() {
        if (args.size() > read)
            throw fail("unexpected argument" + (args.size() - read > 1 ? "s '" : " '")
                    + String.join(" ", args.subList(read, args.size())) + "'");
    }

    /** Prints "harness: message" and the usage line, and exits with status 2 (a test's instance throws instead). */
    public RuntimeException fail(String message) {
        return stop(2, message);
    }

    /**
     * The name in known that given stands for, ignoring case and the characters '-', '_' and ' ' ({@code layernorm}
     * and {@code layer-norm} for {@code layerNorm}); null when none does, or when more than one would.
     */
    public static String match(String given, Collection<String> known) {
        String g = squash(given), found = null;
        for (String k : known) {
            if (!squash(k).equals(g)) continue;
            if (found != null) return null;
            found = k;
        }
        return found;
    }

    private static String squash(String s) {
        return s.toLowerCase(Locale.ROOT).replace("-", "").replace("_", "").replace(" ", "");
    }

    private List<String> items(int i, String what, String dflt) {
        String s = text(i, what, dflt);
        List<String> items = Arrays.stream(s.split(",", -1)).map(String::trim).toList();
        if (items.contains("")) throw fail("empty item in " + what + " '" + s + "'");
        return items;
    }

    private RuntimeException stop(int status, String message) {
        if (!exits) throw new Stop(status, message);
        if (status == 0) {
            System.out.println(usage);
        } else {
            System.err.println(harness + ": " + message);
            System.err.println(usage);
        }
        System.exit(status);
        throw new AssertionError("unreachable");
    }
}
