package io.steermesh.cli;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.steermesh.engine.steering.HookPoint;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** Parses {@code --steer HOOK:COEFF:FILE} and reads steering vector files. */
final class SteerArgs {
    private SteerArgs() {}

    /** One {@code --steer} before the model is known: the hook is checked against the model's layers later. */
    record Spec(String hook, float coefficient, Path file, float[] vector) {}

    /**
     * Splits on the first two ':' only: hook names contain dots but no ':', the coefficient may be
     * negative, and a file path may contain ':'.
     */
    static Spec parse(String spec) throws IOException {
        int a = spec.indexOf(':');
        int b = a < 0 ? -1 : spec.indexOf(':', a + 1);
        if (a <= 0 || b < 0 || b == a + 1 || b == spec.length() - 1) {
            throw new UserError("--steer expects HOOK:COEFF:FILE, e.g. blocks.0.hook_resid_post:4.0:vector.json (got \"" + spec + "\")");
        }
        String hook = spec.substring(0, a);
        HookPoint.parse(hook, Integer.MAX_VALUE);   // the name's syntax now; its layer once the model is loaded
        double coeff = CliArgs.parseDouble("--steer coefficient", spec.substring(a + 1, b));
        if (Math.abs(coeff) > Float.MAX_VALUE) throw new UserError("--steer coefficient is out of range (got " + spec.substring(a + 1, b) + ")");
        Path file = Path.of(spec.substring(b + 1));
        return new Spec(hook, (float) coeff, file, read(file));
    }

    /**
     * A JSON array of numbers (the file's first non-blank character is '[') or raw little-endian float32.
     * A binary file whose first byte happens to be '[' is still read as float32: when it does not parse as
     * JSON and holds bytes no text file has, it is taken as raw.
     */
    static float[] read(Path file) throws IOException {
        if (!Files.exists(file)) throw new UserError("cannot read steering vector " + file + ": no such file");
        if (Files.isDirectory(file)) throw new UserError("cannot read steering vector " + file + ": it is a directory");
        if (!Files.isReadable(file)) throw new UserError("cannot read steering vector " + file + ": permission denied");
        byte[] bytes = Files.readAllBytes(file);
        if (bytes.length == 0) throw new UserError("steering vector " + file + " is empty");
        boolean jsonName = file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".json");
        if (jsonName || startsWithBracket(bytes)) {
            try {
                return fromJson(file, bytes);
            } catch (JacksonException e) {
                if (jsonName || !looksBinary(bytes)) {
                    throw new UserError("steering vector " + file + " is not a valid JSON array of numbers: "
                            + e.getOriginalMessage().lines().findFirst().orElse(""));
                }
            }
        }
        if (bytes.length % 4 != 0) {
            throw new UserError("steering vector " + file + " is neither a JSON array nor raw float32 (" + bytes.length
                    + " bytes, not a multiple of 4)");
        }
        float[] v = new float[bytes.length / 4];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
        return v;
    }

    private static float[] fromJson(Path file, byte[] bytes) throws IOException {
        JsonNode root = new ObjectMapper().readTree(bytes);
        if (root == null || !root.isArray()) throw new UserError("steering vector " + file + " must be a JSON array of numbers");
        if (root.isEmpty()) throw new UserError("steering vector " + file + " is an empty array");
        float[] v = new float[root.size()];
        for (int i = 0; i < v.length; i++) {
            JsonNode n = root.get(i);
            if (!n.isNumber()) throw new UserError("steering vector " + file + ": element " + i + " is not a number (" + n + ")");
            v[i] = (float) n.asDouble();
        }
        return v;
    }

    private static boolean startsWithBracket(byte[] bytes) {
        for (byte x : bytes) {
            if (x == ' ' || x == '\t' || x == '\n' || x == '\r') continue;
            return x == '[';
        }
        return false;
    }

    /** Control bytes other than whitespace, or bytes >= 0x80 (JSON vectors are ASCII). */
    private static boolean looksBinary(byte[] bytes) {
        for (byte x : bytes) {
            if (x < 0 || (x < 0x20 && x != '\t' && x != '\n' && x != '\r')) return true;
        }
        return false;
    }
}
