package io.steermesh.tokenizer;

import io.quarkus.runtime.Startup;
import io.smallrye.reactive.messaging.annotations.Blocking;
import io.smallrye.reactive.messaging.annotations.Broadcast;
import io.smallrye.reactive.messaging.annotations.Merge;
import io.steermesh.engine.model.ModelConfig;
import io.steermesh.engine.model.ModelLoader;
import io.steermesh.engine.tokenizer.Tokenizer;
import io.steermesh.engine.tokenizer.chat.ChatTemplate;
import io.steermesh.events.CompletionEvent;
import io.steermesh.events.ControlEvent;
import io.steermesh.events.GenerationCancelled;
import io.steermesh.events.GenerationRequested;
import io.steermesh.events.PromptTokenized;
import io.steermesh.events.TokenSampled;
import io.steermesh.events.Topics;
import io.steermesh.kv.resume.ResumeLog;
import io.steermesh.service.Keyed;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import io.steermesh.service.steering.SteeringRegistry;
import jakarta.inject.Inject;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * generation-requests → prompts (or a GenerationFailed on the reply topic), and tokens → text on the
 * reply topic. The logic is in {@link PromptStage} and {@link DetokenizeStage}; this bean only connects
 * them to channels.
 */
@ApplicationScoped
@Startup
public class TokenizerProcessor {
    private static final Logger LOG = Logger.getLogger(TokenizerProcessor.class);
    /** Tokens of a sequence between two looks at its client's lease. */
    static final int CHECK_LEASE_EVERY = 16;

    @Inject
    TokenizerConfig config;

    @Inject
    @Channel(Topics.PROMPTS)
    @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 4096)
    Emitter<PromptTokenized> prompts;

    @Inject
    @Channel(Topics.GENERATION_CONTROL)
    @Broadcast
    @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 1024)
    Emitter<ControlEvent> control;

    @Inject
    Replies replies;

    @Inject
    SteeringRegistry registry;

    @Inject
    TokenizerMetrics metrics;

    @Inject
    ResumeLog resume;

    private PromptStage promptStage;
    private DetokenizeStage detokenizeStage;
    private ResumeTrail trail;

    @PostConstruct
    void load() {
        Path model = Path.of(config.model());
        try {
            LOG.infof("tokenizer: reading the configuration and vocabulary of %s", model);
            ModelConfig mc = ModelLoader.readConfig(model);
            Path explicitTokenizer = config.tokenizer().map(Path::of).orElse(null);
            Tokenizer tok = ModelLoader.readTokenizer(model, explicitTokenizer);
            ChatTemplate template = ModelLoader.readChatTemplate(model, explicitTokenizer).orElse(null);
            String name = config.modelName().orElse(ModelLoader.defaultName(model));
            promptStage = new PromptStage(name, mc, tok, registry.resolver(name), template);
            detokenizeStage = new DetokenizeStage(tok);
            trail = new ResumeTrail(resume.log(), resume.grace(), mc.contextLength() + 1, CHECK_LEASE_EVERY);
            LOG.infof("tokenizer: serving model \"%s\" (vocabulary %d, context %d, %s chat template)", name, tok.vocabSize(),
                    mc.contextLength(), template != null ? "its own" : "the generic");
        } catch (IOException e) {
            throw new UncheckedIOException("tokenizer could not read " + model + ": " + e.getMessage(), e);
        }
    }

    @Incoming(Topics.GENERATION_REQUESTS)
    @Merge
    @Blocking
    public void onRequest(GenerationRequested request) {
        switch (promptStage.tokenize(request)) {
            case PromptStage.Tokenized t -> {
                metrics.request(true);
                prompts.send(Keyed.message(request.sequenceId(), t.prompt()));
            }
            case PromptStage.Failed f -> {
                metrics.request(false);
                LOG.debugf("tokenizer: rejected %s: %s", request.sequenceId(), f.failure().error().message());
                replies.failed(request.replyTo(), f.failure());
                trail.onFailure(f.failure());
            }
        }
    }

    @Incoming(Topics.TOKENS)
    @Blocking
    public void onToken(TokenSampled token) {
        DetokenizeStage.Output out = detokenizeStage.onToken(token);
        metrics.token();
        for (CompletionEvent e : out.events()) replies.send(token.sequenceId(), e, token.replyTo());
        if (out.stopStringHit()) {
            control.send(Keyed.message(token.sequenceId(), (ControlEvent) new GenerationCancelled(token.sequenceId(), "stop_string")));
        }
        if (trail.onToken(token.sequenceId(), token.index(), out.events())) {
            LOG.infof("tokenizer: the client of %s is gone for longer than %s; cancelling it", token.sequenceId(), resume.grace());
            control.send(Keyed.message(token.sequenceId(), (ControlEvent) new GenerationCancelled(token.sequenceId(), ResumeTrail.CLIENT_GONE)));
        }
    }
}
