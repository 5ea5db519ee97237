// What the model computed for the selected token: its alternatives (the model's raw distribution and the
// one sampled from, after temperature, penalties and filters), its SAE features and the logit lens.
import { pct } from "./tokens.js";

function el(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}
const shown = text => text === undefined ? "?" : JSON.stringify(text).slice(1, -1) || "\u00b7";

/** Shows {@code frame}; {@code actions.steer(feature)} and {@code actions.dashboard(feature)} act on its SAE features. */
export function showToken(frame, lane, actions) {
  document.getElementById("selected-hint").textContent = frame
    ? `token ${frame.index} (${lane}): "${shown(frame.text)}", ${pct(Math.exp(frame.logprob))}` : "Click a token.";
  document.getElementById("alternatives").replaceChildren(frame ? alternatives(frame) : "");
  document.getElementById("features").replaceChildren(frame ? features(frame, actions) : "");
  document.getElementById("dashboard").replaceChildren();
  document.getElementById("lens").replaceChildren(frame ? lens(frame) : "");
}

function alternatives(frame) {
  const rows = new Map();   // id → {text, raw, sampled}
  for (const t of frame.top_raw ?? []) rows.set(t.id, { text: t.text, raw: Math.exp(t.logprob) });
  for (const t of frame.top_logprobs ?? []) {
    const r = rows.get(t.id) ?? { text: t.text };
    r.sampled = Math.exp(t.logprob);
    rows.set(t.id, r);
  }
  const table = el("table", { className: "alternatives" },
    el("thead", {}, el("tr", {}, el("th", { textContent: "token" }), el("th", { textContent: "model" }),
      el("th", { textContent: "after filters" }))));
  const body = el("tbody");
  for (const [id, r] of rows) {
    const chosen = id === frame.token_id;
    const tr = el("tr", { className: "alt" + (chosen ? " chosen" : "") },
      el("td", { textContent: (chosen ? "\u2713 " : "") + shown(r.text), title: "id " + id }),
      el("td", { textContent: r.raw === undefined ? "" : pct(r.raw) }),
      el("td", { textContent: r.sampled === undefined ? "filtered" : pct(r.sampled) }));
    if (chosen) tr.setAttribute("aria-label", "chosen");
    body.append(tr);
  }
  table.append(body);
  return table;
}

function features(frame, actions) {
  if (!frame.features) return el("p", { className: "hint", textContent: "No SAE loaded." });
  const max = Math.max(...frame.features.map(f => f.activation), 1e-9);
  const list = el("ul", { className: "features" });
  for (const f of frame.features) {
    const bar = el("span", { className: "bar" });
    bar.style.width = (100 * f.activation / max).toFixed(0) + "%";
    const button = el("button", { type: "button", textContent: "steer", title: "add this feature as a steering vector" });
    button.setAttribute("aria-label", `steer with feature ${f.feature}`);
    button.onclick = () => actions.steer(f.feature);
    const name = el("button", { type: "button", className: "name", textContent: `#${f.feature}`, title: "its dashboard" });
    name.onclick = () => actions.dashboard(f.feature);
    list.append(el("li", {}, name,
      el("span", { className: "meter" }, bar), el("span", { textContent: f.activation.toFixed(2) }), button));
  }
  return list;
}

/** A feature's dashboard: where it fires most and which tokens it pushes up through the unembedding. */
export function showDashboard(sae, d) {
  const contexts = el("ol", { className: "contexts" });
  for (const c of d.top_contexts ?? []) {
    contexts.append(el("li", {}, el("span", { textContent: c.text.slice(0, c.text.length - c.token.length) }),
      el("mark", { textContent: c.token }), el("small", { textContent: ` ${c.activation.toFixed(2)}` })));
  }
  const promoted = (d.promoted ?? []).map(p => shown(p.token)).join("  ");
  document.getElementById("dashboard").replaceChildren(
    el("h4", { textContent: `feature #${d.feature} of ${sae}` }), el("p", { className: "hint", textContent: "fires most on:" }), contexts,
    el("p", { className: "hint", textContent: "promotes: " + promoted }));
}

function lens(frame) {
  if (!frame.lens) return el("p", { className: "hint", textContent: "No lens on this token." });
  const table = el("table", { className: "lens" });
  for (const layer of frame.lens) {
    const tr = el("tr", {}, el("th", { textContent: "L" + layer.layer, title: `blocks.${layer.layer}.hook_resid_post` }));
    for (const t of layer.top) {
      const td = el("td", { title: `${shown(t.text)} (id ${t.id}) ${pct(t.prob)}` },
        el("span", { className: "t", textContent: shown(t.text) }), el("small", { textContent: pct(t.prob) }));
      td.style.background = `hsl(210 70% ${Math.round(97 - 30 * t.prob)}%)`;
      if (t.id === frame.token_id) td.classList.add("chosen");
      tr.append(td);
    }
    table.append(tr);
  }
  return table;
}
