package io.steermesh.tokenizer;

import io.steermesh.engine.model.ModelConfig;
import io.steermesh.engine.sampler.SamplingParams;
import io.steermesh.engine.tokenizer.Tokenizer;
import io.steermesh.engine.tokenizer.chat.ChatTemplate;
import io.steermesh.engine.tokenizer.chat.ChatTemplateException;
import io.steermesh.events.ChatMessage;
import io.steermesh.events.GenerationFailed;
import io.steermesh.events.GenerationRequested;
import io.steermesh.events.InvalidEventException;
import io.steermesh.events.PromptTokenized;
import io.steermesh.events.SamplingSpec;
import io.steermesh.events.SteeringPlanSpec;
import io.steermesh.service.EngineForms;
import io.steermesh.service.steering.SteeringResolver;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * Turns a {@link GenerationRequested} into a {@link PromptTokenized}, or into a {@link GenerationFailed}
 * that names the field at fault. Everything the rest of the loop needs is resolved here once: the
 * prompt ids (BOS added where the family expects it), the stop ids (the tokenizer's EOS, and BOS for
 * llama2.c-style models, when the request names none), {@code max_tokens} against the context, and a
 * steering plan checked against the model (hook in range, vector width = model width).
 */
public final class PromptStage {

    /** Either the tokenized prompt or the reason there is none. */
    public sealed interface Outcome permits Tokenized, Failed {}

    public record Tokenized(PromptTokenized prompt) implements Outcome {}

    public record Failed(GenerationFailed failure) implements Outcome {}

    private final String modelName;
    private final ModelConfig config;
    private final Tokenizer tokenizer;
    private final SteeringResolver resolver;
    private final ChatTemplate chatTemplate;  // the model's own; null: the generic role: content template

    /** Without a steering registry or a chat template of the model's own. */
    public PromptStage(String modelName, ModelConfig config, Tokenizer tokenizer) {
        this(modelName, config, tokenizer, null, null);
    }

    /**
     * @param resolver     looks up registry vectors and SAE decoder rows by name; null for none
     * @param chatTemplate the model's own chat template; null renders chat messages with {@link GenericChat}
     */
    public PromptStage(String modelName, ModelConfig config, Tokenizer tokenizer, SteeringResolver resolver, ChatTemplate chatTemplate) {
        this.modelName = modelName;
        this.config = config;
        this.tokenizer = tokenizer;
        this.resolver = resolver;
        this.chatTemplate = chatTemplate;
    }

    public String modelName() { return modelName; }

    /** Which template renders chat messages: "model" (the model's own Jinja template) or "generic". */
    public String chatTemplateKind() { return chatTemplate != null ? "model" : "generic"; }

    public Outcome tokenize(GenerationRequested r) {
        try {
            return new Tokenized(build(r));
        } catch (InvalidEventException e) {
            return new Failed(GenerationFailed.invalidRequest(r.sequenceId(), e));
        } catch (IllegalArgumentException e) {
            return new Failed(GenerationFailed.invalidRequest(r.sequenceId(), InvalidEventException.fromEngine(e)));
        }
    }

    private PromptTokenized build(GenerationRequested r) {
        if (r.model() != null && !r.model().equals(modelName)) {
            throw InvalidEventException.invalid("model", "must be \"" + modelName + "\", the model served here (got \"" + r.model() + "\")");
        }
        int ctx = config.contextLength();
        int[] ids = promptIds(r);
        if (ids.length >= ctx) {
            throw InvalidEventException.invalid(r.promptIds() != null ? "prompt_ids" : r.messages() != null ? "messages" : "prompt",
                    "is " + ids.length + " tokens; it must be shorter than the model context of " + ctx + " tokens");
        }
        SamplingSpec spec = r.sampling() == null ? SamplingSpec.DEFAULTS : r.sampling();
        SamplingParams p = EngineForms.params(spec);
        int room = ctx - ids.length;
        if (spec.maxTokens() != null && spec.maxTokens() > room) {
            throw InvalidEventException.invalid("max_tokens", "must be <= " + room + " (context " + ctx + " minus a prompt of "
                    + ids.length + " tokens; got " + spec.maxTokens() + ")");
        }
        SamplingParams.Builder b = p.toBuilder();
        if (spec.maxTokens() == null) b.maxTokens(Math.min(SamplingParams.DEFAULT_MAX_TOKENS, room));
        if (spec.stopTokenIds() == null) b.stopTokenIds(defaultStopIds());
        SamplingParams resolved = b.build();
        resolved.validate(config.vocabSize(), ctx);
        SteeringPlanSpec steering = r.steering() == null ? SteeringPlanSpec.NONE : r.steering();
        steering = checkSteering(steering);
        if (r.features() != null && (resolver == null || !resolver.knowsSae(r.features().sae()))) {
            throw InvalidEventException.invalid("features.sae", "\"" + r.features().sae() + "\" is not a loaded SAE (loaded: "
                    + (resolver == null || resolver.saeNames().isEmpty() ? "none; see steermesh.saes" : String.join(", ", resolver.saeNames())) + ")");
        }
        return new PromptTokenized(r.sequenceId(), modelName, ids, EngineForms.spec(resolved), r.stop(), steering,
                r.replyTo(), r.createdAt(), r.features(), r.routing(), r.lens());
    }

    private int[] promptIds(GenerationRequested r) {
        if (r.promptIds() != null) {
            for (int i = 0; i < r.promptIds().length; i++) {
                int id = r.promptIds()[i];
                if (id < 0 || id >= config.vocabSize()) {
                    throw InvalidEventException.invalid("prompt_ids[" + i + "]", "must be in [0, " + (config.vocabSize() - 1) + "] (got " + id + ")");
                }
            }
            return r.promptIds().clone();
        }
        if (r.prompt() == null && chatTemplate != null) return templatedIds(r.messages());
        String text = r.prompt() != null ? r.prompt() : GenericChat.render(r.messages());
        boolean addBos = r.addBos() == null || r.addBos();
        int[] ids = addBos ? tokenizer.encodePrompt(text) : tokenizer.encode(text);
        if (ids.length == 0) throw InvalidEventException.invalid(r.prompt() != null ? "prompt" : "messages", "must not be empty");
        return ids;
    }

    /**
     * Chat messages through the model's own template, tokenized as Hugging Face's apply_chat_template does: the
     * template writes BOS itself where the model wants one, special tokens in its text are parsed, while the
     * users' content stays plain text (a user typing {@code <|im_end|>} gets those characters, not the token).
     */
    private int[] templatedIds(List<ChatMessage> messages) {
        List<Map<String, Object>> turns = new ArrayList<>(messages.size());
        for (ChatMessage m : messages) turns.add(Map.of("role", m.role(), "content", m.content()));
        ChatTemplate.Rendered rendered;
        try {
            rendered = chatTemplate.render(turns, true);
        } catch (ChatTemplateException e) {
            throw InvalidEventException.invalid("messages", "the model's chat template refused them: " + e.getMessage());
        }
        int[] ids = tokenizer.encodeWithPlainSpans(rendered.text(), rendered.plainSpans());
        if (ids.length == 0) throw InvalidEventException.invalid("messages", "render to an empty prompt");
        return ids;
    }

    private int[] defaultStopIds() {
        IntStream ids = tokenizer.eosId().stream();
        if (tokenizer.addBosToPrompts()) ids = IntStream.concat(ids, tokenizer.bosId().stream());
        return ids.filter(id -> id < config.vocabSize()).distinct().toArray();
    }

    /** The plan with every name resolved, checked against the model. */
    private SteeringPlanSpec checkSteering(SteeringPlanSpec steering) {
        if (steering.isEmpty()) return steering;
        SteeringPlanSpec resolved = SteeringResolver.admit(resolver, steering);
        SteeringResolver.check(resolved, config);
        return resolved;
    }

    /** Chat messages as one prompt, for models that ship no chat template of their own. */
    static final class GenericChat {
        private GenericChat() {}

        static String render(List<ChatMessage> messages) {
            StringBuilder sb = new StringBuilder();
            for (ChatMessage m : messages) sb.append(m.role()).append(": ").append(m.content()).append('\n');
            return sb.append("assistant:").toString();
        }
    }

    @Override
    public String toString() {
        return "PromptStage[" + modelName + ", context " + config.contextLength() + ", stop ids " + Arrays.toString(defaultStopIds())
                + ", chat template " + chatTemplateKind() + "]";
    }
}
