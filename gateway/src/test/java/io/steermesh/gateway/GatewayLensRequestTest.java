package io.steermesh.gateway;

import io.steermesh.gateway.request.ClientFrame;
import io.steermesh.gateway.request.GenerationRequestParser;
import io.steermesh.gateway.request.OpenAiRequest;
import io.steermesh.gateway.request.RequestException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** {@code "lens": {"top": k}} on a generation: accepted for k in [1, 20], refused naming {@code lens.top} otherwise. */
class GatewayLensRequestTest {

    private final GenerationRequestParser parser = new GenerationRequestParser("tiny", 256, "completions.gw-1");

    private RequestException refused(String lens) {
        return assertThrows(RequestException.class,
                () -> parser.parseFrame("{\"type\":\"generate\",\"prompt\":\"hi\",\"lens\":" + lens + "}", "gen-1"));
    }

    @Test
    void lensTopIsCarriedOnTheRequest() {
        ClientFrame.Generate g = assertInstanceOf(ClientFrame.Generate.class,
                parser.parseFrame("{\"type\":\"generate\",\"prompt\":\"hi\",\"lens\":{\"top\":5}}", "gen-1"));
        assertEquals(5, g.request().lens().top());
        OpenAiRequest c = parser.parseCompletion("{\"prompt\":\"hi\",\"lens\":{\"top\":20}}", "gen-2");
        assertEquals(20, c.request().lens().top());
        ClientFrame.Generate none = assertInstanceOf(ClientFrame.Generate.class,
                parser.parseFrame("{\"type\":\"generate\",\"prompt\":\"hi\",\"lens\":null}", "gen-3"));
        assertNull(none.request().lens());
    }

    @Test
    void lensTopOutsideOneToTwentyIsRefusedNamingTheField() {
        for (String bad : new String[] {"{\"top\":0}", "{\"top\":21}", "{}", "{\"top\":2.5}"}) {
            RequestException e = refused(bad);
            assertEquals("lens.top", e.field(), bad + ": " + e.getMessage());
        }
        assertEquals("lens.top must be in [1, 20] (got 21)", refused("{\"top\":21}").getMessage());
        assertEquals("lens", refused("5").field());
    }
}
