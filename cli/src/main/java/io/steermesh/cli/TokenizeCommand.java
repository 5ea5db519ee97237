package io.steermesh.cli;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.steermesh.engine.model.Model;
import io.steermesh.engine.model.ModelLoader;
import io.steermesh.engine.tokenizer.EncodeThroughput;
import io.steermesh.engine.tokenizer.Tokenizer;
import io.steermesh.engine.tokenizer.Tokenizers;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * {@code steermesh tokenize}: a JSON array of strings on stdin → a JSON array of id arrays on stdout; with
 * {@code --bench FILE}, the encoding throughput of the tokenizer on that file instead.
 */
final class TokenizeCommand {
    private TokenizeCommand() {}

    static final Set<String> VALUE_FLAGS = Set.of("tokenizer", "model", "bench", "rounds");
    static final Set<String> SWITCHES = Set.of("allow-special", "verbose");

    static int run(List<String> argList, InputStream in, PrintStream out, PrintStream err) throws IOException {
        CliArgs a = CliArgs.parse("tokenize", argList, VALUE_FLAGS, SWITCHES, Set.of());
        if (a.has("tokenizer") == a.has("model")) {
            throw new UserError(a.has("model") ? "give either --tokenizer or --model, not both" : "tokenize needs --tokenizer PATH or --model PATH");
        }
        if (a.has("bench")) return bench(a, out);
        // the input first: a malformed request fails before any file is opened
        ObjectMapper mapper = new ObjectMapper();
        JsonNode root;
        try {
            root = mapper.readTree(in);
        } catch (JacksonException e) {
            throw new UserError("stdin is not valid JSON: " + e.getOriginalMessage().lines().findFirst().orElse(""));
        }
        if (root == null || root.isMissingNode()) throw new UserError("stdin is empty; expected a JSON array of strings");
        if (!root.isArray()) throw new UserError("stdin must be a JSON array of strings (got a JSON " + root.getNodeType().name().toLowerCase(java.util.Locale.ROOT) + ")");
        String[] texts = new String[root.size()];
        for (int i = 0; i < texts.length; i++) {
            JsonNode n = root.get(i);
            if (!n.isTextual()) throw new UserError("stdin must be a JSON array of strings (element " + i + " is " + n + ")");
            texts[i] = n.textValue();
        }

        boolean special = a.has("allow-special");
        int[][] ids = new int[texts.length][];
        if (a.has("tokenizer")) {
            Tokenizer tok = Tokenizers.load(Path.of(a.get("tokenizer")), 0);
            for (int i = 0; i < texts.length; i++) ids[i] = tok.encode(texts[i], special);
        } else {
            Path modelPath = Path.of(a.get("model"));
            try (Model model = ModelLoader.load(modelPath, ModelLoader.Options.defaults().withThreads(1),
                    a.has("verbose") ? m -> err.println("steermesh: " + m) : m -> { })) {
                Tokenizer tok = model.tokenizer().orElseThrow(() -> new UserError("no tokenizer "
                        + (modelPath.toString().endsWith(".gguf") ? "embedded in " : "found beside ") + modelPath + "; pass --tokenizer"));
                for (int i = 0; i < texts.length; i++) ids[i] = tok.encode(texts[i], special);
            }
        }
        out.print(mapper.writeValueAsString(ids));
        out.print('\n');
        out.flush();
        return 0;
    }

    /** One JSON line: the file's size, its token count, the best of --rounds passes and MB/s. */
    private static int bench(CliArgs a, PrintStream out) throws IOException {
        if (!a.has("tokenizer")) throw new UserError("--bench needs --tokenizer PATH");
        int rounds = a.intValue("rounds", 5);
        if (rounds < 1 || rounds > 1000) throw new UserError("--rounds must be 1..1000 (got " + rounds + ")");
        String text = Files.readString(Path.of(a.get("bench")), StandardCharsets.UTF_8);
        long loadStart = System.nanoTime();
        Tokenizer tok = Tokenizers.load(Path.of(a.get("tokenizer")), 0);
        double loadSeconds = (System.nanoTime() - loadStart) / 1e9;
        EncodeThroughput.Result r = EncodeThroughput.measure(tok, text, rounds);
        out.printf(java.util.Locale.ROOT, "{\"bytes\":%d,\"tokens\":%d,\"rounds\":%d,\"best_seconds\":%.4f,\"mb_per_s\":%.2f,\"load_seconds\":%.2f}%n",
                r.bytes(), r.tokens(), rounds, r.bestSeconds(), r.megabytesPerSecond(), loadSeconds);
        out.flush();
        return 0;
    }
}
