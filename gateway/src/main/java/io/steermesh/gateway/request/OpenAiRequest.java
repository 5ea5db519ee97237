package io.steermesh.gateway.request;

import io.steermesh.events.GenerationRequested;

/**
 * A validated {@code POST /v1/completions} or {@code /v1/chat/completions} body.
 *
 * @param request the request to publish
 * @param chat    whether it came from {@code /v1/chat/completions} (decides the response format)
 * @param stream  answer with Server-Sent Events, one chunk per token
 * @param output  what to report with each token
 */
public record OpenAiRequest(GenerationRequested request, boolean chat, boolean stream, OutputOptions output) {}
