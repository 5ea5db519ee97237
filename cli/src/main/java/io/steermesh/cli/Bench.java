package io.steermesh.cli;

import java.io.PrintStream;

/** {@code steermesh bench}: placeholder until the benchmark lands here. */
public final class Bench {
    private Bench() {}

    /** Same contract as {@link Main#run}: 0 on success, 2 for a user error, 1 for an internal one. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        err.println("steermesh: bench: not wired yet");
        return 2;
    }
}
