package io.steermesh.engine.generate;

import io.steermesh.engine.model.Model;
import io.steermesh.engine.model.Sequence;
import io.steermesh.engine.steering.SteeringPlan;
import io.steermesh.engine.model.Step;
import io.steermesh.engine.model.TokenRouting;
import io.steermesh.engine.sampler.SampleResult;
import io.steermesh.engine.sampler.SampleResult.FinishReason;
import io.steermesh.engine.sampler.Sampler;
import io.steermesh.engine.sampler.SamplingParams;
import io.steermesh.engine.tokenizer.IncrementalDecoder;
import io.steermesh.engine.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.stream.IntStream;

/**
 * One completion in one process: prefill the prompt, then sample → decode → forward until a stop
 * token, {@code max_tokens} or the end of the context. The mesh runs the same steps as separate
 * services; because sampling is a pure function of (logits, params, seed, index), both produce the
 * same tokens.
 */
public final class Generator {

    /**
     * @param promptIds token ids fed as given (the caller adds BOS where the family expects it)
     * @param routing   report each position's expert routing (mixture-of-experts models; ignored by dense ones)
     */
    public record Request(String id, int[] promptIds, SamplingParams params, SteeringPlan steering, boolean routing) {
        public Request {
            if (promptIds.length == 0) throw new IllegalArgumentException("prompt must contain at least one token");
            if (steering == null) steering = SteeringPlan.NONE;
        }

        public Request(String id, int[] promptIds, SamplingParams params, SteeringPlan steering) {
            this(id, promptIds, params, steering, false);
        }
    }

    /**
     * One generated token. {@code text} holds only complete UTF-8 characters (a character split across
     * tokens arrives with the token that completes it); {@code logits} is the raw row it was sampled from.
     * {@code routing} (when the request asks for it, on a mixture-of-experts model; else null) is the expert
     * routing of the position whose forward step gave those logits: the last prompt token for index 0, the
     * previous generated token after that.
     */
    public record TokenEvent(int index, int id, String text, SampleResult sample, float[] logits, TokenRouting routing) {}

    /**
     * The stop token, if one ended the completion, is not part of it. {@code promptRouting}: the expert
     * routing of every prompt position when the request asked for routing on a mixture-of-experts model, else empty.
     */
    public record Result(FinishReason finishReason, int promptTokens, int completionTokens, int[] tokenIds, String text,
                         List<TokenRouting> promptRouting) {}

    @FunctionalInterface
    public interface Listener {
        void onToken(TokenEvent event);
    }

    private final Model model;
    private final Tokenizer tokenizer;
    private final Sampler sampler;

    public Generator(Model model, Tokenizer tokenizer, Sampler sampler) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.sampler = sampler;
    }

    public Generator(Model model) {
        this(model, model.tokenizer().orElse(null), Sampler.standard());
    }

    /**
     * Stop ids used when a request names none: the tokenizer's EOS, and BOS for families that start
     * prompts with it (llama2.c stops there). Ids beyond the model's vocabulary (a full tokenizer paired
     * with a small synthetic model) can never be sampled and are left out.
     */
    public int[] defaultStopIds() {
        if (tokenizer == null) return new int[0];
        IntStream ids = tokenizer.eosId().stream();
        if (tokenizer.addBosToPrompts()) ids = IntStream.concat(ids, tokenizer.bosId().stream());
        int vocab = model.config().vocabSize();
        return ids.filter(id -> id < vocab).toArray();
    }

    public Result generate(Request r, Listener listener) {
        return generate(r, listener, () -> false);
    }

    /** @param cancelled polled before every step; a true answer ends the completion with {@code cancelled} */
    public Result generate(Request r, Listener listener, BooleanSupplier cancelled) {
        int ctx = model.config().contextLength();
        SamplingParams params = r.params().validate(model.config().vocabSize(), ctx);
        r.steering().validate(model.config());
        int[] prompt = r.promptIds();
        if (prompt.length > ctx) {
            throw new IllegalArgumentException("prompt of " + prompt.length + " tokens is longer than the model context of " + ctx);
        }
        Sequence seq = model.newSequence(r.id(), prompt.length);
        seq.setSteering(r.steering());
        TokenRouting.Recorder routing = r.routing() && model.config().variant().experts() > 0
                ? new TokenRouting.Recorder(model.config().nLayers()) : null;
        seq.setRouting(routing);
        IncrementalDecoder decoder = tokenizer == null ? null : new IncrementalDecoder(tokenizer, prompt[prompt.length - 1]);
        StringBuilder text = new StringBuilder();
        int[] generated = new int[Math.min(params.maxTokens(), ctx - prompt.length + 1)];
        int count = 0;
        FinishReason reason = null;
        float[] logits = model.transformer().forward(List.of(new Step(seq, prompt, Step.Logits.LAST)))[0];
        List<TokenRouting> promptRouting = new ArrayList<>();
        if (routing != null) for (int p = 0; p < prompt.length; p++) promptRouting.add(routing.take(p));
        while (reason == null) {
            if (cancelled.getAsBoolean()) { reason = FinishReason.CANCELLED; break; }
            int index = count;
            SampleResult s = sampler.sample(logits, params, index, prompt, Arrays.copyOf(generated, count));
            reason = SampleResult.finishReasonFor(s.id(), index + 1, params, ctx - prompt.length - (index + 1));
            if (reason == FinishReason.STOP) break;
            generated[count++] = s.id();
            String piece = decoder == null ? "" : decoder.push(s.id());
            text.append(piece);
            TokenRouting produced = routing == null ? null
                    : index == 0 ? promptRouting.getLast() : routing.take(prompt.length + index - 1);
            listener.onToken(new TokenEvent(index, s.id(), piece, s, logits, produced));
            if (reason == null) logits = model.transformer().forward(List.of(Step.decode(seq, s.id())))[0];
        }
        if (decoder != null) text.append(decoder.flush());
        seq.setLength(0);
        return new Result(reason, prompt.length, count, Arrays.copyOf(generated, count), text.toString(), List.copyOf(promptRouting));
    }
}
