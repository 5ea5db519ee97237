package io.steermesh.gateway;

import io.steermesh.gateway.request.GenerationRequestParser;
import io.steermesh.gateway.request.RequestException;

import static org.junit.jupiter.api.Assertions.assertThrows;

/** The request parser the parser tests share: model "tiny", a 256-token context, replies on completions.gw-1. */
final class TinyParser {

    private TinyParser() {
    }

    static GenerationRequestParser parser() {
        return new GenerationRequestParser("tiny", 256, "completions.gw-1");
    }

    /** The refusal {@code frame} must meet when it arrives on a socket as sequence gen-1. */
    static RequestException refused(GenerationRequestParser parser, String frame) {
        return assertThrows(RequestException.class, () -> parser.parseFrame(frame, "gen-1"));
    }
}
