// The steermesh lab: wires the request form, the token lanes, the steering panel and the inspector to the
// WebSocket /v1/stream. Plain ES modules served as static files: no build step, no Node at run time.
import { featureDashboard, listSaes } from "./api.js";
import { showDashboard, showToken } from "./inspector.js";
import { SteeringPanel } from "./steering.js";
import { Stream } from "./stream.js";
import { Lanes } from "./tokens.js";

const $ = id => document.getElementById(id);
const SAMPLER = ["temperature", "top_k", "top_p", "min_p", "repetition_penalty", "presence_penalty", "frequency_penalty", "seed"];
const TOP = 10;        // alternatives per token
const LENS_TOP = 5;    // tokens per layer in the lens
const FEATURES_TOP = 8;

let run = null;        // {id, waiting: done frames still to come, tokens: how many arrived}
let saes = [];
let selected = null;   // [lane, index]

function status(text, isError = false) {
  $("status").textContent = text;
  $("status").className = isError ? "error" : "";
}

const lanes = new Lanes($("lanes"), (lane, index) => {
  selected = [lane, index];
  showToken(lanes.frame(lane, index), lane, featureActions);
});
const steering = new SteeringPanel($("vectors"), $("positions"), planChanged);
const stream = new Stream(onFrame, reason => { if (run) finish("connection closed" + (reason ? ": " + reason : ""), true); });

function onFrame(f) {
  if (f.type === "error" && (!run || f.id === null || f.id === run.id)) {
    status(`${f.error.code}${f.error.field ? " (" + f.error.field + ")" : ""}: ${f.error.message}`, true);
    // before any token the generation was refused; later (a refused steer) it goes on
    if (run && run.tokens === 0) finish(null, true);
    return;
  }
  if (!run || f.id !== run.id) return;
  if (f.type === "token") {
    lanes.add(f);
    run.tokens++;
    status(`token ${f.index + 1}`);
    if (selected && selected[1] === f.index && (f.variant ?? "output") === selected[0]) showToken(f, selected[0], featureActions);
  } else if (f.type === "done" && --run.waiting === 0) {
    if (f.seed !== undefined) $("seed-used").textContent = `seed used: ${f.seed}`;
    $("seed-used").dataset.seed = f.seed ?? "";
    finish(`finished: ${f.finish_reason}` + (f.usage ? ` · ${f.usage.completion_tokens} tokens` : ""));
  }
}

function finish(text, isError = false) {
  run = null;
  if (text) status(text, isError);
  $("generate").disabled = $("compare").disabled = false;
  $("stop").disabled = true;
}

function number(id) {
  const v = $(id).value.trim();
  return v === "" ? undefined : Number(v);
}

async function start(compare) {
  const plan = steering.plan();
  if (compare && plan.length === 0) {
    status("Compare needs a steering vector with a coefficient other than 0 (move a slider).", true);
    return;
  }
  const id = "lab-" + Date.now();
  const frame = { type: "generate", id, prompt: $("prompt").value, max_tokens: number("max_tokens"),
                  top_logprobs: TOP };
  if ($("lens-on").checked) frame.lens = { top: LENS_TOP };
  for (const k of SAMPLER) if (number(k) !== undefined) frame[k] = number(k);
  if (saes.length) frame.features = { sae: saes[0].name, top: FEATURES_TOP };
  if (plan.length) frame.steering = plan;
  if (compare) frame.compare = true;
  run = { id, waiting: compare ? 2 : 1, tokens: 0 };
  selected = null;
  showToken(null);
  lanes.reset(compare ? ["steered", "unsteered"] : ["output"], frame.prompt);
  $("seed-used").textContent = "";
  $("generate").disabled = $("compare").disabled = true;
  $("stop").disabled = false;
  status("waiting for the first token…");
  try {
    await stream.send(frame);
  } catch (e) {
    finish(e.message, true);
  }
}

/** A slider moved: a running generation takes the new plan from its next token on. */
function planChanged() {
  if (!run) return;
  stream.send({ type: "steer", id: run.id, steering: steering.plan() }).catch(e => status(e.message, true));
  status("steering changed live");
}

const featureActions = {
  steer: steerWithFeature,
  dashboard: feature => featureDashboard(saes[0].name, feature).then(d => showDashboard(saes[0].name, d), e => status(e.message, true)),
};

async function steerWithFeature(feature) {
  try {
    const name = await steering.registerFeature(saes[0], feature);
    steering.setCoefficient(name, 4);
    planChanged();
    status(`feature ${feature} of ${saes[0].name} added as "${name}" at coefficient 4`);
  } catch (e) {
    status(e.message, true);
  }
}

$("generate").onclick = () => start(false);
$("compare").onclick = () => start(true);
$("stop").onclick = () => run && stream.send({ type: "cancel", id: run.id });
$("seed-used").onclick = () => { if ($("seed-used").dataset.seed) $("seed").value = $("seed-used").dataset.seed; };

const form = $("vector-form");
const showSourceFields = () => form.querySelectorAll(".src").forEach(l => { l.hidden = !l.classList.contains(form.type.value); });
form.type.addEventListener("change", showSourceFields);
showSourceFields();
form.addEventListener("submit", async e => {
  e.preventDefault();
  status("computing the vector…");
  try {
    const name = await steering.register(form, saes[0]);
    status(`registered "${name}"`);
  } catch (err) {
    status(err.message, true);
  }
});

try {
  saes = (await listSaes()).filter(s => s.hook);
  await steering.refresh();
} catch (e) {
  status("steering API not reachable (" + e.message + "); open the page with ?steering=URL in a mesh", true);
}
