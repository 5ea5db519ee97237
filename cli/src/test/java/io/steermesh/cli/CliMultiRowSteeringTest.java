package io.steermesh.cli;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code --steer HOOK:COEFF:FILE} with a vector of R rows (ActAdd) on gpt2-tiny (width 64): row r is added at
 * the r-th position of {@code --steer-positions}, nothing past the last row.
 */
class CliMultiRowSteeringTest {
    static final int DIM = 64;
    static final String HOOK = "blocks.0.hook_resid_post";

    static float[] row(double phase) {
        float[] v = new float[DIM];
        for (int i = 0; i < DIM; i++) v[i] = (float) Math.sin(0.37 * i + phase);
        return v;
    }

    static float[] concat(float[]... rows) {
        float[] v = new float[rows.length * DIM];
        for (int r = 0; r < rows.length; r++) System.arraycopy(rows[r], 0, v, r * DIM, DIM);
        return v;
    }

    static float[] scaled(float[] v, float s) {
        float[] out = v.clone();
        for (int i = 0; i < out.length; i++) out[i] *= s;
        return out;
    }

    static Path json(Path dir, String name, float[] v) throws IOException {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < v.length; i++) sb.append(i == 0 ? "" : ",").append(v[i]);
        return Files.writeString(dir.resolve(name), sb.append(']').toString());
    }

    static Path raw(Path dir, String name, float[] v) throws IOException {
        ByteBuffer bb = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) bb.putFloat(f);
        return Files.write(dir.resolve(name), bb.array());
    }

    /** Greedy, 8 tokens of a 4-token prompt, --json with the top 10 logits; the extra flags appended. */
    static Invocation generate(String... extra) {
        List<String> args = new ArrayList<>(List.of("generate", "--model", SharedData.gpt2Tiny(), "--tokenizer", SharedData.gpt2Tokenizer(),
                "--prompt-ids", "464,3797,3332,319", "--temperature", "0", "--max-tokens", "8", "--json", "--top-logits", "10",
                "--stop-ids", "", "--threads", "2"));
        args.addAll(Arrays.asList(extra));
        Invocation r = Invocation.run(args.toArray(String[]::new));
        assertEquals(0, r.status(), r.toString());
        return r;
    }

    /** The top logits of every step, as text (ids and values). */
    static String logits(Invocation r) {
        List<JsonNode> lines = r.jsonLines();
        StringBuilder sb = new StringBuilder();
        for (JsonNode l : lines.subList(0, lines.size() - 1)) sb.append(l.get("top_logits")).append('\n');
        return sb.toString();
    }

    static void assertSameRun(Invocation expected, Invocation got, String what) {
        assertArrayEquals(expected.tokenIds(), got.tokenIds(), what + ": tokens");
        assertEquals(logits(expected), logits(got), what + ": top logits");
    }

    @Test
    void rowRIsAddedAtTheRthPositionOfTheSet(@TempDir Path tmp) throws IOException {
        float[] v = row(0.1), w = row(2.0);
        float[] zero = new float[DIM];
        Invocation plain = generate();
        // [v; 0] at all: v at position 0 only, as the one-row v on positions 0-1
        Invocation firstRow = generate("--steer", HOOK + ":8:" + json(tmp, "v0.json", concat(v, zero)));
        assertSameRun(generate("--steer", HOOK + ":8:" + json(tmp, "v.json", v), "--steer-positions", "0-1"), firstRow, "[v; 0]");
        assertFalse(logits(plain).equals(logits(firstRow)), "the steering did something");
        // [0; w] (raw float32): w at position 1 only
        assertSameRun(generate("--steer", HOOK + ":8:" + json(tmp, "w.json", w), "--steer-positions", "1-2"),
                generate("--steer", HOOK + ":8:" + raw(tmp, "0w.f32", concat(zero, w))), "[0; w]");
        // a range: row r at from + r; [v; w] at 2-6 is v at 2 plus w at 3, nothing at 4 and 5
        assertSameRun(generate("--steer", HOOK + ":8:" + json(tmp, "vv.json", concat(v, zero)),
                        "--steer", HOOK + ":8:" + json(tmp, "ww.json", concat(zero, w)), "--steer-positions", "2-6"),
                generate("--steer", HOOK + ":8:" + json(tmp, "vw.json", concat(v, w)), "--steer-positions", "2-6"), "[v; w] at 2-6");
        // generated: the first generated position (4) gets row 0, the next row 1
        Invocation gen = generate("--steer", HOOK + ":8:" + json(tmp, "vw2.json", concat(v, w)), "--steer-positions", "generated");
        assertEquals(plain.jsonLines().getFirst().toString(), gen.jsonLines().getFirst().toString(),
                "index 0 comes from position 3, a prompt position: unsteered");
        assertFalse(logits(plain).equals(logits(gen)));
    }

    @Test
    void normalizeScalesEachRowToUnitLength(@TempDir Path tmp) throws IOException {
        float[] v = row(0.1), w = row(2.0);
        Invocation scaled = generate("--steer", HOOK + ":8:" + json(tmp, "big.json", concat(scaled(v, 2f), scaled(w, 5f))), "--normalize");
        Invocation unit = generate("--steer", HOOK + ":8:" + json(tmp, "unit.json", concat(v, w)), "--normalize");
        assertArrayEquals(unit.tokenIds(), scaled.tokenIds(), "rows scaled by 2 and 5 normalize to the same unit rows");
        List<JsonNode> a = unit.jsonLines(), b = scaled.jsonLines();
        for (int k = 0; k < a.size() - 1; k++) {
            for (int j = 0; j < 10; j++) {
                assertEquals(a.get(k).at("/top_logits/" + j + "/1").asDouble(), b.get(k).at("/top_logits/" + j + "/1").asDouble(), 1e-4,
                        "step " + k + " rank " + j);
            }
        }
    }

    @Test
    void aLengthThatIsNotAMultipleOfTheWidthIsRefused(@TempDir Path tmp) throws IOException {
        Path v = json(tmp, "odd.json", Arrays.copyOf(concat(row(0.1), row(2.0)), 100));
        Invocation r = Invocation.run("generate", "--model", SharedData.gpt2Tiny(), "--tokenizer", SharedData.gpt2Tokenizer(),
                "--prompt", "hi", "--steer", HOOK + ":4:" + v);
        assertEquals(2, r.status(), r.toString());
        assertEquals("", r.stdout());
        String line = r.stderr().strip();
        assertTrue(line.startsWith("steermesh: ") && !line.contains("\n"), line);
        for (String part : new String[] {"odd.json", "100 values", "multiple of 64", "the model width"}) {
            assertTrue(line.contains(part), "\"" + part + "\" in: " + line);
        }
    }
}
