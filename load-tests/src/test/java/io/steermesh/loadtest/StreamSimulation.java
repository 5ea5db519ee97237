package io.steermesh.loadtest;

import io.gatling.javaapi.core.ChainBuilder;
import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Session;
import io.gatling.javaapi.core.Simulation;
import io.gatling.javaapi.http.HttpProtocolBuilder;

import java.util.Locale;

import static io.gatling.javaapi.core.CoreDsl.*;
import static io.gatling.javaapi.http.HttpDsl.*;

/**
 * The gateway's WebSocket {@code /v1/stream} (gateway/README.md): each virtual user opens one connection and runs
 * {@code generationsPerConnection} generations on it one after the other. A generation sends a {@code generate}
 * frame and waits for its {@code token} frames until {@code done}; an {@code error} frame, a frame of another id,
 * a first token whose index is not 0 or a {@code done} without usage fails it.
 *
 * <p>Requests in the report, all timed from the moment the {@code generate} frame was sent:
 * <ul>
 *   <li>{@code first token}: time to first token;</li>
 *   <li>{@code completion}: until the {@code done} frame (the full generation);</li>
 *   <li>{@code connect} / {@code close}: the WebSocket handshake and close.</li>
 * </ul>
 * Closed workload: {@code users} concurrent users (ramped over {@code rampSeconds}), for {@code durationSeconds};
 * a user that finishes is replaced. Settings: {@link LoadSettings}.
 */
public class StreamSimulation extends Simulation {

    private static final LoadSettings S = new LoadSettings();
    private static final RunTotals TOTALS = new RunTotals();

    private final HttpProtocolBuilder protocol = http.baseUrl(S.baseUrl).wsBaseUrl(S.wsBaseUrl());

    private static Session prepare(Session session) {
        int n = session.getInt("n");
        String id = "u" + session.userId() + "-g" + n;
        String frame = String.format(Locale.ROOT,
                "{\"type\":\"generate\",\"id\":\"%s\",\"prompt\":%s,\"max_tokens\":%d,\"temperature\":%s,\"seed\":%d}",
                id, LoadSettings.json(S.prompt), S.maxTokens, S.temperature, session.userId() * 1000 + n);
        TOTALS.sent();
        return session.set("genId", id).set("frame", frame);
    }

    private final ChainBuilder generation = exec(StreamSimulation::prepare)
            .exec(ws("generate").sendText("#{frame}")
                    .await(S.timeoutSeconds).on(
                            // the first frame about this generation must be its token 0
                            ws.checkTextMessage("first token")
                                    .matching(jsonPath("$.type").in("token", "done", "error"))
                                    .check(jsonPath("$.type").is("token"),
                                            jsonPath("$.id").isEL("#{genId}"),
                                            jsonPath("$.index").ofInt().is(0)),
                            // then its done frame (token frames in between do not match); an error frame fails it
                            ws.checkTextMessage("completion")
                                    .matching(jsonPath("$.type").in("done", "error"))
                                    .check(jsonPath("$.type").is("done"),
                                            jsonPath("$.id").isEL("#{genId}"),
                                            jsonPath("$.finish_reason").in("length", "stop"),
                                            jsonPath("$.usage.completion_tokens").ofInt().saveAs("completionTokens"))))
            .exec(session -> {
                if (session.contains("completionTokens")) TOTALS.finished(session.getInt("completionTokens"));
                return session.remove("completionTokens");
            })
            // frames of a failed generation could still arrive and confuse the next one: end this user instead
            .exitHereIfFailed();

    private final ScenarioBuilder scenario = scenario("WebSocket /v1/stream")
            .exec(ws("connect").connect("/v1/stream"))
            .exitHereIfFailed()
            .repeat(S.generationsPerConnection, "n").on(generation)
            .exec(ws("close").close());

    {
        System.out.println("steermesh StreamSimulation: " + S.describe());
        setUp(scenario.injectClosed(S.injection()).protocols(protocol))
                .assertions(
                        global().failedRequests().count().is(0L),
                        details("completion").responseTime().percentile(95.0).lt(S.p95Ms),
                        details("first token").responseTime().percentile(95.0).lt(S.ttftP95Ms));
    }

    @Override
    public void after() {
        System.out.println(TOTALS.report("WebSocket /v1/stream"));
    }
}
