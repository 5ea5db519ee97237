package io.steermesh.standalone;

import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/** Says where to point a browser once every service in this JVM is up. */
@ApplicationScoped
public class Announce {
    private static final Logger LOG = Logger.getLogger(Announce.class);

    @ConfigProperty(name = "quarkus.http.host")
    String host;

    @ConfigProperty(name = "quarkus.http.port")
    int port;

    @ConfigProperty(name = "steermesh.model")
    String model;

    void onStart(@Observes StartupEvent e) {
        String h = host.equals("0.0.0.0") ? "127.0.0.1" : host;
        LOG.infof("steermesh is up (standalone, model %s): web UI at http://%s:%d/ , OpenAI API at http://%s:%d/v1 , WebSocket at ws://%s:%d/v1/stream",
                model, h, port, h, port, h, port);
    }
}
