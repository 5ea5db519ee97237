package io.steermesh.engine.sampler;

/**
 * One alternative token with its score, as shown to users next to a sampled token.
 *
 * <p>In {@link SampleResult#topRaw()} {@code logit} is the model's raw logit and {@code logprob} its
 * log-softmax over the raw logits. In {@link SampleResult#topProcessed()} {@code logit} is the processed
 * logit (bias and penalties applied, divided by the temperature; greedy uses temperature 1) and
 * {@code logprob} its log-probability under the distribution that was actually sampled from.
 */
public record TokenLogprob(int id, float logit, double logprob) {}
