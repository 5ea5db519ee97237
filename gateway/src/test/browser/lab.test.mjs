// The lab page in headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core) against a running
// standalone steermesh at LAB_URL. Each check saves a screenshot under LAB_SCREENSHOTS; the last line is
// "N passed, N failed" and the exit code is 1 when any check failed.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { chromium } from "playwright-core";

const url = process.env.LAB_URL ?? "http://127.0.0.1:8080/";
const shots = process.env.LAB_SCREENSHOTS ?? "target/lab-screenshots";
mkdirSync(shots, { recursive: true });

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--no-first-run", "--disable-sync", "--disable-quic"],
});
const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
page.setDefaultTimeout(60_000);
const consoleErrors = [];
page.on("console", m => { if (m.type() === "error") consoleErrors.push(m.text()); });
page.on("pageerror", e => consoleErrors.push(e.message));

let passed = 0, failed = 0;
/** Runs one check, then saves a screenshot named {@code shot}: of {@code part} (a locator) or else the whole page. */
async function check(name, shot, fn, part) {
  try {
    await fn();
    passed++;
    console.log(`ok    ${name}`);
  } catch (e) {
    failed++;
    console.log(`FAIL  ${name}\n      ${String(e.message).split("\n").join("\n      ")}`);
  }
  if (shot && part) await part.screenshot({ path: `${shots}/${shot}.png` });
  else if (shot) await page.screenshot({ path: `${shots}/${shot}.png`, fullPage: true });
}

const lane = name => page.locator(`.lane[data-lane="${name}"]`);
const ids = async name => lane(name).locator("[data-token]").evaluateAll(els => els.map(e => Number(e.dataset.tokenId)));

async function run(button, { seed, maxTokens, whenStreaming } = {}) {
  await page.getByLabel("Prompt").fill("Once upon a time");
  await page.locator("#seed").fill(seed === undefined ? "" : String(seed));
  await page.locator("#max_tokens").fill(String(maxTokens ?? 40));
  await page.getByRole("button", { name: button, exact: true }).click();
  if (whenStreaming) await whenStreaming();
  await page.locator("#status", { hasText: /finished/ }).waitFor();
}

await page.goto(url);

await check("tokens stream with their probabilities", "tokens", async () => {
  await run("Generate", { seed: 7, maxTokens: 60 });
  const labels = await lane("output").locator("[data-token]").evaluateAll(els => els.map(e => e.getAttribute("aria-label")));
  assert.ok(labels.length >= 10, `only ${labels.length} tokens`);
  for (const l of labels) assert.match(l, /\d+\.\d%$/, `aria-label without a percentage: ${l}`);
  assert.match(await page.locator("#seed-used").innerText(), /seed used: 7/);
});

await check("clicking a token shows at least 5 alternatives, the chosen one marked", "alternatives", async () => {
  await lane("output").locator('[data-token="4"]').click();
  const rows = await page.locator("#alternatives tr.alt").count();
  assert.ok(rows >= 5, `${rows} alternatives`);
  assert.equal(await page.locator("#alternatives tr.alt.chosen").count(), 1);
});

await check("SAE features (with a dashboard) and the logit lens render for the selected token", "features-lens", async () => {
  const features = await page.locator("#features li").count();
  assert.ok(features >= 1, "no SAE features");
  const layers = await page.locator("#lens tr").count();
  assert.equal(layers, 5, "stories260K has 5 layers");
  assert.match(await page.locator("#lens tr").last().innerText(), /%/);
  // a feature's dashboard: the contexts it fires most on, from sae-train's dashboards.json
  await page.locator("#features li button.name").first().click();
  await page.locator("#dashboard ol.contexts li").first().waitFor();
}, page.locator("#inspector"));

await check("an SAE feature of the selected token becomes a steering vector with one click", "feature-steer", async () => {
  const feature = (await page.locator("#features li .name").first().innerText()).slice(1);
  await page.getByRole("button", { name: `steer with feature ${feature}` }).click();
  const slider = page.getByRole("slider", { name: `default-f${feature}` });
  await slider.waitFor();
  assert.equal(await slider.inputValue(), "4");
}, page.locator("#steering"));

await check("a registered vector appears with its slider; moving it mid-stream changes the text from that index", "live-steer", async () => {
  const r = await page.request.post(new URL("/v1/steering/vectors", url).href, {
    data: { name: "lab-dog", hook: "blocks.2.hook_resid_post", source: { type: "contrast", positive: " dog", negative: " cat" } },
  });
  assert.ok(r.ok(), `registering the vector: HTTP ${r.status()} ${await r.text()}`);
  await page.reload();
  const slider = page.getByRole("slider", { name: "lab-dog" });
  await slider.waitFor();
  await run("Generate", { seed: 11, maxTokens: 400 });
  const plain = await ids("output");
  await run("Generate", {
    seed: 11, maxTokens: 400,
    whenStreaming: async () => {
      await lane("output").locator('[data-token="8"]').waitFor();
      await slider.fill("1.5");
    },
  });
  const steered = await ids("output");
  const marks = await lane("output").locator(".plan-change").evaluateAll(els => els.map(e => Number(e.dataset.token)));
  assert.equal(marks.length, 1, `plan changes marked at ${marks}`);
  const from = marks[0];
  assert.ok(from > 8 && from < steered.length, `plan changed at ${from} of ${steered.length}`);
  assert.deepEqual(steered.slice(0, from), plain.slice(0, from), "tokens before the change are the unsteered ones");
  const firstDiff = steered.findIndex((id, i) => id !== plain[i]);
  assert.ok(firstDiff >= 0, "the steered text equals the unsteered one");
  assert.ok(firstDiff >= from, `the text changed at ${firstDiff}, before the plan did (${from})`);
});

await check("compare shows the steered and the unsteered stream side by side, divergence marked", "compare", async () => {
  await run("Compare", { seed: 11, maxTokens: 60 });
  const [a, b] = [await ids("steered"), await ids("unsteered")];
  assert.ok(a.length > 0 && b.length > 0, `steered ${a.length} tokens, unsteered ${b.length}`);
  assert.equal(await page.locator(".tok.diverge").count(), 2, "the first divergence is marked in both streams");
  await lane("steered").locator(".tok.diverge").click();
});

await check("no console errors", null, async () => {
  assert.deepEqual(consoleErrors, []);
});

await browser.close();
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
