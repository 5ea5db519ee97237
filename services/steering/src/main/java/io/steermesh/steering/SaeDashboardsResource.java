package io.steermesh.steering;

import com.fasterxml.jackson.databind.JsonNode;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/** {@code GET /v1/steering/saes/{sae}/features/{feature}}: a feature's dashboard, as {@code sae-train} wrote it. */
@Path("/v1/steering/saes/{sae}/features")
@Produces(MediaType.APPLICATION_JSON)
@Blocking
public class SaeDashboardsResource {
    private final SaeDashboards dashboards;

    public SaeDashboardsResource(@ConfigProperty(name = "steermesh.saes", defaultValue = " ") String saes) {
        this.dashboards = new SaeDashboards(saes);
    }

    @GET
    @Path("/{feature}")
    public Response feature(@PathParam("sae") String sae, @PathParam("feature") int feature) {
        return dashboards.feature(sae, feature).map(d -> Response.ok((JsonNode) d).build())
                .orElseGet(() -> ErrorMappers.error(404, "not_found", "feature",
                        "no dashboard for feature " + feature + " of SAE \"" + sae + "\" (dashboards come with SAEs trained by steermesh sae-train)"));
    }
}
