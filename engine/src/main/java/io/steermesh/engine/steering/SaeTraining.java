package io.steermesh.engine.steering;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.steermesh.engine.generate.Generator;
import io.steermesh.engine.model.Model;
import io.steermesh.engine.sampler.SamplingParams;
import io.steermesh.engine.tokenizer.Tokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * An SAE for a model, end to end: a corpus of text the model generates itself (plus any given texts),
 * its residual stream captured at one hook, a {@link SaeTrainer TopK SAE} trained on it, and per feature a
 * small dashboard: the contexts it fires most on and the tokens its decoder row promotes through the final
 * norm's gain and the unembedding ({@code W_dec[j] · diag(g) · W_U}). Written as the SAELens layout with
 * {@value #DASHBOARDS} and {@value #REPORT} beside it.
 */
public final class SaeTraining {
    private SaeTraining() {}

    public static final String DASHBOARDS = "dashboards.json";
    public static final String REPORT = "training.json";
    static final int TOP_CONTEXTS = 5, TOP_TOKENS = 10, CONTEXT_BEFORE = 8;

    /**
     * @param stories    how many texts the model generates itself (temperature 1, from BOS)
     * @param storyTokens at most this many tokens each
     * @param corpus     more texts to capture (each encoded with BOS where the family expects it)
     */
    public record Corpus(int stories, int storyTokens, List<String> corpus) {}

    /** Where training stands, for a progress bar: {@code done} of {@code total} units in {@code phase}. */
    public record Progress(String phase, int done, int total) {}

    /** One sequence of the corpus with its captured rows. */
    record Captured(int[] ids, float[] rows) {}

    /** The trained SAE, its quality and its dashboards (one JSON object per feature). */
    public record Trained(SaeTrainer.Result result, ArrayNode dashboards, ObjectNode report) {}

    public static Trained train(Model model, HookPoint hook, Corpus corpus, SaeTrainer.Settings settings, Consumer<Progress> progress) {
        Tokenizer tokenizer = model.tokenizer().orElseThrow(() -> new IllegalArgumentException("the model has no tokenizer; an SAE corpus needs text"));
        int dim = model.config().dim();
        // corpus: the model's own stories, then the given texts
        List<int[]> sequences = new ArrayList<>();
        Generator g = new Generator(model);
        int bos = tokenizer.bosId().orElse(0);
        for (int i = 0; i < corpus.stories(); i++) {
            SamplingParams p = SamplingParams.builder().temperature(1.0).seed(settings.seed() * 1_000_003L + i)
                    .maxTokens(corpus.storyTokens()).stopTokenIds(g.defaultStopIds()).build();
            int[] out = g.generate(new Generator.Request("sae-story-" + i, new int[] {bos}, p, null), e -> { }).tokenIds();
            int[] ids = new int[out.length + 1];
            ids[0] = bos;
            System.arraycopy(out, 0, ids, 1, out.length);
            sequences.add(ids);
            progress.accept(new Progress("generating", i + 1, corpus.stories()));
        }
        int context = model.config().contextLength();
        for (String text : corpus.corpus()) {
            int[] ids = tokenizer.encodePrompt(text);
            for (int from = 0; from < ids.length; from += context) sequences.add(Arrays.copyOfRange(ids, from, Math.min(ids.length, from + context)));
        }
        // capture: the residual at the hook for every position but BOS (its stream says nothing about the text)
        List<Captured> captured = new ArrayList<>();
        int rows = 0;
        for (int i = 0; i < sequences.size(); i++) {
            int[] ids = sequences.get(i);
            if (ids.length < 2) continue;
            float[] a = Captures.capture(model, ids, List.of(hook)).get(hook);
            captured.add(new Captured(ids, a));
            rows += ids.length - 1;
            progress.accept(new Progress("capturing", i + 1, sequences.size()));
        }
        if (rows == 0) throw new IllegalArgumentException("the corpus has no tokens to train on");
        float[] x = new float[rows * dim];
        int r = 0;
        for (Captured c : captured) {
            System.arraycopy(c.rows(), dim, x, r * dim, c.rows().length - dim);
            r += c.ids().length - 1;
        }
        SaeTrainer.Result result = SaeTrainer.train(x, rows, dim, settings, e -> progress.accept(new Progress("training", e, settings.epochs())));
        ArrayNode dashboards = dashboards(model, tokenizer, result, captured);
        ObjectNode report = new ObjectMapper().createObjectNode().put("hook", hook.name()).put("features", settings.features())
                .put("k", settings.k()).put("epochs", settings.epochs()).put("lr", settings.lr()).put("seed", settings.seed())
                .put("tokens", rows).put("sequences", captured.size())
                .put("variance_explained", result.varianceExplained()).put("dead_fraction", result.deadFraction());
        return new Trained(result, dashboards, report);
    }

    /** Writes the SAELens directory with the dashboards and the report beside the weights. */
    public static void write(Trained t, Path dir) throws IOException {
        SaeWriter.writeSaeLens(t.result().sae(), dir);
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        json.writeValue(dir.resolve(DASHBOARDS).toFile(), t.dashboards());
        json.writeValue(dir.resolve(REPORT).toFile(), t.report());
        Files.writeString(dir.resolve("README.md"), "TopK SAE trained by `steermesh sae-train`: SAELens layout (cfg.json, "
                + "sae_weights.safetensors); " + DASHBOARDS + " has per feature its top contexts and promoted tokens; "
                + REPORT + " the settings, variance explained and dead fraction.\n");
    }

    /**
     * Per feature: {@code feature}, {@code frequency} (fraction of tokens it fires on), {@code top_contexts}
     * ({@code activation}, {@code text} up to and including the token, {@code token}) and {@code promoted}
     * ({@code token}, {@code id}, {@code logit}), largest first.
     */
    static ArrayNode dashboards(Model model, Tokenizer tokenizer, SaeTrainer.Result result, List<Captured> captured) {
        Sae sae = result.sae();
        int n = sae.dSae(), dim = sae.dIn();
        // top contexts: per feature the TOP_CONTEXTS largest (activation, sequence, position)
        float[][] topAct = new float[n][TOP_CONTEXTS];
        int[][] topSeq = new int[n][TOP_CONTEXTS], topPos = new int[n][TOP_CONTEXTS];
        for (int s = 0; s < captured.size(); s++) {
            Captured c = captured.get(s);
            for (int p = 1; p < c.ids().length; p++) {
                float[] f = sae.encode(c.rows(), p * dim);
                for (int j = 0; j < n; j++) {
                    if (f[j] <= topAct[j][TOP_CONTEXTS - 1]) continue;
                    int at = TOP_CONTEXTS - 1;
                    while (at > 0 && f[j] > topAct[j][at - 1]) {
                        topAct[j][at] = topAct[j][at - 1];
                        topSeq[j][at] = topSeq[j][at - 1];
                        topPos[j][at] = topPos[j][at - 1];
                        at--;
                    }
                    topAct[j][at] = f[j];
                    topSeq[j][at] = s;
                    topPos[j][at] = p;
                }
            }
        }
        // promoted tokens: W_dec[j] scaled by the final norm's gain, through the unembedding
        int vocab = model.config().vocabSize();
        float[] unembed = new float[vocab * dim];   // (vocab, dim)
        model.weights().lmHead().copyTo(0, unembed, 0, unembed.length);
        float[] gain = model.weights().finalNorm();
        ObjectMapper json = new ObjectMapper();
        ArrayNode out = json.createArrayNode();
        for (int j = 0; j < n; j++) {
            ObjectNode d = out.addObject().put("feature", j)
                    .put("frequency", result.fireCounts()[j] / (double) Math.max(1, result.inputs()));
            ArrayNode contexts = d.putArray("top_contexts");
            for (int t = 0; t < TOP_CONTEXTS && topAct[j][t] > 0; t++) {
                int[] ids = captured.get(topSeq[j][t]).ids();
                int p = topPos[j][t];
                contexts.addObject().put("activation", topAct[j][t])
                        .put("text", tokenizer.decode(Arrays.copyOfRange(ids, Math.max(1, p - CONTEXT_BEFORE), p + 1)))
                        .put("token", tokenizer.decode(new int[] {ids[p]}));
            }
            float[] row = sae.decoderRow(j);
            for (int i = 0; i < dim; i++) row[i] *= gain[i];
            float[] logits = new float[vocab];
            for (int v = 0; v < vocab; v++) {
                float s = 0;
                for (int i = 0; i < dim; i++) s += row[i] * unembed[v * dim + i];
                logits[v] = s;
            }
            ArrayNode promoted = d.putArray("promoted");
            for (int v : topIndices(logits, TOP_TOKENS)) {
                promoted.addObject().put("token", tokenizer.decode(new int[] {v})).put("id", v).put("logit", logits[v]);
            }
        }
        return out;
    }

    static int[] topIndices(float[] v, int k) {
        Integer[] idx = new Integer[v.length];
        for (int i = 0; i < v.length; i++) idx[i] = i;
        Arrays.sort(idx, (a, b) -> v[a] != v[b] ? Float.compare(v[b], v[a]) : Integer.compare(a, b));
        int[] out = new int[Math.min(k, v.length)];
        for (int i = 0; i < out.length; i++) out[i] = idx[i];
        return out;
    }
}
