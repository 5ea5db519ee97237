package io.steermesh.mesh;

import java.nio.file.Path;

/**
 * A process this JVM started that writes its output to a log file (the Kafka broker, a service): its pid, whether
 * it still runs, and the end of its log, which closes the message when it fails to start.
 */
public abstract class LoggedProcess {
    final Process process;
    private final Path log;

    LoggedProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    public long pid() {
        return process.pid();
    }

    public Path log() {
        return log;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** {@code LOG ends with:} and its last {@code lines} lines. */
    String logEnd(int lines) {
        return log + " ends with:\n" + Children.tail(log, lines);
    }
}
