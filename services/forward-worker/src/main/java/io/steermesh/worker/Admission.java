package io.steermesh.worker;

import io.steermesh.engine.model.ModelConfig;
import io.steermesh.events.PromptTokenized;
import io.steermesh.events.SteeringChanged;
import io.steermesh.service.steering.SteeringResolver;

/**
 * What the loop refuses before it holds a sequence: a prompt for another model, too long for the context
 * or outside the vocabulary, a steering plan the model cannot take, an SAE this worker does not load,
 * routing on a dense model. The message goes to the dead-letter queue with the record.
 */
record Admission(ModelConfig config, String modelName, CaptureCollector captures) {

    void check(PromptTokenized p) {
        if (!p.model().equals(modelName)) {
            throw new IllegalArgumentException("model \"" + p.model() + "\" is not served by this worker (it serves \"" + modelName + "\")");
        }
        int ctx = config.contextLength();
        if (p.promptIds().length >= ctx) {
            throw new IllegalArgumentException("prompt_ids has " + p.promptIds().length + " tokens; the context is " + ctx);
        }
        for (int id : p.promptIds()) {
            if (id < 0 || id >= config.vocabSize()) {
                throw new IllegalArgumentException("prompt_ids contains " + id + ", outside the vocabulary [0, " + (config.vocabSize() - 1) + "]");
            }
        }
        SteeringResolver.check(p.steering(), config);
        if (p.features() != null) captures.checkFeatures(p.features().sae());
        if (p.wantsRouting() && config.variant().experts() == 0) {
            throw new IllegalArgumentException("routing needs a mixture-of-experts model; \"" + modelName + "\" has no experts");
        }
    }

    void check(SteeringChanged s) {
        SteeringResolver.check(s.steering(), config);
    }
}
