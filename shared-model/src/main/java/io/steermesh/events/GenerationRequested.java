package io.steermesh.events;

import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A client wants a completion. Topic {@code generation-requests}, gateway (or any integration) → tokenizer.
 *
 * @param sequenceId unique id of this generation; the key of every event that follows
 * @param model      model name; null means the default model
 * @param prompt     plain text prompt (exactly one of prompt, messages, prompt_ids)
 * @param messages   chat turns, rendered with the model's chat template
 * @param promptIds  token ids, used exactly as given (no BOS added); not copied, treat as read-only
 * @param addBos     when tokenizing {@code prompt} or {@code messages}, start with BOS for families that expect it; default true
 * @param sampling   sampling parameters; absent fields take the engine defaults
 * @param stop       up to 4 strings that end the completion (not included in the text)
 * @param steering   steering terms; may name registry vectors, the tokenizer resolves them
 * @param features   SAE feature readout attached to each token; null for none
 * @param routing    true: attach each token's expert routing (mixture-of-experts models); null or false for none
 * @param replyTo    topic for the {@link CompletionEvent}s; default {@code completions}
 * @param createdAt  when the client asked, epoch milliseconds
 * @param client     who asked (API key name, user); null when unknown
 * @param lens       logit lens attached to each token (per layer, the top tokens); null for none
 */
@WireJson
public record GenerationRequested(
        @JsonProperty(required = true) String sequenceId,
        String model,
        String prompt,
        List<ChatMessage> messages,
        int[] promptIds,
        Boolean addBos,
        SamplingSpec sampling,
        List<String> stop,
        SteeringPlanSpec steering,
        FeatureSpec features,
        String replyTo,
        @JsonProperty(required = true) long createdAt,
        String client,
        Boolean routing,
        LensSpec lens) implements SequenceEvent {

    /** OpenAI's limit on stop strings. */
    public static final int MAX_STOP = 4;

    public GenerationRequested {
        Check.id(sequenceId, "sequence_id");
        Check.optionalId(model, "model");
        List<String> given = new ArrayList<>();
        if (prompt != null) given.add("prompt");
        if (messages != null) given.add("messages");
        if (promptIds != null) given.add("prompt_ids");
        if (given.size() != 1) {
            throw InvalidEventException.rule("", "give exactly one of prompt, messages or prompt_ids (got "
                    + (given.isEmpty() ? "none" : String.join(" and ", given)) + ")");
        }
        if (messages != null) {
            messages = Check.list(messages, "messages");
            if (messages.isEmpty()) throw InvalidEventException.invalid("messages", "must not be empty");
        }
        if (promptIds != null) Check.tokenIds(promptIds, "prompt_ids", 1);
        if (addBos == null) addBos = Boolean.TRUE;
        if (sampling == null) sampling = SamplingSpec.DEFAULTS;
        stop = Check.stop(stop, "stop");
        if (steering == null) steering = SteeringPlanSpec.NONE;
        replyTo = replyTo == null ? Topics.COMPLETIONS : Check.topic(replyTo, "reply_to");
        Check.atLeast(createdAt, 0, "created_at");
        Check.optionalId(client, "client");
        if (Boolean.FALSE.equals(routing)) routing = null;   // one form for "none"
    }

    /** Without a logit lens. */
    public GenerationRequested(String sequenceId, String model, String prompt, List<ChatMessage> messages, int[] promptIds,
                               Boolean addBos, SamplingSpec sampling, List<String> stop, SteeringPlanSpec steering,
                               FeatureSpec features, String replyTo, long createdAt, String client, Boolean routing) {
        this(sequenceId, model, prompt, messages, promptIds, addBos, sampling, stop, steering, features, replyTo, createdAt, client,
                routing, null);
    }

    /** Without a routing readout. */
    public GenerationRequested(String sequenceId, String model, String prompt, List<ChatMessage> messages, int[] promptIds,
                               Boolean addBos, SamplingSpec sampling, List<String> stop, SteeringPlanSpec steering,
                               FeatureSpec features, String replyTo, long createdAt, String client) {
        this(sequenceId, model, prompt, messages, promptIds, addBos, sampling, stop, steering, features, replyTo, createdAt, client, null);
    }

    /** Whether each token should carry its expert routing. */
    public boolean wantsRouting() {
        return Boolean.TRUE.equals(routing);
    }

    public static Builder builder(String sequenceId) {
        return new Builder(sequenceId);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GenerationRequested g
                && sequenceId.equals(g.sequenceId) && Objects.equals(model, g.model) && Objects.equals(prompt, g.prompt)
                && Objects.equals(messages, g.messages) && Arrays.equals(promptIds, g.promptIds) && addBos.equals(g.addBos)
                && sampling.equals(g.sampling) && stop.equals(g.stop) && steering.equals(g.steering)
                && Objects.equals(features, g.features) && replyTo.equals(g.replyTo) && createdAt == g.createdAt
                && Objects.equals(client, g.client) && Objects.equals(routing, g.routing) && Objects.equals(lens, g.lens);
    }

    @Override
    public int hashCode() {
        return Objects.hash(sequenceId, model, prompt, messages, Arrays.hashCode(promptIds), addBos, sampling, stop, steering,
                features, replyTo, createdAt, client, routing, lens);
    }

    @Override
    public String toString() {
        return "GenerationRequested[" + sequenceId + ", model=" + model
                + (prompt != null ? ", prompt=" + prompt.length() + " chars" : "")
                + (messages != null ? ", messages=" + messages.size() : "")
                + (promptIds != null ? ", prompt_ids=" + promptIds.length : "")
                + ", sampling=" + sampling + ", steering=" + steering.specs().size() + ", reply_to=" + replyTo + "]";
    }

    /** A builder holding every field of this request, under another sequence id (a twin of the same request). */
    public Builder toBuilder(String newSequenceId) {
        Builder b = new Builder(newSequenceId);
        b.model = model;
        b.prompt = prompt;
        b.messages = messages;
        b.promptIds = promptIds;
        b.addBos = addBos;
        b.sampling = sampling;
        b.stop = stop;
        b.steering = steering;
        b.features = features;
        b.replyTo = replyTo;
        b.createdAt = createdAt;
        b.client = client;
        b.routing = routing;
        b.lens = lens;
        return b;
    }

    /** Builds a request; {@code created_at} defaults to now. */
    public static final class Builder {
        private final String sequenceId;
        private String model;
        private String prompt;
        private List<ChatMessage> messages;
        private int[] promptIds;
        private Boolean addBos;
        private SamplingSpec sampling;
        private List<String> stop;
        private SteeringPlanSpec steering;
        private FeatureSpec features;
        private String replyTo;
        private Long createdAt;
        private String client;
        private Boolean routing;
        private LensSpec lens;

        private Builder(String sequenceId) {
            this.sequenceId = sequenceId;
        }

        public Builder model(String v) { model = v; return this; }

        public Builder prompt(String v) { prompt = v; return this; }

        public Builder messages(List<ChatMessage> v) { messages = v; return this; }

        public Builder promptIds(int... v) { promptIds = v; return this; }

        public Builder addBos(boolean v) { addBos = v; return this; }

        public Builder sampling(SamplingSpec v) { sampling = v; return this; }

        public Builder stop(List<String> v) { stop = v; return this; }

        public Builder steering(SteeringPlanSpec v) { steering = v; return this; }

        public Builder features(FeatureSpec v) { features = v; return this; }

        public Builder replyTo(String v) { replyTo = v; return this; }

        public Builder createdAt(long v) { createdAt = v; return this; }

        public Builder client(String v) { client = v; return this; }

        public Builder routing(boolean v) { routing = v; return this; }

        public Builder lens(LensSpec v) { lens = v; return this; }

        public GenerationRequested build() {
            return new GenerationRequested(sequenceId, model, prompt, messages, promptIds, addBos, sampling, stop, steering,
                    features, replyTo, createdAt == null ? System.currentTimeMillis() : createdAt, client, routing, lens);
        }
    }
}
