/**
 * The HTML report in a real browser: Debian's Chromium, headless, on files written to a temp dir.
 * `--dump-dom` shows the DOM after the inline script ran (it marks <html data-script="ok"> and
 * records any error); `--screenshot` must give a PNG with charts on it, not a blank page.
 * Runs only where /usr/bin/chromium exists (scripts/ensure-chromium.sh installs it in CI).
 */
import { describe, expect, it, beforeAll, afterAll } from "vitest";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildWorld } from "@gwsim/core";
import { loadManifests } from "../load/manifests.js";
import { replay } from "../replay/replay.js";
import { whatif } from "../replay/whatif.js";
import { setWeights } from "../replay/set-weights.js";
import { parseRolloutFile } from "../rollout/parse.js";
import { rolloutSteps } from "../rollout/steps.js";
import { replayRollout } from "../rollout/replay-rollout.js";
import { parseSynthProfile } from "../synth/profile.js";
import { synthesize } from "../synth/synthesize.js";
import type { Report } from "../replay/types.js";
import { renderHtml } from "./html.js";
import { decodePng, inkStats } from "./png.js";

const CHROMIUM = "/usr/bin/chromium";
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--hide-scrollbars",
];

let dir = "";

function chromium(args: string[]): Promise<string> {
  const profile = mkdtempSync(join(dir, "profile-"));
  return new Promise((resolve, reject) => {
    execFile(CHROMIUM, [...FLAGS, `--user-data-dir=${profile}`, ...args], { timeout: 90_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout) => {
      if (err) reject(err);
      else resolve(stdout);
    });
  });
}

describe.skipIf(!existsSync(CHROMIUM))("the HTML report in headless Chromium (skipped: no /usr/bin/chromium; scripts/ensure-chromium.sh installs it)", () => {
  const pages: Record<string, { file: string; report: unknown }> = {};

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "gwsim-html-"));
    const loaded = await loadManifests(["packages/examples/world"]);
    const profile = parseSynthProfile(readFileSync("packages/examples/profiles/store.yaml", "utf8").replace("rate: 25 ", "rate: 1 "));
    if (!profile.ok) throw new Error("the example profile does not load");
    const trace = [...synthesize(profile.profile, { count: 20_000, seed: 5 })];
    const world = buildWorld(loaded.objects);
    const replayed = await replay(world, trace, { seed: 5 });
    const proposed = buildWorld(setWeights(loaded.objects, ["store/checkout/split/checkout-v2=40"]).objects);
    const compared = await whatif(world, proposed, trace, { seed: 5 });
    const file = "packages/examples/rollouts/argo-checkout.yaml";
    const plan = rolloutSteps(loaded.objects, parseRolloutFile(readFileSync(file, "utf8"), { file }).doc!);
    const rolled = await replayRollout(plan, trace, { seed: 5, pauseMs: 3_600_000, errorRates: { new: 0.02 } });
    for (const [name, report] of [["replay", replayed], ["whatif", compared], ["rollout", rolled]] as const) {
      const path = join(dir, `${name}.html`);
      writeFileSync(path, renderHtml(report, { subtitle: `browser test · ${name}` }));
      pages[name] = { file: path, report };
    }
  }, 120_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it.each(["replay", "whatif", "rollout"])("%s: the script runs without error and the DOM carries the figures", async (name) => {
    const dom = await chromium(["--dump-dom", `file://${pages[name]!.file}`]);
    expect(dom).toMatch(/<html lang="en" data-script="ok">/);
    expect(dom).not.toMatch(/<html[^>]*data-script-error/);
    expect(dom).toContain("store/checkout-v2:8080");
    expect(dom).toContain("store/checkout-v1:8080");
    if (name === "replay") {
      const r = pages[name]!.report as Report;
      for (const b of r.backends) {
        expect(dom).toContain(`${b.namespace}/${b.name}:${b.port}`);
        expect(dom).toContain(`>${b.count.toLocaleString("en-US")}<`);
      }
      expect(dom).toContain(`>${r.requests.toLocaleString("en-US")}<`);
      expect((dom.match(/<svg class="chart"/g) ?? []).length).toBeGreaterThanOrEqual(5);
    }
    if (name === "rollout") expect(dom).toContain("steps 1–2: setWeight 5, pause 2h");
  }, 120_000);

  it("replay: the screenshot is a PNG with charts on it", async () => {
    const png = join(dir, "replay.png");
    await chromium(["--window-size=1100,2400", `--screenshot=${png}`, `file://${pages.replay!.file}`]);
    const image = decodePng(readFileSync(png));
    if (typeof image === "string") throw new Error(image);
    expect([image.width, image.height]).toEqual([1100, 2400]);
    const { ink, colors } = inkStats(image);
    // Text, bars and the stacked timeline: far from blank, and in many colours.
    expect(ink).toBeGreaterThan(0.01);
    expect(colors).toBeGreaterThan(30);
    const keep = process.env.GWSIM_SCREENSHOT_DIR;
    if (keep) {
      mkdirSync(keep, { recursive: true });
      copyFileSync(png, join(keep, "replay.png"));
    }
  }, 120_000);
});
