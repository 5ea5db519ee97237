package io.steermesh.events;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** One fully populated instance of every event, built the way the services build them. */
final class Fixtures {

    static final String SEQ = "seq-7f3a";
    static final float[] VECTOR = {0.25f, -1.5f, 3.0f, 0.0f};

    private Fixtures() {}

    static SamplingSpec sampling() {
        Map<Integer, Float> bias = new LinkedHashMap<>();
        bias.put(50256, -100f);
        bias.put(13, 2.5f);
        return new SamplingSpec(0.7, 40, 0.95, 0.05, 1.1, 0.5, -0.25, bias, new int[] {50256}, 64, 42L, 2);
    }

    static SteeringPlanSpec resolvedPlan() {
        return SteeringPlanSpec.of(
                new SteeringSpec("blocks.6.hook_resid_pre", 4.0f, Positions.ALL, true, "love-hate", VECTOR, null, null),
                new SteeringSpec("blocks.8.hook_resid_post", -2.0f, Positions.range(0, 3), false, null, new float[] {1f, 0f, 0f, 0f}, null, null));
    }

    static GenerationRequested request() {
        return GenerationRequested.builder(SEQ).model("gpt2").prompt("I think dogs are").sampling(sampling())
                .stop(List.of("\n\n")).steering(SteeringPlanSpec.of(
                        SteeringSpec.ofVector("blocks.6.hook_resid_pre", 4.0f, "love-hate"),
                        new SteeringSpec("blocks.8.hook_resid_post", -2.0f, Positions.range(0, 3), false, null, new float[] {1f, 0f, 0f, 0f}, null, null)))
                .replyTo("completions").createdAt(1_760_000_000_000L).client("test").build();
    }

    static PromptTokenized prompt() {
        return PromptTokenized.of(request(), "gpt2", new int[] {40, 892, 6844, 389}, sampling(), resolvedPlan());
    }

    static LogitsComputed logits() {
        return new LogitsComputed(SEQ, "gpt2", 2, new float[] {1.5f, -0.0f, Float.MIN_VALUE, -3.25e-41f, 12.0f, -7.5f},
                new int[] {40, 892, 6844, 389}, new int[] {845, 13}, 1024, sampling(), List.of("\n\n"), "completions",
                resolvedPlan().identity(), "worker-1", 1_760_000_000_123L);
    }

    static TokenSampled token() {
        return TokenSampled.answering(logits(), 4, -0.105, List.of(new TopToken(4, 12.0f, -0.01), new TopToken(0, 1.5f, -10.5)),
                List.of(new TopToken(4, 17.1f, -0.105), new TopToken(0, 2.1f, -2.3)), null);
    }

    static TokenSampled lastToken() {
        return TokenSampled.answering(logits(), 4, -0.105, List.of(), List.of(), FinishReason.LENGTH);
    }

    static TextDelta delta() {
        return TextDelta.of(token(), " cute");
    }

    static GenerationFinished finished() {
        return new GenerationFinished(SEQ, FinishReason.LENGTH, GenerationFinished.Usage.of(4, 3), 2);
    }

    static GenerationFailed failed() {
        return GenerationFailed.of(SEQ, GenerationFailed.INVALID_REQUEST, "sampling.top_p", "sampling.top_p must be in (0, 1] (got 1.5)");
    }

    static GenerationCancelled cancelled() {
        return new GenerationCancelled(SEQ, GenerationCancelled.CLIENT);
    }

    static SteeringChanged steeringChanged() {
        return new SteeringChanged(SEQ, 5, SteeringPlanSpec.of(SteeringSpec.ofVector("blocks.6.hook_resid_pre", 8.0f, "love-hate")));
    }

    static SteeringVectorPublished vector() {
        return new SteeringVectorPublished("love-hate", "gpt2", "blocks.6.hook_resid_pre", VECTOR, "contrastive",
                "\"Love\" minus \"Hate\" (ActAdd)", 1_760_000_000_000L, 3, 1);
    }

    static ActivationsRequested activationsRequested() {
        return new ActivationsRequested("cap-1", "gpt2", new int[] {18565}, List.of("blocks.6.hook_resid_pre", "blocks.8.hook_resid_post"),
                Positions.ALL, "mean", SteeringPlanSpec.NONE, null, 1_760_000_000_000L);
    }

    static ActivationsCaptured activationsCaptured() {
        return new ActivationsCaptured("cap-1", "gpt2", "blocks.8.hook_resid_post", 1, 2, "none", 2, 3,
                new float[] {1f, 2f, 3f, -4f, -5f, -6f}, "worker-1", 1_760_000_000_456L);
    }

    /** A mixture-of-experts request that asks for each token's expert routing, and its events down to the text. */
    static List<Event> routed() {
        GenerationRequested request = GenerationRequested.builder("seq-moe").model("moe-tiny").promptIds(1, 54, 83).routing(true)
                .createdAt(1_760_000_000_000L).build();
        PromptTokenized prompt = PromptTokenized.of(request, "moe-tiny", new int[] {1, 54, 83}, SamplingSpec.DEFAULTS, SteeringPlanSpec.NONE);
        LogitsComputed logits = new LogitsComputed("seq-moe", "moe-tiny", 0, new float[] {0.5f, 2f, -1f}, new int[] {1, 54, 83},
                new int[0], 256, SamplingSpec.DEFAULTS, List.of(), "completions", "", "worker-1", 1_760_000_000_123L, null,
                List.of(new ExpertRoute(0, new int[] {3, 1}, new float[] {0.625f, 0.375f}),
                        new ExpertRoute(1, new int[] {0, 2}, new float[] {0.5f, 0.5f})));
        TokenSampled token = TokenSampled.answering(logits, 1, -0.3, List.of(), List.of(), null);
        return List.of(request, prompt, logits, token, TextDelta.of(token, "x"));
    }

    /** A request that asks for the logit lens, and its events down to the text. */
    static List<Event> lensed() {
        GenerationRequested request = GenerationRequested.builder("seq-lens").model("stories260K").promptIds(1, 54, 83)
                .lens(new LensSpec(2)).createdAt(1_760_000_000_000L).build();
        PromptTokenized prompt = PromptTokenized.of(request, "stories260K", new int[] {1, 54, 83}, SamplingSpec.DEFAULTS, SteeringPlanSpec.NONE);
        LogitsComputed logits = new LogitsComputed("seq-lens", "stories260K", 0, new float[] {0.5f, 2f, -1f}, new int[] {1, 54, 83},
                new int[0], 256, SamplingSpec.DEFAULTS, List.of(), "completions", "", "worker-1", 1_760_000_000_123L, null, null,
                List.of(new LensLayer(0, List.of(new TopToken(2, 1.5f, -0.7), new TopToken(1, 0.5f, -1.2))),
                        new LensLayer(1, List.of(new TopToken(1, 2f, -0.2), new TopToken(0, 0.5f, -1.7)))));
        TokenSampled token = TokenSampled.answering(logits, 1, -0.3, List.of(), List.of(), null);
        return List.of(request, prompt, logits, token, TextDelta.of(token, "x"));
    }

    /** Every event type, at least once. */
    static List<Event> all() {
        return List.of(request(), GenerationRequested.builder("seq-chat").messages(List.of(new ChatMessage("system", "Be brief."),
                        new ChatMessage("user", "Hi"))).createdAt(1L).build(),
                GenerationRequested.builder("seq-ids").promptIds(50256, 40).addBos(false).createdAt(1L).build(),
                prompt(), logits(), token(), lastToken(), delta(), finished(), failed(), cancelled(), steeringChanged(),
                vector(), activationsRequested(), activationsCaptured(), routed().get(0), routed().get(1), routed().get(2),
                routed().get(3), routed().get(4), lensed().get(0), lensed().get(1), lensed().get(2), lensed().get(3), lensed().get(4));
    }

}
