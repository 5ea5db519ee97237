// The REST side of the lab: the steering registry and the SAEs, same origin by default. A mesh serves the
// steering API on its own port: open the page with ?steering=http://host:8081 to point there.
const base = new URLSearchParams(location.search).get("steering") ?? "";

async function call(method, path, body) {
  const r = await fetch(base + path, {
    method,
    headers: body ? { "content-type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = r.status === 204 ? null : await r.json().catch(() => null);
  if (!r.ok) throw new Error(json?.error?.message ?? `${method} ${path}: HTTP ${r.status}`);
  return json;
}

export const listVectors = () => call("GET", "/v1/steering/vectors").then(r => r.data);
export const listSaes = () => call("GET", "/v1/steering/saes").then(r => r.data);
export const registerVector = spec => call("POST", "/v1/steering/vectors", spec);
export const featureDashboard = (sae, feature) =>
  call("GET", `/v1/steering/saes/${encodeURIComponent(sae)}/features/${feature}`);
