package io.steermesh.loadtest;

import io.gatling.http.action.sse.SseInboundMessage;
import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Session;
import io.gatling.javaapi.core.Simulation;
import io.gatling.javaapi.http.HttpProtocolBuilder;

import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.gatling.javaapi.core.CoreDsl.*;
import static io.gatling.javaapi.http.HttpDsl.*;

/**
 * The OpenAI-compatible {@code POST /v1/completions} with {@code "stream": true} (Server-Sent Events): each virtual
 * user sends one request and reads the stream until {@code data: [DONE]}. A status other than 200, an
 * {@code data: {"error":…}} chunk or a stream that ends before {@code [DONE]} fails it.
 *
 * <p>Requests in the report:
 * <ul>
 *   <li>{@code first token}: the POST until the response headers. The gateway sends the status line only with the
 *       first completion event (gateway/README.md), so this is the time to first token;</li>
 *   <li>{@code rest of stream}: from then until {@code [DONE]};</li>
 *   <li>group {@code completion}: the sum of the two (Gatling's cumulated response time), i.e. the full generation;</li>
 *   <li>{@code close}: closing the (by then finished) stream.</li>
 * </ul>
 * A stream also fails when its token chunks do not number the final chunk's {@code usage.completion_tokens}
 * (that shows in the group's failures, not in the requests').
 * Closed workload like {@link StreamSimulation}; settings: {@link LoadSettings}.
 */
public class CompletionsSseSimulation extends Simulation {

    private static final LoadSettings S = new LoadSettings();
    private static final RunTotals TOTALS = new RunTotals();

    private final HttpProtocolBuilder protocol = http.baseUrl(S.baseUrl)
            // room for every chunk of one stream (they are counted after [DONE], see countChunks)
            .sseUnmatchedInboundMessageBufferSize(S.maxTokens + 16);

    private static Session prepare(Session session) {
        String body = String.format(Locale.ROOT,
                "{\"prompt\":%s,\"max_tokens\":%d,\"temperature\":%s,\"seed\":%d,\"stream\":true}",
                LoadSettings.json(S.prompt), S.maxTokens, S.temperature, session.userId());
        TOTALS.sent();
        return session.set("body", body);
    }

    private static final Pattern COMPLETION_TOKENS = Pattern.compile("\"completion_tokens\":(\\d+)");

    /**
     * The chunks before {@code [DONE]} (Gatling buffers the events no check matched): one per token, then the final
     * chunk with {@code finish_reason} and {@code usage}. The token chunks must number {@code completion_tokens}.
     */
    private static Session countChunks(List<SseInboundMessage> events, Session session) {
        int chunks = 0;
        Integer usage = null;
        for (SseInboundMessage e : events) {
            Matcher m = COMPLETION_TOKENS.matcher(e.message());
            if (m.find()) usage = Integer.parseInt(m.group(1));
            else chunks++;
        }
        if (usage == null) {
            System.err.println("steermesh: user " + session.userId() + ": the stream had no usage chunk before [DONE]");
            return session.markAsFailed();
        }
        if (usage != chunks) {
            System.err.println("steermesh: user " + session.userId() + ": " + chunks + " token chunks but usage.completion_tokens=" + usage);
            return session.markAsFailed();
        }
        TOTALS.finished(usage);
        return session;
    }

    private final ScenarioBuilder scenario = scenario("SSE /v1/completions")
            .exec(CompletionsSseSimulation::prepare)
            .group("completion").on(
                    exec(sse("first token").post("/v1/completions")
                            .header("content-type", "application/json")
                            .body(StringBody("#{body}"))
                            .await(S.timeoutSeconds).on(
                                    // Gatling shows each event as {"data":…}; an error chunk fails the check
                                    sse.checkMessage("rest of stream")
                                            .matching(regex("\"data\":\\[DONE\\]|\"error\":\\{").exists())
                                            .check(regex("\"data\":\\[DONE\\]").exists())))
                    .exec(sse.processUnmatchedMessages(CompletionsSseSimulation::countChunks)))
            .exec(sse("close").close());

    {
        System.out.println("steermesh CompletionsSseSimulation: " + S.describe());
        setUp(scenario.injectClosed(S.injection()).protocols(protocol))
                .assertions(
                        global().failedRequests().count().is(0L),
                        // a group fails also when its chunks and usage disagree (countChunks)
                        details("completion").failedRequests().count().is(0L),
                        details("completion").responseTime().percentile(95.0).lt(S.p95Ms),
                        details("completion", "first token").responseTime().percentile(95.0).lt(S.ttftP95Ms));
    }

    @Override
    public void after() {
        System.out.println(TOTALS.report("SSE /v1/completions"));
    }
}
