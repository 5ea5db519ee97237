package io.steermesh.gateway;

import io.steermesh.gateway.routing.ClientLimiter;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ClientLimiterTest {

    @Test
    void aClientPastItsSlotsQueuesThenIsRefusedWhileOthersGoOn() {
        ClientLimiter limiter = new ClientLimiter(2, 1, Runnable::run);
        List<ClientLimiter.Slot> started = new ArrayList<>();
        assertEquals(ClientLimiter.Admission.STARTED, limiter.enter("a", started::add));
        assertEquals(ClientLimiter.Admission.STARTED, limiter.enter("a", started::add));
        assertEquals(ClientLimiter.Admission.QUEUED, limiter.enter("a", started::add));
        assertEquals(ClientLimiter.Admission.REJECTED, limiter.enter("a", started::add));
        assertEquals(ClientLimiter.Admission.STARTED, limiter.enter("b", started::add), "another client has its own slots");
        assertEquals(3, started.size());
        assertEquals(2, limiter.active("a"));
        assertEquals(1, limiter.queued("a"));
    }

    @Test
    void anEndedGenerationHandsItsSlotToTheNextQueuedOneOnce() {
        ClientLimiter limiter = new ClientLimiter(1, 2, Runnable::run);
        List<ClientLimiter.Slot> started = new ArrayList<>();
        limiter.enter("a", started::add);
        limiter.enter("a", started::add);
        limiter.enter("a", started::add);
        assertEquals(1, started.size());
        started.getFirst().release();
        started.getFirst().release();   // a second release of the same slot changes nothing
        assertEquals(2, started.size(), "the first queued start runs in the freed slot, the second still waits");
        assertEquals(1, limiter.active("a"));
        assertEquals(1, limiter.queued("a"));
        started.get(1).release();
        started.get(2).release();
        assertEquals(0, limiter.active("a"));
        assertEquals(ClientLimiter.Admission.STARTED, limiter.enter("a", started::add));
    }

    @Test
    void limitsOutOfRangeAreRefusedByName() {
        assertEquals("max-concurrent must be >= 1 (got 0)",
                assertThrows(IllegalArgumentException.class, () -> new ClientLimiter(0, 1, Runnable::run)).getMessage());
        assertEquals("max-queued must be >= 0 (got -1)",
                assertThrows(IllegalArgumentException.class, () -> new ClientLimiter(1, -1, Runnable::run)).getMessage());
    }
}
