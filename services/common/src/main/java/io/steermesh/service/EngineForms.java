package io.steermesh.service;

import io.steermesh.engine.sampler.SampleResult;
import io.steermesh.engine.sampler.SamplingParams;
import io.steermesh.engine.sampler.TokenLogprob;
import io.steermesh.engine.steering.HookPoint;
import io.steermesh.engine.steering.Injection;
import io.steermesh.engine.steering.PositionSet;
import io.steermesh.engine.steering.SteeringPlan;
import io.steermesh.events.FinishReason;
import io.steermesh.events.InvalidEventException;
import io.steermesh.events.LogitsComputed;
import io.steermesh.events.Positions;
import io.steermesh.events.SamplingSpec;
import io.steermesh.events.SteeringPlanSpec;
import io.steermesh.events.SteeringSpec;
import io.steermesh.events.TokenSampled;
import io.steermesh.events.TopToken;

import java.util.ArrayList;
import java.util.List;

/**
 * The one place where the event records (shared-model: pure data, no engine types) meet the engine's types:
 * positions, hooks, steering plans, sampling parameters, sampled tokens. Engine range errors come back as
 * {@link InvalidEventException}s naming the field.
 */
public final class EngineForms {

    private EngineForms() {}

    public static PositionSet positions(Positions p) {
        return switch (p.kind()) {
            case "all" -> PositionSet.ALL;
            case "prompt" -> PositionSet.PROMPT;
            case "generated" -> PositionSet.GENERATED;
            default -> PositionSet.range(p.from(), p.to());
        };
    }

    public static Positions positions(PositionSet p) {
        return switch (p) {
            case PositionSet.All a -> Positions.ALL;
            case PositionSet.Prompt a -> Positions.PROMPT;
            case PositionSet.Generated a -> Positions.GENERATED;
            case PositionSet.Range r -> Positions.range(r.from(), r.to());
        };
    }

    /** The hook named {@code name} in a model with {@code layers} blocks. */
    public static HookPoint hook(String name, int layers) {
        try {
            return HookPoint.parse(name, layers);
        } catch (IllegalArgumentException e) {
            throw InvalidEventException.fromEngine(e);
        }
    }

    /** The engine's injection for a model with {@code layers} blocks of width {@code dim}; normalized (row by row) when asked. */
    public static Injection injection(SteeringSpec s, int layers, int dim) {
        if (!s.resolved()) throw new IllegalStateException("steering vector " + s.source() + " is not resolved");
        Injection injection = new Injection(hook(s.hook(), layers), s.values(), s.coefficient(), positions(s.positions()));
        if (!s.normalize()) return injection;
        try {
            // each row of an ActAdd (multi-row) vector gets unit length: every steered position moves by `coefficient`
            return s.values().length % dim == 0 ? injection.normalized(dim) : injection.normalized();
        } catch (IllegalArgumentException e) {
            throw InvalidEventException.fromEngine(e);
        }
    }

    /**
     * The engine's plan for a model with {@code layers} blocks (hooks checked against it) and width
     * {@code dim} (a normalized multi-row vector is normalized row by row).
     */
    public static SteeringPlan plan(SteeringPlanSpec spec, int layers, int dim) {
        if (spec.isEmpty()) return SteeringPlan.NONE;
        List<SteeringSpec> specs = spec.specs();
        List<Injection> injections = new ArrayList<>(specs.size());
        for (int i = 0; i < specs.size(); i++) {
            try {
                injections.add(injection(specs.get(i), layers, dim));
            } catch (InvalidEventException e) {
                throw e.within("[" + i + "]");
            }
        }
        return new SteeringPlan(injections);
    }

    /** The engine's parameters, absent fields at their defaults: the inverse of {@link #spec}. */
    public static SamplingParams params(SamplingSpec s) {
        SamplingParams d = SamplingParams.defaults();
        try {
            return new SamplingParams(or(s.temperature(), d.temperature()), or(s.topK(), d.topK()), or(s.topP(), d.topP()),
                    or(s.minP(), d.minP()), or(s.repetitionPenalty(), d.repetitionPenalty()),
                    or(s.presencePenalty(), d.presencePenalty()), or(s.frequencyPenalty(), d.frequencyPenalty()),
                    or(s.logitBias(), d.logitBias()), or(s.stopTokenIds(), d.stopTokenIds()), or(s.maxTokens(), d.maxTokens()),
                    or(s.seed(), d.seed()), or(s.topLogprobs(), d.topLogprobs()));
        } catch (IllegalArgumentException e) {
            throw InvalidEventException.fromEngine(e);
        }
    }

    /** {@code value}, or {@code otherwise} when the spec leaves the field out. */
    private static <T> T or(T value, T otherwise) {
        return value != null ? value : otherwise;
    }

    /** Every field filled in from {@code p}, so the spec means the same even if the defaults change later. */
    public static SamplingSpec spec(SamplingParams p) {
        return new SamplingSpec(p.temperature(), p.topK(), p.topP(), p.minP(), p.repetitionPenalty(), p.presencePenalty(),
                p.frequencyPenalty(), p.logitBias(), p.stopTokenIds(), p.maxTokens(), p.seed(), p.topLogprobs());
    }

    /** The engine's reason; {@code null} stays null (generation continues). Errors end as a GenerationFailed, not here. */
    public static FinishReason finishReason(SampleResult.FinishReason r) {
        if (r == null) return null;
        return switch (r) {
            case STOP -> FinishReason.STOP;
            case LENGTH -> FinishReason.LENGTH;
            case CANCELLED -> FinishReason.CANCELLED;
            case ERROR -> throw new IllegalArgumentException("a failed generation is a GenerationFailed event, not a finish reason");
        };
    }

    public static TopToken topToken(TokenLogprob t) {
        return new TopToken(t.id(), t.logit(), t.logprob());
    }

    public static List<TopToken> topTokens(List<TokenLogprob> ts) {
        List<TopToken> out = new ArrayList<>(ts.size());
        for (TokenLogprob t : ts) out.add(topToken(t));
        return List.copyOf(out);
    }

    /** The sampler's answer to {@code in}. */
    public static TokenSampled tokenSampled(LogitsComputed in, SampleResult sample, SampleResult.FinishReason finish) {
        return TokenSampled.answering(in, sample.id(), sample.logprob(), topTokens(sample.topRaw()),
                topTokens(sample.topProcessed()), finishReason(finish));
    }
}
