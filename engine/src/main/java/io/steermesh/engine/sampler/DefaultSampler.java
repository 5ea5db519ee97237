package io.steermesh.engine.sampler;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The standard sampling pipeline. Processing order (penalties before temperature as everywhere; the
 * warpers in the order HF transformers uses; see the notes on llama.cpp and vLLM below):
 *
 * <ol>
 *   <li>copy the raw logits (the caller's array is never modified); NaN or {@code +Infinity} is an
 *       error, {@code -Infinity} means "masked" and such a token can never be chosen;</li>
 *   <li>logit bias, added to the raw logits;</li>
 *   <li>repetition penalty (prompt + generated ids), then presence and frequency penalties (generated ids);</li>
 *   <li>temperature 0: argmax of the processed logits, ties to the lowest id, and stop here;</li>
 *   <li>temperature scaling;</li>
 *   <li>top-k;</li>
 *   <li>top-p over what top-k kept (renormalized);</li>
 *   <li>min-p (relative to the most likely token, so unaffected by renormalization);</li>
 *   <li>renormalize the kept tokens and draw by inverse CDF with {@code u = CounterRng.uniform(seed, index, 0)},
 *       walking the tokens sorted by probability descending, ties by id ascending (ranked by scaled
 *       logit, i.e. by exact probability, before any rounding of exp).</li>
 * </ol>
 *
 * llama.cpp's default chain applies temperature after its top-k/top-p/min-p samplers, and vLLM applies
 * min-p before top-k/top-p; distributions from those engines can therefore differ from this one when
 * temperature != 1 together with top-p or min-p, or when top-p and min-p are combined.
 *
 * <p>Ties: top-k keeps the lowest ids among equal logits at its boundary; top-p keeps the shortest
 * prefix of the sorted order that reaches the mass, so equal-probability tokens past it are dropped by id.
 *
 * <p>Cost per call is a few linear passes over the vocabulary; the full vocabulary is never sorted when
 * top-k is set, and otherwise only the buckets where a filter or the draw stops (see {@link SortedCandidates}).
 * Working arrays are reused per thread; they never influence results, and the instance is thread-safe.
 *
 * <p>Reproducibility: the chosen token is a function of the raw logits, the parameters, {@code index} and
 * the id lists only. Java float/double arithmetic is IEEE-exact on every platform, the weights use
 * {@link io.steermesh.engine.tensor.VectorMath#exp} (lane-wise IEEE operations only, so each element's
 * bits do not depend on the CPU or its vector width), logarithms use {@link StrictMath}, and the uniform
 * comes from {@link CounterRng}, so another process, machine or JVM build gives the same token for the
 * same inputs.
 */
public final class DefaultSampler implements Sampler {
    static final DefaultSampler INSTANCE = new DefaultSampler();

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    @Override
    public SampleResult sample(float[] logits, SamplingParams params, int index, int[] promptIds, int[] generatedIds) {
        Objects.requireNonNull(logits, "logits");
        Objects.requireNonNull(params, "params");
        Objects.requireNonNull(promptIds, "promptIds");
        Objects.requireNonNull(generatedIds, "generatedIds");
        if (index < 0) throw new IllegalArgumentException("index must be >= 0 (got " + index + ")");
        int vocab = logits.length;
        if (vocab == 0) throw new IllegalArgumentException("logits must not be empty");

        Scratch s = SCRATCH.get().forVocab(vocab);
        float[] processed = s.processed;
        copyRaw(logits, processed);
        List<TokenLogprob> topRaw = topRaw(logits, params.topLogprobs());

        applyLogitBias(processed, params.logitBias());
        applyRepetitionPenalty(processed, s.seen, params.repetitionPenalty(), promptIds, generatedIds);
        applyPresenceAndFrequency(processed, s.counts, params.presencePenalty(), params.frequencyPenalty(), generatedIds);
        float max = checkedMax(processed, logits);

        if (params.temperature() == 0) return greedy(processed, max, params.topLogprobs(), topRaw);
        return draw(processed, max, s, params, index, topRaw);
    }

    private static void copyRaw(float[] logits, float[] processed) {
        boolean anyFinite = false;
        for (int i = 0; i < logits.length; i++) {
            float x = logits[i];
            if (Float.isNaN(x) || x == Float.POSITIVE_INFINITY) {
                throw new IllegalArgumentException("logits[" + i + "] must be finite or -Infinity (masked) (got " + x + ")");
            }
            anyFinite |= x != Float.NEGATIVE_INFINITY;
            processed[i] = x;
        }
        if (!anyFinite) throw new IllegalArgumentException("logits must contain at least one finite value (all are -Infinity)");
    }

    private static List<TokenLogprob> topRaw(float[] logits, int n) {
        if (n == 0) return List.of();
        float max = Logits.max(logits);
        double logSum = Logits.logSumExpShifted(logits, max);
        List<TokenLogprob> out = new ArrayList<>(n);
        for (int id : Logits.topK(logits, n)) {
            if (logits[id] == Float.NEGATIVE_INFINITY) break;
            out.add(new TokenLogprob(id, logits[id], ((double) logits[id] - max) - logSum));
        }
        return out;
    }

    /**
     * Logit bias: lets the caller force or forbid tokens (e.g. ban a word, favour a label), applied to the raw
     * logits before anything else so later steps see the biased values.
     * Source: OpenAI API {@code logit_bias}.
     */
    private static void applyLogitBias(float[] processed, Map<Integer, Float> bias) {
        for (Map.Entry<Integer, Float> e : bias.entrySet()) {
            int id = e.getKey();
            if (id >= processed.length) {
                throw new IllegalArgumentException("logit_bias token id must be in [0, " + processed.length + ") (got " + id + ")");
            }
            processed[id] += e.getValue();
        }
    }

    /**
     * Repetition penalty: discourages (or with a penalty below 1, encourages) reusing any token already in the
     * prompt or the completion, once per distinct id; dividing positive and multiplying negative logits always
     * lowers the score for penalty > 1.
     * Source: CTRL, Keskar et al. 2019, with the sign fix used by HF transformers and vLLM.
     */
    private static void applyRepetitionPenalty(float[] processed, long[] seen, double penalty, int[] promptIds, int[] generatedIds) {
        if (penalty == 1.0) return;
        int vocab = processed.length;
        checkIds("promptIds", promptIds, vocab);
        checkIds("generatedIds", generatedIds, vocab);
        Arrays.fill(seen, 0L);
        penalizeOnce(processed, seen, penalty, promptIds);
        penalizeOnce(processed, seen, penalty, generatedIds);
    }

    private static void penalizeOnce(float[] processed, long[] seen, double penalty, int[] ids) {
        for (int id : ids) {
            long bit = 1L << id;
            if ((seen[id >>> 6] & bit) != 0) continue;
            seen[id >>> 6] |= bit;
            float x = processed[id];
            processed[id] = (float) (x > 0 ? x / penalty : x * penalty);
        }
    }

    /**
     * Presence and frequency penalties: reduce verbatim repetition in the completion itself;
     * {@code logit -= presence * (count > 0) + frequency * count}, counting generated tokens only.
     * Source: OpenAI API {@code presence_penalty} / {@code frequency_penalty}.
     */
    private static void applyPresenceAndFrequency(float[] processed, int[] counts, double presence, double frequency, int[] generatedIds) {
        if (presence == 0 && frequency == 0) return;
        checkIds("generatedIds", generatedIds, processed.length);
        for (int id : generatedIds) counts[id] = 0;
        for (int id : generatedIds) counts[id]++;
        for (int id : generatedIds) {
            int count = counts[id];
            if (count == 0) continue;
            processed[id] = (float) (processed[id] - (presence + frequency * count));
            counts[id] = 0;
        }
    }

    private static void checkIds(String name, int[] ids, int vocab) {
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= vocab) {
                throw new IllegalArgumentException(name + "[" + i + "] must be in [0, " + vocab + ") (got " + ids[i] + ")");
            }
        }
    }

    private static float checkedMax(float[] processed, float[] raw) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < processed.length; i++) {
            float x = processed[i];
            if (!(x < Float.POSITIVE_INFINITY)) {
                throw new IllegalArgumentException("processed logit of token " + i + " is " + x + " (raw " + raw[i]
                        + ") after logit_bias and penalties; use a repetition_penalty closer to 1");
            }
            if (x > max) max = x;
        }
        return max;
    }

    /**
     * Greedy decoding (temperature 0): the single most likely token, ties to the lowest id so it is
     * reproducible. Top-k/top-p/min-p cannot change the argmax and are not applied; reported
     * log-probabilities are those of softmax(processed logits) at temperature 1.
     */
    private static SampleResult greedy(float[] processed, float max, int topLogprobs, List<TokenLogprob> topRaw) {
        int best = Logits.argmax(processed);
        double logSum = Logits.logSumExpShifted(processed, max);
        List<TokenLogprob> top = new ArrayList<>(topLogprobs);
        if (topLogprobs > 0) {
            for (int id : Logits.topK(processed, topLogprobs)) {
                if (processed[id] == Float.NEGATIVE_INFINITY) break;
                top.add(new TokenLogprob(id, processed[id], ((double) processed[id] - max) - logSum));
            }
        }
        return new SampleResult(best, ((double) processed[best] - max) - logSum, topRaw, top);
    }

    private static SampleResult draw(float[] processed, float max, Scratch s, SamplingParams p, int index, List<TokenLogprob> topRaw) {
        double temperature = p.temperature();

        // Temperature: sharpens (< 1) or flattens (> 1) the distribution, softmax(logits / T); applied before the
        // filters so that they act on the distribution actually sampled from.
        // Source: Boltzmann/softmax temperature, Ackley, Hinton & Sejnowski 1985.
        float[] z = s.scaled;
        for (int i = 0; i < processed.length; i++) z[i] = (float) (((double) processed[i] - max) / temperature);
        int finite = 0;
        for (float zi : z) if (zi != Float.NEGATIVE_INFINITY) finite++;

        // Top-k: cuts the long tail of unlikely tokens that together carry a lot of mass, keeping a fixed number.
        // Source: Fan, Lewis & Dauphin 2018, "Hierarchical Neural Story Generation".
        SortedCandidates candidates = s.candidates;
        int k = p.topK();
        double candidateMass = k > 0 && k < finite ? candidates.selectTopK(z, k) : candidates.bucketAll(z);
        int kept = candidates.size();
        double keptMass = candidateMass;

        // Top-p (nucleus): keeps the smallest set of most likely tokens whose mass reaches p, adapting the
        // number kept to how peaked the distribution is.
        // Source: Holtzman et al. 2019, "The Curious Case of Neural Text Degeneration".
        if (p.topP() < 1) {
            int last = candidates.crossing(p.topP() * candidateMass, true, kept);
            if (last >= 0) {
                kept = last + 1;
                keptMass = candidates.lastCumulative();
            }
        }

        // Min-p: drops tokens less likely than min_p times the most likely one, a cut that scales with the
        // model's confidence. The best token has weight exp(0) = 1, so the threshold on weights is min_p itself.
        // Source: Nguyen et al. 2024, "Turning Up the Heat: Min-p Sampling for Creative and Coherent LLM Outputs".
        if (p.minP() > 0) {
            int atLeast = candidates.countAtLeast(p.minP(), kept);
            if (atLeast < kept) {
                kept = atLeast;
                keptMass = candidates.massBefore(kept);
            }
        }

        // Draw: inverse CDF over the renormalized kept tokens in rank order, with a counter-based uniform so the
        // token depends only on (seed, index) and the inputs.
        double target = CounterRng.uniform(p.seed(), index, CounterRng.STREAM_TOKEN) * keptMass;
        int chosen = candidates.crossing(target, false, kept);
        if (chosen < 0) chosen = candidates.lastPositive(kept);

        double logMass = StrictMath.log(keptMass);
        int id = candidates.id(chosen);
        int n = Math.min(p.topLogprobs(), kept);
        List<TokenLogprob> top = new ArrayList<>(n);
        for (int j = 0; j < n; j++) {
            int alt = candidates.id(j);
            top.add(new TokenLogprob(alt, (float) (processed[alt] / temperature), z[alt] - logMass));
        }
        return new SampleResult(id, z[id] - logMass, topRaw, top);
    }

    /** Per-thread working arrays, sized to the vocabulary of the last call. */
    private static final class Scratch {
        float[] processed = new float[0];
        float[] scaled = new float[0];
        long[] seen = new long[0];
        int[] counts = new int[0];
        final SortedCandidates candidates = new SortedCandidates();

        Scratch forVocab(int vocab) {
            if (processed.length != vocab) {
                processed = new float[vocab];
                scaled = new float[vocab];
                seen = new long[(vocab + 63) >>> 6];
                counts = new int[vocab];
            }
            return this;
        }
    }
}
