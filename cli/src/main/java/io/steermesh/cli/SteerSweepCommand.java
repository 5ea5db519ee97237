package io.steermesh.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.steermesh.engine.generate.Generator;
import io.steermesh.engine.steering.ActivationCapture;
import io.steermesh.engine.steering.HookPoint;
import io.steermesh.engine.steering.Injection;
import io.steermesh.engine.model.Model;
import io.steermesh.engine.model.ModelConfig;
import io.steermesh.engine.model.ModelLoader;
import io.steermesh.engine.steering.PositionSet;
import io.steermesh.engine.model.Sequence;
import io.steermesh.engine.steering.SteeringPlan;
import io.steermesh.engine.model.Step;
import io.steermesh.engine.sampler.Sampler;
import io.steermesh.engine.sampler.SamplingParams;
import io.steermesh.engine.tokenizer.Tokenizer;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code steermesh steer-sweep}: does adding a word's direction to the residual stream make the model
 * say the word? For each hook × coefficient it samples {@code --samples} completions with seeds
 * 0..samples-1 (the same seeds for every setting, so coefficient 0 is the unsteered baseline of the
 * same draws) and counts the completions that contain the word and its occurrences ({@link WordCount}).
 *
 * <p>The steering vector is either the embedding row of the word's single token, or the difference of
 * the residuals at the hook between the prompts {@code word} and {@code against} at their last position
 * (ActAdd, Turner et al. 2023, reduced to one position). The table also gives the vector's norm and the
 * mean residual norm at the hook, so a coefficient can be read as a fraction of the stream it is added to.
 */
final class SteerSweepCommand {
    private SteerSweepCommand() {}

    static final Set<String> VALUE_FLAGS = Set.of("model", "tokenizer", "word", "against", "source", "hooks", "coefficients",
            "samples", "max-tokens", "temperature", "prompt", "steer-positions", "dtype", "threads");
    static final Set<String> SWITCHES = Set.of("normalize", "json", "verbose");

    /** One hook × coefficient: counts over the samples, and the seed-0 completion as the example. */
    record Setting(String hook, double coefficient, int samples, int containing, int occurrences, int prefixOccurrences, double meanTokens,
                   String example) {}

    /** A hook's steering vector and the scale of the stream there. */
    record HookInfo(HookPoint hook, float[] vector, double vectorNorm, double residualNorm) {}

    static int run(List<String> argList, PrintStream out, PrintStream err) throws IOException {
        CliArgs a = CliArgs.parse("steer-sweep", argList, VALUE_FLAGS, SWITCHES, Set.of());
        Path modelPath = Path.of(a.require("model"));
        String wordText = a.has("word") ? a.get("word") : " dog";
        String againstText = a.has("against") ? a.get("against") : " cat";
        WordCount counter = new WordCount(wordText);
        String source = a.has("source") ? a.get("source") : "embedding";
        if (!source.equals("embedding") && !source.equals("contrast")) {
            throw new UserError("--source must be embedding or contrast (got \"" + source + "\")");
        }
        if (source.equals("embedding") && a.has("against")) throw new UserError("--against applies only to --source contrast");
        if (source.equals("contrast") && againstText.strip().isEmpty()) throw new UserError("--against must contain a non-space character");
        List<String> hookNames = new ArrayList<>();
        for (String h : (a.has("hooks") ? a.get("hooks") : "blocks.1.hook_resid_post").split(",")) {
            String name = h.strip();
            HookPoint.parse(name, Integer.MAX_VALUE);   // syntax now, the layer once the model is known
            hookNames.add(name);
        }
        if (new LinkedHashSet<>(hookNames).size() != hookNames.size()) throw new UserError("--hooks lists a hook twice");
        List<Double> coefficients = new ArrayList<>();
        for (String c : (a.has("coefficients") ? a.get("coefficients") : "0,2,4,8").split(",")) {
            double v = CliArgs.parseDouble("--coefficients", c);
            if (Math.abs(v) > Float.MAX_VALUE) throw new UserError("--coefficients value is out of range (got " + c.strip() + ")");
            coefficients.add(v);
        }
        int samples = a.intAtLeast("samples", 50, 1);
        int maxTokens = a.intAtLeast("max-tokens", 64, 1);
        double temperature = a.doubleValue("temperature", 0.8);
        String promptText = a.has("prompt") ? a.get("prompt") : "Once upon a time";
        PositionSet positions = a.has("steer-positions") ? PositionSet.parse(a.get("steer-positions")) : PositionSet.ALL;
        boolean normalize = a.has("normalize");
        boolean json = a.has("json");
        boolean verbose = a.has("verbose");
        if (temperature < 0) throw new UserError("--temperature must be >= 0 (got " + a.get("temperature") + ")");
        if (promptText.isEmpty()) throw new UserError("--prompt must not be empty");

        ModelLoader.Options options = ModelLoader.Options.defaults();
        if (a.has("dtype")) options = options.withConvertTo(GenerateCommand.weightType(a.get("dtype")));
        if (a.has("threads")) {
            int threads = a.intAtLeast("threads", 1, 1);
            options = options.withThreads(threads);
        }
        if (a.has("tokenizer")) options = options.withTokenizer(Path.of(a.get("tokenizer")));

        try (Model model = ModelLoader.load(modelPath, options, verbose ? m -> err.println("steermesh: " + m) : m -> { })) {
            ModelConfig config = model.config();
            Tokenizer tokenizer = model.tokenizer().orElseThrow(() -> new UserError("no tokenizer found for " + modelPath + "; pass --tokenizer"));
            List<HookPoint> hooks = new ArrayList<>();
            for (String h : hookNames) hooks.add(HookPoint.parse(h, config.nLayers()));
            int[] prompt = GenerateCommand.encodePrompt(tokenizer, promptText);
            Generator generator = new Generator(model, tokenizer, Sampler.standard());
            SamplingParams.Builder base = SamplingParams.builder().temperature(temperature).maxTokens(maxTokens)
                    .stopTokenIds(generator.defaultStopIds());
            SamplingParams probe;
            try {
                probe = base.build().validate(config.vocabSize(), config.contextLength());
            } catch (IllegalArgumentException e) {
                throw new UserError(GenerateCommand.flagNames(e.getMessage()));
            }
            if (prompt.length + probe.maxTokens() > config.contextLength()) {
                throw new UserError("prompt (" + prompt.length + " tokens) + --max-tokens " + maxTokens + " exceed the model context of "
                        + config.contextLength());
            }

            // the steering direction, per hook
            int wordToken = -1;
            float[] embeddingRow = null;
            if (source.equals("embedding")) {
                wordToken = singleToken(tokenizer, wordText);
                embeddingRow = new float[config.dim()];
                model.weights().tokenEmbedding().copyTo((long) wordToken * config.dim(), embeddingRow, 0, config.dim());
            }
            // the scale of the stream: mean residual norm at each hook over the prompt + an unsteered completion (seed 0)
            Generator.Result reference = generator.generate(new Generator.Request("sweep-norm", prompt, base.seed(0).build(), SteeringPlan.NONE),
                    e -> { });
            int[] normText = concat(prompt, reference.tokenIds());
            Map<HookPoint, float[][]> normRows = residuals(model, normText, hooks);
            List<HookInfo> infos = new ArrayList<>();
            for (HookPoint h : hooks) {
                float[] v;
                if (embeddingRow != null) {
                    v = embeddingRow.clone();
                } else {
                    float[] pos = lastResidual(model, contrastPrompt(tokenizer, wordText), h);
                    float[] neg = lastResidual(model, contrastPrompt(tokenizer, againstText), h);
                    v = new float[pos.length];
                    for (int i = 0; i < v.length; i++) v[i] = pos[i] - neg[i];
                }
                double norm = norm(v, 0, v.length);
                if (norm == 0) throw new UserError("the steering vector at " + h + " is zero (are --word and --against the same?)");
                float[][] rows = normRows.get(h);
                double sum = 0;
                int count = 0;
                for (int p = 1; p < rows.length; p++) {   // position 0 (BOS, or the first token) is an outlier in most models
                    sum += norm(rows[p], 0, rows[p].length);
                    count++;
                }
                double residual = count == 0 ? norm(rows[0], 0, rows[0].length) : sum / count;
                infos.add(new HookInfo(h, v, norm, residual));
            }

            String tokenDesc = wordToken < 0 ? "" : String.format(Locale.ROOT, " (token %d, \"%s\")", wordToken, visible(surface(tokenizer, wordToken)));
            String header = String.format(Locale.ROOT,
                    "steer-sweep: %s, word %s%s, source %s%s%s; prompt \"%s\" (%d tokens%s), %d samples (seeds 0..%d), temperature %s, "
                            + "max %d tokens, stop at %s, steered positions %s",
                    config.name(), counter, tokenDesc, source,
                    source.equals("contrast") ? " (residual of \"" + visible(wordText) + "\" minus \"" + visible(againstText) + "\" at the last position)" : "",
                    normalize ? ", normalized to unit norm" : "",
                    visible(promptText), prompt.length, tokenizer.addBosToPrompts() ? " with BOS" : "", samples, samples - 1,
                    fmt(temperature), maxTokens, Arrays.toString(generator.defaultStopIds()), positions);
            err.println(header);

            // the sweep; coefficient 0 is the unsteered baseline, generated once and shared by every hook
            List<Setting> settings = new ArrayList<>();
            Map<String, Setting> baseline = new HashMap<>();
            for (HookInfo info : infos) {
                for (double coeff : coefficients) {
                    Setting s;
                    if (coeff == 0 && baseline.containsKey("0")) {
                        Setting b = baseline.get("0");
                        s = new Setting(info.hook().name(), coeff, b.samples(), b.containing(), b.occurrences(), b.prefixOccurrences(),
                                b.meanTokens(), b.example());
                    } else {
                        SteeringPlan plan = SteeringPlan.NONE;
                        if (coeff != 0) {
                            Injection inj = new Injection(info.hook(), info.vector(), (float) coeff, positions);
                            plan = new SteeringPlan(List.of(normalize ? inj.normalized() : inj));
                        }
                        s = sample(generator, prompt, base, plan, samples, counter, info.hook().name(), coeff);
                        if (coeff == 0) baseline.put("0", s);
                    }
                    settings.add(s);
                    err.printf(Locale.ROOT, "steermesh: %s x %s: %d/%d completions contain %s, %d occurrences%n", s.hook(), fmt(coeff),
                            s.containing(), s.samples(), counter, s.occurrences());
                }
            }

            if (json) {
                out.print(json(config, counter, wordToken, tokenizer, source, againstText, normalize, promptText, prompt, samples, temperature,
                        maxTokens, positions, infos, settings));
            } else {
                out.println(header);
                out.println();
                out.println("Counting: " + WordCount.rule() + ". \"incl. longer words\" also counts the word at the start of a"
                        + " longer word (\"" + counter.word() + "s\"), for reference only.");
                out.println();
                out.print(markdown(counter, infos, settings, normalize, samples));
            }
            out.flush();
        }
        return 0;
    }

    private static Setting sample(Generator generator, int[] prompt, SamplingParams.Builder base, SteeringPlan plan, int samples,
                                  WordCount counter, String hook, double coeff) {
        int containing = 0, occurrences = 0, prefixed = 0;
        long tokens = 0;
        String example = null;
        for (int seed = 0; seed < samples; seed++) {
            Generator.Result r = generator.generate(new Generator.Request("sweep-" + seed, prompt, base.seed(seed).build(), plan), e -> { });
            int n = counter.occurrences(r.text());
            occurrences += n;
            if (n > 0) containing++;
            prefixed += counter.prefixOccurrences(r.text());
            tokens += r.completionTokens();
            if (seed == 0) example = r.text();
        }
        return new Setting(hook, coeff, samples, containing, occurrences, prefixed, (double) tokens / samples, example);
    }

    /**
     * The single token whose text is exactly {@code word}, as the tokenizer produces it inside running
     * text. Tried: the word as given, then, when the tokenizer prepends a dummy-prefix space (SentencePiece,
     * Llama) and the word starts with a space, the word without that space, which the dummy prefix puts
     * back: {@code " dog"} → encode("dog") → {@code ▁dog}, whose text is " dog".
     */
    static int singleToken(Tokenizer tokenizer, String word) {
        byte[] want = word.getBytes(StandardCharsets.UTF_8);
        List<String> tried = new ArrayList<>();
        for (String text : modelTexts(tokenizer, word)) {
            int[] ids = tokenizer.encode(text);
            if (ids.length == 1 && Arrays.equals(surfaceBytes(tokenizer, ids[0]), want)) return ids[0];
            List<String> pieces = new ArrayList<>();
            for (int id : ids) pieces.add(id + " \"" + visible(surface(tokenizer, id)) + "\"");
            tried.add("\"" + visible(text) + "\" encodes as " + pieces);
        }
        throw new UserError("--word \"" + visible(word) + "\" is not a single token of this tokenizer (" + String.join("; ", tried)
                + "); --source embedding needs one token; words inside text usually start with a space, e.g. --word \" dog\","
                + " or use --source contrast");
    }

    /** The texts to encode for {@code word}: as given, then without its leading space when the tokenizer adds one itself. */
    static List<String> modelTexts(Tokenizer tokenizer, String word) {
        List<String> texts = new ArrayList<>(List.of(word));
        if (addsDummyPrefix(tokenizer) && word.startsWith(" ") && word.length() > 1) texts.add(word.substring(1));
        return texts;
    }

    /** Whether encoding prepends a space (SentencePiece's dummy prefix): "a" then comes out as a token starting with ' '. */
    static boolean addsDummyPrefix(Tokenizer tokenizer) {
        int[] ids = tokenizer.encode("a");
        if (ids.length == 0) return false;
        byte[] b = surfaceBytes(tokenizer, ids[0]);
        return b.length > 0 && b[0] == ' ';
    }

    /**
     * The contrast prompt for a word: BOS where the family expects it, then the word as it appears inside
     * text (for a dummy-prefix tokenizer, " dog" is encoded as "dog", which gives {@code ▁dog}).
     */
    static int[] contrastPrompt(Tokenizer tokenizer, String word) {
        List<String> texts = modelTexts(tokenizer, word);
        return GenerateCommand.encodePrompt(tokenizer, texts.getLast());
    }

    /** A token's text in the middle of running text (no BOS before it), as bytes. */
    private static byte[] surfaceBytes(Tokenizer tokenizer, int id) {
        return tokenizer.tokenBytes(-1, id);
    }

    private static String surface(Tokenizer tokenizer, int id) {
        return new String(surfaceBytes(tokenizer, id), StandardCharsets.UTF_8);
    }

    /** The residual at {@code hook} for the last position of {@code tokens} (a prefill on a fresh sequence). */
    private static float[] lastResidual(Model model, int[] tokens, HookPoint hook) {
        float[][] rows = residuals(model, tokens, List.of(hook)).get(hook);
        return rows[rows.length - 1];
    }

    /** Per hook, the residual of every position of {@code tokens} (unsteered prefill with a capture). */
    private static Map<HookPoint, float[][]> residuals(Model model, int[] tokens, List<HookPoint> hooks) {
        Map<HookPoint, float[][]> rows = new HashMap<>();
        for (HookPoint h : hooks) rows.put(h, new float[tokens.length][]);
        Set<HookPoint> set = Set.copyOf(hooks);
        Sequence seq = model.newSequence("sweep-capture", tokens.length);
        seq.setCapture(new ActivationCapture() {
            @Override
            public Set<HookPoint> hooks() { return set; }

            @Override
            public void accept(HookPoint hook, int position, float[] x, int off, int dim) {
                rows.get(hook)[position] = Arrays.copyOfRange(x, off, off + dim);
            }
        });
        model.transformer().forward(List.of(new Step(seq, tokens, Step.Logits.NONE)));
        seq.setLength(0);
        return rows;
    }

    static double norm(float[] v, int off, int n) {
        double ss = 0;
        for (int i = 0; i < n; i++) ss += (double) v[off + i] * v[off + i];
        return Math.sqrt(ss);
    }

    private static int[] concat(int[] a, int[] b) {
        int[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    /** Text for one table cell or header: newlines shown as ⏎, pipes escaped. */
    static String visible(String s) {
        return s.replace("\r", "").replace("\n", "⏎").replace("|", "\\|");
    }

    static String fmt(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? String.valueOf((long) d) : String.valueOf(d);
    }

    static String markdown(WordCount counter, List<HookInfo> infos, List<Setting> settings, boolean normalize, int samples) {
        StringBuilder sb = new StringBuilder();
        sb.append("| hook | ‖v‖ | mean ‖resid‖ at hook | coefficient | ‖coeff·v‖ / ‖resid‖ | completions with ").append(counter)
                .append(" (/").append(samples).append(") | occurrences | incl. longer words | mean tokens | example (seed 0) |\n");
        sb.append("|---|---|---|---|---|---|---|---|---|---|\n");
        Map<String, HookInfo> byName = new HashMap<>();
        for (HookInfo i : infos) byName.put(i.hook().name(), i);
        for (Setting s : settings) {
            HookInfo i = byName.get(s.hook());
            double added = Math.abs(s.coefficient()) * (normalize ? 1 : i.vectorNorm());
            String example = visible(s.example().strip());
            if (example.length() > 160) example = example.substring(0, 160) + "…";
            sb.append(String.format(Locale.ROOT, "| %s | %.3f | %.3f | %s | %.2f | %d | %d | %d | %.1f | %s |%n", s.hook(), i.vectorNorm(),
                    i.residualNorm(), fmt(s.coefficient()), added / i.residualNorm(), s.containing(), s.occurrences(), s.prefixOccurrences(),
                    s.meanTokens(), example));
        }
        return sb.toString();
    }

    private static String json(ModelConfig config, WordCount counter, int wordToken, Tokenizer tokenizer, String source, String against,
                               boolean normalize, String promptText, int[] prompt, int samples, double temperature, int maxTokens,
                               PositionSet positions, List<HookInfo> infos, List<Setting> settings) throws IOException {
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = mapper.createObjectNode();
        root.put("model", config.name());
        root.put("word", counter.word());
        if (wordToken >= 0) {
            root.put("token_id", wordToken);
            root.put("token_text", surface(tokenizer, wordToken));
        }
        root.put("source", source);
        if (source.equals("contrast")) root.put("against", against);
        root.put("normalize", normalize);
        root.put("prompt", promptText);
        ArrayNode ids = root.putArray("prompt_ids");
        for (int id : prompt) ids.add(id);
        root.put("samples", samples);
        root.put("temperature", temperature);
        root.put("max_tokens", maxTokens);
        root.put("positions", positions.toString());
        root.put("counting_rule", WordCount.rule());
        ArrayNode hooks = root.putArray("hooks");
        for (HookInfo i : infos) {
            ObjectNode h = hooks.addObject();
            h.put("hook", i.hook().name());
            h.put("vector_norm", i.vectorNorm());
            h.put("residual_norm", i.residualNorm());
            ArrayNode rows = h.putArray("settings");
            for (Setting s : settings) {
                if (!s.hook().equals(i.hook().name())) continue;
                ObjectNode r = rows.addObject();
                r.put("coefficient", s.coefficient());
                r.put("containing", s.containing());
                r.put("occurrences", s.occurrences());
                r.put("prefix_occurrences", s.prefixOccurrences());
                r.put("mean_tokens", s.meanTokens());
                r.put("example", s.example());
            }
        }
        return mapper.writeValueAsString(root) + "\n";
    }
}
