// The steering panel: every registered vector with a coefficient slider and the hook it is added at.
// A vector at coefficient 0 is left out of the plan.
import { listVectors, registerVector } from "./api.js";

const KINDS = ["hook_resid_pre", "hook_resid_post", "hook_attn_out", "hook_mlp_out"];
const HOOK = /^blocks\.(\d+)\.(\w+)$/;

export class SteeringPanel {
  #rows = new Map();   // name → {slider, layer, kind}

  constructor(root, positions, onPlanChange) {
    this.root = root;
    this.positions = positions;
    this.onPlanChange = onPlanChange;
    positions.addEventListener("change", () => onPlanChange());
  }

  async refresh() {
    const vectors = await listVectors();
    const old = new Map([...this.#rows].map(([name, r]) => [name, r.slider.value]));
    this.root.replaceChildren();
    this.#rows.clear();
    if (vectors.length === 0) this.root.textContent = "No vectors registered yet.";
    for (const v of vectors) this.#row(v, old.get(v.name) ?? "0");
  }

  #row(v, value) {
    const [, layer, kind] = HOOK.exec(v.hook) ?? [null, "0", "hook_resid_post"];
    const row = document.createElement("div");
    row.className = "vector";
    const id = "v-" + v.name.replace(/[^A-Za-z0-9_-]/g, "_");
    row.innerHTML = `<label for="${id}" class="name"></label>
      <input id="${id}" type="range" min="-8" max="8" step="0.25">
      <output></output>
      <span class="hook">L<input type="number" min="0" class="layer"><select class="kind"></select></span>`;
    row.querySelector("label").textContent = v.name;
    row.querySelector("label").title = `${v.source}, norm ${v.norm.toFixed(2)}, registered at ${v.hook}`;
    const slider = row.querySelector("input[type=range]");
    slider.setAttribute("aria-label", v.name);
    slider.value = value;
    const out = row.querySelector("output");
    const show = () => { out.textContent = Number(slider.value).toFixed(2); row.classList.toggle("on", Number(slider.value) !== 0); };
    show();
    slider.addEventListener("input", show);
    // sent once the slider is let go, not at every pixel: each change is one live steer
    slider.addEventListener("change", () => this.onPlanChange());
    const layerInput = row.querySelector(".layer");
    layerInput.value = layer;
    layerInput.setAttribute("aria-label", v.name + " layer");
    const kindSelect = row.querySelector(".kind");
    kindSelect.setAttribute("aria-label", v.name + " hook");
    for (const k of KINDS) kindSelect.add(new Option(k.replace("hook_", ""), k, false, k === kind));
    for (const c of [layerInput, kindSelect]) c.addEventListener("change", () => this.onPlanChange());
    this.#rows.set(v.name, { slider, layer: layerInput, kind: kindSelect });
    this.root.append(row);
  }

  /** The request's steering list: every vector whose coefficient is not 0. */
  plan() {
    const out = [];
    for (const [name, r] of this.#rows) {
      const coefficient = Number(r.slider.value);
      if (coefficient === 0) continue;
      out.push({ vector: name, hook: `blocks.${r.layer.value}.${r.kind.value}`, coefficient, positions: this.positions.value });
    }
    return out;
  }

  setCoefficient(name, value) {
    const r = this.#rows.get(name);
    if (!r) return;
    r.slider.value = value;
    r.slider.dispatchEvent(new Event("input"));
  }

  /** Registers a vector from the "Add a vector" form; {@code sae} is the SAE a feature source reads. */
  async register(form, sae) {
    const f = new FormData(form);
    const type = f.get("type");
    const lines = s => s.split("\n").map(x => x.trim()).filter(x => x);
    const source = { type };
    if (type === "contrast") Object.assign(source, { positive: f.get("positive"), negative: f.get("negative") });
    if (type === "mean_diff") Object.assign(source, { positive: lines(f.get("positive")), negative: lines(f.get("negative")), reduce: "last" });
    if (type === "token") source.token = f.get("token");
    if (type === "sae_feature") {
      if (!sae) throw new Error("no SAE is loaded");
      Object.assign(source, { sae: sae.name, feature: Number(f.get("feature")) });
    }
    const hook = type === "sae_feature" ? sae.hook : `blocks.${f.get("layer")}.hook_resid_post`;
    await registerVector({ name: f.get("name"), hook, source });
    await this.refresh();
    return f.get("name");
  }

  /** An SAE feature as a vector named after it, at the SAE's hook. */
  async registerFeature(sae, feature) {
    const name = `${sae.name}-f${feature}`;
    await registerVector({ name, hook: sae.hook, source: { type: "sae_feature", sae: sae.name, feature } });
    await this.refresh();
    return name;
  }
}
