package io.steermesh.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** One in-process run of {@link Main#run} with captured streams. */
record Invocation(int status, String stdout, String stderr) {
    private static final ObjectMapper JSON = new ObjectMapper();

    static Invocation run(String... args) {
        return withStdin("", args);
    }

    static Invocation withStdin(String stdin, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Main.run(args, new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Invocation(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** stdout as JSON lines (generate --json). */
    List<JsonNode> jsonLines() {
        List<JsonNode> lines = new ArrayList<>();
        for (String line : stdout.split("\n")) {
            if (line.isEmpty()) continue;
            try {
                lines.add(JSON.readTree(line));
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new UncheckedIOException("stdout line is not JSON: " + line, e);
            }
        }
        return lines;
    }

    /** The generated token ids of a --json run (every line but the summary). */
    int[] tokenIds() {
        List<JsonNode> lines = jsonLines();
        return lines.subList(0, lines.size() - 1).stream().mapToInt(n -> n.get("id").asInt()).toArray();
    }

    @Override
    public String toString() {
        return "exit " + status + "\n--- stdout\n" + stdout + "--- stderr\n" + stderr;
    }
}
