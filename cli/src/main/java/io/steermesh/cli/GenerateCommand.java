package io.steermesh.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.steermesh.engine.generate.Generator;
import io.steermesh.engine.steering.HookPoint;
import io.steermesh.engine.steering.Injection;
import io.steermesh.engine.model.Model;
import io.steermesh.engine.model.ModelConfig;
import io.steermesh.engine.model.ModelLoader;
import io.steermesh.engine.steering.PositionSet;
import io.steermesh.engine.steering.SteeringPlan;
import io.steermesh.engine.model.TokenRouting;
import io.steermesh.engine.sampler.Logits;
import io.steermesh.engine.sampler.Sampler;
import io.steermesh.engine.sampler.SamplingParams;
import io.steermesh.engine.tensor.DType;
import io.steermesh.engine.tokenizer.Tokenizer;

import java.io.IOException;
import java.io.PrintStream;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** {@code steermesh generate}: one completion, streamed as text or as one JSON object per token. */
final class GenerateCommand {
    private GenerateCommand() {}

    static final Set<String> VALUE_FLAGS = Set.of("model", "tokenizer", "prompt", "prompt-ids", "max-tokens", "temperature",
            "top-k", "top-p", "min-p", "repetition-penalty", "presence-penalty", "frequency-penalty", "seed", "stop-ids",
            "top-logits", "steer", "steer-positions", "dtype", "threads");
    static final Set<String> SWITCHES = Set.of("normalize", "json", "verbose", "routing", "int8-activations");

    private static final JsonFactory JSON = new JsonFactory();

    static int run(List<String> argList, PrintStream out, PrintStream err) throws IOException {
        CliArgs a = CliArgs.parse("generate", argList, VALUE_FLAGS, SWITCHES, Set.of("steer"));
        boolean json = a.has("json");
        boolean verbose = a.has("verbose");
        boolean routing = a.has("routing");
        if (routing && !json) throw new UserError("--routing prints expert routing in the JSON lines; add --json");

        // Everything that can be checked without the model is checked before loading it.
        Path modelPath = Path.of(a.require("model"));
        if (a.has("prompt") == a.has("prompt-ids")) {
            throw new UserError(a.has("prompt") ? "give either --prompt or --prompt-ids, not both"
                    : "generate needs --prompt TEXT or --prompt-ids ID,ID,...");
        }
        int[] promptIds = a.has("prompt-ids") ? CliArgs.parseIntList("--prompt-ids", a.get("prompt-ids")) : null;
        if (promptIds != null && promptIds.length == 0) throw new UserError("--prompt-ids needs at least one token id");
        SamplingParams.Builder sampling = SamplingParams.builder()
                .temperature(a.doubleValue("temperature", 1.0))
                .topK(a.intValue("top-k", 0))
                .topP(a.doubleValue("top-p", 1.0))
                .minP(a.doubleValue("min-p", 0.0))
                .repetitionPenalty(a.doubleValue("repetition-penalty", 1.0))
                .presencePenalty(a.doubleValue("presence-penalty", 0.0))
                .frequencyPenalty(a.doubleValue("frequency-penalty", 0.0))
                .seed(a.longValue("seed", 0))
                .maxTokens(a.intValue("max-tokens", 1));
        if (a.has("stop-ids")) sampling.stopTokenIds(CliArgs.parseIntList("--stop-ids", a.get("stop-ids")));
        build(sampling);   // range checks (temperature >= 0, top_p in (0, 1], ...) before the model loads
        int topLogits = a.intAtLeast("top-logits", 0, 0);
        PositionSet positions = a.has("steer-positions") ? PositionSet.parse(a.get("steer-positions")) : PositionSet.ALL;
        List<SteerArgs.Spec> steers = new ArrayList<>();
        for (String s : a.all("steer")) steers.add(SteerArgs.parse(s));
        ModelLoader.Options options = ModelLoader.Options.defaults();
        if (a.has("dtype")) options = options.withConvertTo(weightType(a.get("dtype")));
        if (a.has("threads")) {
            int threads = a.intAtLeast("threads", 1, 1);
            options = options.withThreads(threads);
        }
        if (a.has("tokenizer")) options = options.withTokenizer(Path.of(a.get("tokenizer")));
        if (a.has("int8-activations")) options = options.withInt8Activations(true);

        long t0 = System.nanoTime();
        try (Model model = ModelLoader.load(modelPath, options, verbose ? m -> err.println("steermesh: " + m) : m -> { })) {
            ModelConfig config = model.config();
            if (verbose) {
                err.printf(Locale.ROOT, "steermesh: loaded %s (%s, %d layers, dim %d, vocab %d, context %d) in %.2f s%n", config.name(),
                        config.arch().name().toLowerCase(Locale.ROOT), config.nLayers(), config.dim(), config.vocabSize(),
                        config.contextLength(), (System.nanoTime() - t0) / 1e9);
            }
            if (routing && config.variant().experts() == 0) {
                throw new UserError("--routing needs a mixture-of-experts model; " + modelPath + " has no experts");
            }
            Tokenizer tokenizer = model.tokenizer().orElse(null);
            if (tokenizer == null && (!json || promptIds == null)) {
                throw new UserError("no tokenizer " + (modelPath.toString().endsWith(".gguf") ? "embedded in " : "found beside ")
                        + modelPath + "; pass --tokenizer");
            }
            int[] prompt = promptIds != null ? promptIds : encodePrompt(tokenizer, a.get("prompt"));
            checkIds("prompt token id", prompt, config.vocabSize());
            if (prompt.length > config.contextLength()) {
                throw new UserError("prompt of " + prompt.length + " tokens is longer than the model context of " + config.contextLength());
            }
            sampling.maxTokens(a.has("max-tokens") ? a.intValue("max-tokens", 1)
                    : Math.min(SamplingParams.DEFAULT_MAX_TOKENS, config.contextLength()));
            Generator generator = new Generator(model, tokenizer, Sampler.standard());
            if (!a.has("stop-ids")) {
                sampling.stopTokenIds(generator.defaultStopIds());
            }
            SamplingParams params = build(sampling);
            try {
                params.validate(config.vocabSize(), config.contextLength());
            } catch (IllegalArgumentException e) {
                throw new UserError(flagNames(e.getMessage()));
            }
            SteeringPlan plan = steeringPlan(steers, positions, a.has("normalize"), config);

            Generator.Request request = new Generator.Request("cli", prompt, params, plan, routing);
            StringBuilder printed = new StringBuilder();
            long t1 = System.nanoTime();
            Generator.Result result = generator.generate(request, e -> {
                if (json) {
                    out.print(tokenLine(e, tokenizer != null, topLogits));
                } else {
                    out.print(e.text());
                    printed.append(e.text());
                }
                out.flush();
            }, out::checkError);   // stdout closed (e.g. piped into head): stop generating
            if (json) {
                out.print(summaryLine(result));
            } else {
                out.print(result.text().substring(Math.min(printed.length(), result.text().length())));   // an incomplete UTF-8 tail
                out.print('\n');
            }
            out.flush();
            if (verbose) {
                double s = (System.nanoTime() - t1) / 1e9;
                err.printf(Locale.ROOT, "steermesh: finish_reason=%s prompt_tokens=%d completion_tokens=%d (%.1f tokens/s)%n",
                        result.finishReason().label(), result.promptTokens(), result.completionTokens(), result.completionTokens() / s);
            }
        }
        return 0;
    }

    private static final Map<String, String> FLAG_OF_FIELD = Map.of("temperature", "--temperature", "top_k", "--top-k",
            "top_p", "--top-p", "min_p", "--min-p", "repetition_penalty", "--repetition-penalty", "presence_penalty",
            "--presence-penalty", "frequency_penalty", "--frequency-penalty", "max_tokens", "--max-tokens", "stop_token_ids", "--stop-ids");

    private static SamplingParams build(SamplingParams.Builder b) {
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            throw new UserError(flagNames(e.getMessage()));
        }
    }

    /** The sampler names fields as the OpenAI API does ("top_p must be ..."); here the user typed --top-p. */
    static String flagNames(String message) {
        for (Map.Entry<String, String> f : FLAG_OF_FIELD.entrySet()) {
            if (message.startsWith(f.getKey() + " ")) return f.getValue() + message.substring(f.getKey().length());
            if (message.startsWith(f.getKey() + "[")) {   // stop_token_ids[1] must be ... → --stop-ids entry 1 must be ...
                int close = message.indexOf(']');
                return f.getValue() + " entry " + message.substring(f.getKey().length() + 1, close) + message.substring(close + 1);
            }
        }
        return message;
    }

    /** User text is plain text (special-token strings are not special); BOS first where the family expects it. */
    static int[] encodePrompt(Tokenizer tokenizer, String text) {
        int[] ids = tokenizer.encodePrompt(text);
        if (ids.length == 0) throw new UserError("--prompt encodes to no tokens; give some text or use --prompt-ids");
        return ids;
    }

    private static void checkIds(String what, int[] ids, int vocab) {
        for (int id : ids) {
            if (id < 0 || id >= vocab) {
                throw new UserError(what + " " + id + " is outside the model vocabulary [0, " + (vocab - 1) + "]");
            }
        }
    }

    static DType weightType(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "f32" -> DType.F32;
            case "bf16" -> DType.BF16;
            case "f16" -> DType.F16;
            case "q8_0" -> DType.Q8_0;
            case "q4_0" -> DType.Q4_0;
            default -> throw new UserError("--dtype must be f32, bf16, f16, q8_0 or q4_0 (got \"" + s + "\")");
        };
    }

    private static SteeringPlan steeringPlan(List<SteerArgs.Spec> specs, PositionSet positions, boolean normalize, ModelConfig config) {
        if (specs.isEmpty()) return SteeringPlan.NONE;
        List<Injection> injections = new ArrayList<>();
        int dim = config.dim();
        for (SteerArgs.Spec s : specs) {
            HookPoint hook = HookPoint.parse(s.hook(), config.nLayers());
            if (s.vector().length % dim != 0) {
                throw new UserError("steering vector " + s.file() + " has " + s.vector().length + " values; " + hook
                        + " needs a multiple of " + dim + " (the model width): " + dim + " for one row, R x " + dim
                        + " for R rows (row r is added at the r-th steered position)");
            }
            // one row: added at every position of the set; R rows (ActAdd): row r at the r-th position, none past row R-1
            Injection i = new Injection(hook, s.vector(), s.coefficient(), positions);
            injections.add(normalize ? i.normalized(dim) : i);   // row by row
        }
        SteeringPlan plan = new SteeringPlan(injections);
        plan.validate(config);
        return plan;
    }

    /**
     * {@code {"index":0,"id":..,"text":"..","logprob":..,"top_logits":[[id,logit],...]}}; text is null without a tokenizer.
     * With {@code --routing}: {@code "routing":{"position":P,"layers":[{"experts":[..],"weights":[..]},...]}}, the routing
     * of position P, the input whose forward step gave this token's logits.
     */
    static String tokenLine(Generator.TokenEvent e, boolean hasText, int topLogits) {
        StringWriter w = new StringWriter();
        try (JsonGenerator g = JSON.createGenerator(w)) {
            g.writeStartObject();
            g.writeNumberField("index", e.index());
            g.writeNumberField("id", e.id());
            if (hasText) g.writeStringField("text", e.text()); else g.writeNullField("text");
            g.writeNumberField("logprob", e.sample().logprob());
            g.writeArrayFieldStart("top_logits");
            for (int id : Logits.topK(e.logits(), topLogits)) {
                g.writeStartArray();
                g.writeNumber(id);
                g.writeNumber(e.logits()[id]);
                g.writeEndArray();
            }
            g.writeEndArray();
            if (e.routing() != null) {
                g.writeFieldName("routing");
                writeRouting(g, e.routing());
            }
            g.writeEndObject();
        } catch (IOException x) {
            throw new java.io.UncheckedIOException(x);   // a StringWriter does not fail
        }
        return w.append('\n').toString();
    }

    static String summaryLine(Generator.Result r) {
        StringWriter w = new StringWriter();
        try (JsonGenerator g = JSON.createGenerator(w)) {
            g.writeStartObject();
            g.writeStringField("finish_reason", r.finishReason().label());
            g.writeObjectFieldStart("usage");
            g.writeNumberField("prompt_tokens", r.promptTokens());
            g.writeNumberField("completion_tokens", r.completionTokens());
            g.writeNumberField("total_tokens", r.promptTokens() + r.completionTokens());
            g.writeEndObject();
            if (!r.promptRouting().isEmpty()) {
                g.writeArrayFieldStart("prompt_routing");
                for (TokenRouting t : r.promptRouting()) writeRouting(g, t);
                g.writeEndArray();
            }
            g.writeEndObject();
        } catch (IOException x) {
            throw new java.io.UncheckedIOException(x);
        }
        return w.append('\n').toString();
    }

    /** {@code {"position":P,"layers":[{"experts":[e,..],"weights":[w,..]},...]}}, layer by layer, best expert first. */
    private static void writeRouting(JsonGenerator g, TokenRouting r) throws IOException {
        g.writeStartObject();
        g.writeNumberField("position", r.position());
        g.writeArrayFieldStart("layers");
        for (int l = 0; l < r.experts().length; l++) {
            g.writeStartObject();
            g.writeArrayFieldStart("experts");
            for (int x : r.experts()[l]) g.writeNumber(x);
            g.writeEndArray();
            g.writeArrayFieldStart("weights");
            for (float w : r.weights()[l]) g.writeNumber(w);
            g.writeEndArray();
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeEndObject();
    }
}
