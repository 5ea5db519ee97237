// The streamed tokens, in lanes: one for a plain run, "steered" beside "unsteered" for a comparison.
// Each token is shaded by its probability (red unlikely, green likely) and is a button that selects it.

export const pct = p => (100 * p).toFixed(1) + "%";
const shade = p => `hsl(${Math.round(120 * p)} 70% 86%)`;

export class Lanes {
  #lanes = new Map();   // name → {el, frames: [], identity}
  #diverged = null;

  constructor(root, onSelect) {
    this.root = root;
    this.onSelect = onSelect;
    root.addEventListener("click", e => this.#pick(e.target));
    root.addEventListener("keydown", e => { if (e.key === "Enter" || e.key === " ") this.#pick(e.target); });
  }

  /** New lanes named {@code names}, each starting with the prompt in grey. */
  reset(names, prompt) {
    this.root.replaceChildren();
    this.#lanes.clear();
    this.#diverged = null;
    this.root.classList.toggle("split", names.length > 1);
    for (const name of names) {
      const lane = document.createElement("div");
      lane.className = "lane";
      lane.dataset.lane = name;
      lane.setAttribute("aria-label", name);
      const head = document.createElement("h2");
      head.textContent = name === "output" ? "Output" : name;
      const body = document.createElement("div");
      body.className = "text";
      const p = document.createElement("span");
      p.className = "prompt";
      p.textContent = prompt;
      body.append(p);
      lane.append(head, body);
      this.root.append(lane);
      this.#lanes.set(name, { body, head, frames: [], identity: "" });
    }
  }

  add(frame) {
    const lane = this.#lanes.get(frame.variant ?? "output");
    if (!lane) return;
    lane.frames[frame.index] = frame;
    const p = Math.exp(frame.logprob);
    const el = document.createElement("span");
    el.className = "tok";
    el.dataset.token = frame.index;
    el.dataset.tokenId = frame.token_id;
    el.tabIndex = 0;
    el.setAttribute("role", "button");
    el.setAttribute("aria-label", `token ${frame.index} ${JSON.stringify(frame.text)} ${pct(p)}`);
    el.title = `${pct(p)} · id ${frame.token_id}`;
    el.style.background = shade(p);
    el.textContent = frame.text === "" ? "\u00b7" : frame.text;
    // a new steering plan (a live steer) first shows on this token
    if (frame.index > 0 && frame.steering_identity !== lane.identity) {
      el.classList.add("plan-change");
      el.title += " · steering plan changed here";
    }
    lane.identity = frame.steering_identity;
    lane.body.append(el);
    this.#checkDivergence(frame.index);
  }

  frame(lane, index) {
    return this.#lanes.get(lane)?.frames[index];
  }

  /** Tokens arrive in order per lane, so the first index where both lanes differ is found first. */
  #checkDivergence(index) {
    const [a, b] = [this.#lanes.get("steered"), this.#lanes.get("unsteered")];
    if (!a || !b || this.#diverged !== null) return;
    const fa = a.frames[index], fb = b.frames[index];
    if (!fa || !fb || fa.token_id === fb.token_id) return;
    this.#diverged = index;
    for (const lane of [a, b]) {
      lane.body.querySelector(`[data-token="${index}"]`).classList.add("diverge");
      lane.head.textContent += ` — differs from token ${index}`;
    }
  }

  #pick(target) {
    const el = target.closest?.(".tok");
    if (!el) return;
    this.root.querySelectorAll(".tok.selected").forEach(s => s.classList.remove("selected"));
    el.classList.add("selected");
    this.onSelect(el.closest(".lane").dataset.lane, Number(el.dataset.token));
  }
}
