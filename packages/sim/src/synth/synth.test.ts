import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseSynthProfile, type SynthProfile } from "./profile.js";
import { synthesize, synthesizeJsonl } from "./synthesize.js";
import { parseTemplate, renderTemplate } from "./template.js";

const storeYaml = readFileSync(new URL("../../../examples/profiles/store.yaml", import.meta.url), "utf8");

function profile(text: string): SynthProfile {
  const r = parseSynthProfile(text, "p.yaml");
  if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
  return r.profile;
}

const sha = (lines: Iterable<string>): string => {
  const h = createHash("sha256");
  for (const l of lines) h.update(l);
  return h.digest("hex");
};

describe("templates", () => {
  it.each([
    { text: "/items/{int:1-5000}", re: /^\/items\/(\d+)$/ },
    { text: "/u/{uuid}", re: /^\/u\/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/ },
    { text: "/{choice:a|b|c}/x", re: /^\/[abc]\/x$/ },
    { text: "t={hex:6}&n={alnum:4}", re: /^t=[0-9a-f]{6}&n=[a-z0-9]{4}$/ },
    { text: "/me/{user}", re: /^\/me\/alice$/ },
  ])("$text", ({ text, re }) => {
    const t = parseTemplate(text);
    expect(t.ok).toBe(true);
    let seed = 1;
    const rng = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    for (let i = 0; i < 50; i++) expect(renderTemplate((t as { ok: true; template: never }).template, rng, "alice")).toMatch(re);
  });

  it("int bounds are inclusive and weighted choices follow their weights", () => {
    const ints = parseTemplate("{int:1-3}");
    const choice = parseTemplate("{choice:x*9|y}");
    if (!ints.ok || !choice.ok) throw new Error("parse");
    const seen = new Set<string>();
    let x = 0;
    for (let i = 0; i < 1000; i++) {
      seen.add(renderTemplate(ints.template, () => i / 1000, undefined));
      if (renderTemplate(choice.template, () => i / 1000, undefined) === "x") x++;
    }
    expect([...seen].sort()).toEqual(["1", "2", "3"]);
    expect(x).toBe(900);
  });

  it.each([
    ["{int:5-1}", "MIN is above MAX"],
    ["{int:a-b}", "expected {int:MIN-MAX}"],
    ["{hex:0}", "expected a length"],
    ["{nope}", "unknown placeholder"],
    ["{choice:a*0|b*0}", "every option has weight 0"],
  ])("rejects %s", (text, message) => {
    const t = parseTemplate(text);
    expect(t.ok).toBe(false);
    expect((t as { message: string }).message).toContain(message);
  });
});

describe("profile parsing", () => {
  it("the example store profile is valid", () => {
    expect(parseSynthProfile(storeYaml, "store.yaml")).toMatchObject({ ok: true, diagnostics: [] });
  });

  it("reports problems as diagnostics with lines and columns", () => {
    const r = parseSynthProfile(
      ["rate: -1", "classes:", "  - path: /x/{int:9-1}", "    gateway: ns/gw", "  - path: /y", "daily: [1, 2]"].join("\n"),
      "bad.yaml",
    );
    expect(r.ok).toBe(false);
    const got = r.diagnostics.map((d) => [d.line, d.column, d.path, d.code]);
    expect(got).toContainEqual([1, 7, "rate", "synth.profile"]);
    expect(got).toContainEqual([6, 8, "daily", "synth.profile"]);
    expect(r.diagnostics.every((d) => d.file === "bad.yaml" && d.severity === "error")).toBe(true);
  });

  it("a class without an entry point and a bad template are reported where they are", () => {
    const r = parseSynthProfile(["classes:", "  - path: /x/{int:9-1}", "    gateway: ns/gw", "  - path: /y"].join("\n"));
    expect(r.ok).toBe(false);
    expect(r.diagnostics.map((d) => [d.line, d.path, d.message])).toEqual(
      expect.arrayContaining([
        [2, "classes[0].path", "{int:9-1}: MIN is above MAX"],
        [4, "classes[1]", "no entry point: set gateway, service or address here or in defaults"],
      ]),
    );
  });

  it("YAML syntax errors are diagnostics too", () => {
    const r = parseSynthProfile("classes: [", "x.yaml");
    expect(r.ok).toBe(false);
    expect(r.diagnostics[0]!.code).toBe("synth.yaml");
  });
});

describe("synthesize", () => {
  const store = profile(storeYaml);

  it("same seed → the same trace byte for byte; another seed → another trace", () => {
    const a = sha(synthesizeJsonl(store, { count: 5000, seed: 42 }));
    const b = sha(synthesizeJsonl(store, { count: 5000, seed: 42 }));
    const c = sha(synthesizeJsonl(store, { count: 5000, seed: 43 }));
    expect(a).toBe(b);
    expect(a).not.toBe(c);
  });

  it("pins the first records (a change here changes every trace: say so in the changelog)", () => {
    const lines = [...synthesizeJsonl(store, { count: 3, seed: 1 })];
    expect(lines.join("")).toMatchSnapshot();
  });

  it("shares, methods, headers and query follow the profile", () => {
    const n = 40_000;
    const recs = [...synthesize(store, { count: n, seed: 7 })];
    const frac = (f: (r: (typeof recs)[number]) => boolean) => recs.filter(f).length / n;
    expect(frac((r) => r.path!.startsWith("/catalog/items/"))).toBeCloseTo(0.45, 1);
    expect(frac((r) => r.path!.startsWith("/checkout"))).toBeCloseTo(0.1, 1);
    expect(frac((r) => r.host === "api.example.com")).toBeCloseTo(0.01, 2);
    const checkout = recs.filter((r) => r.path === "/checkout");
    const canary = checkout.filter((r) => r.headers?.["x-canary"] === "always").length / checkout.length;
    expect(canary).toBeGreaterThan(0.01);
    expect(canary).toBeLessThan(0.03);
    const pay = recs.filter((r) => r.path!.startsWith("/pay/"));
    expect(pay.every((r) => r.scheme === "https" && r.port === 443 && r.method === "POST" && r.gateway === "infra/edge")).toBe(true);
    const cart = recs.filter((r) => r.path!.startsWith("/cart/"));
    expect(cart.filter((r) => r.method === "GET").length / cart.length).toBeCloseTo(0.5, 1);
    expect(frac((r) => r.user === undefined)).toBeCloseTo(0.15, 1);
  });

  it("per-user request counts are heavy-tailed (zipf)", () => {
    const counts = new Map<string, number>();
    for (const r of synthesize(store, { count: 50_000, seed: 3 })) if (r.user) counts.set(r.user, (counts.get(r.user) ?? 0) + 1);
    const sorted = [...counts.values()].sort((a, b) => b - a);
    const total = sorted.reduce((a, b) => a + b, 0);
    // The top 1% of users make far more than 1% of the requests; the median user makes very few.
    const top = sorted.slice(0, Math.ceil(sorted.length / 100)).reduce((a, b) => a + b, 0);
    expect(top / total).toBeGreaterThan(0.2);
    expect(sorted[Math.floor(sorted.length / 2)]).toBeLessThanOrEqual(3);
    expect(counts.get("shopper-1")).toBe(sorted[0]);
  });

  it("pareto and uniform populations", () => {
    const base = "defaults: {gateway: ns/gw}\nclasses: [{path: /}]\n";
    const pareto = profile(`${base}users: {count: 1000, distribution: {type: pareto, alpha: 1.1}}`);
    const uniform = profile(`${base}users: {count: 1000, distribution: {type: uniform}}`);
    const max = (p: SynthProfile) => {
      const c = new Map<string, number>();
      for (const r of synthesize(p, { count: 20_000, seed: 1 })) c.set(r.user!, (c.get(r.user!) ?? 0) + 1);
      return Math.max(...c.values());
    };
    expect(max(pareto)).toBeGreaterThan(200);
    expect(max(uniform)).toBeLessThan(60);
  });

  it("arrivals follow the rate and the daily shape", () => {
    const day = [10, ...new Array(11).fill(0), 30, ...new Array(11).fill(0)];
    const p = profile(`defaults: {gateway: ns/gw}\nclasses: [{path: /}]\nrate: 0.2\nstart: "2026-01-01T00:00:00Z"\ndaily: [${day.join(", ")}]`);
    const times = [...synthesize(p, { count: 20_000, seed: 5 })].map((r) => Date.parse(r.time as string));
    const hours = new Map<number, number>();
    for (const t of times.filter((t) => t < Date.parse("2026-01-02T00:00:00Z"))) hours.set(new Date(t).getUTCHours(), (hours.get(new Date(t).getUTCHours()) ?? 0) + 1);
    expect([...hours.keys()].sort((a, b) => a - b)).toEqual([0, 12]);
    // Mean 0.2/s over a day = 17280 a day: hour 12 carries 3/4 of it (3.6/s), hour 0 the rest (1.2/s).
    expect(hours.get(12)! / hours.get(0)!).toBeCloseTo(3, 0);
    const firstHourCount = times.filter((t) => t < Date.parse("2026-01-01T01:00:00Z")).length;
    expect(firstHourCount / 3600).toBeCloseTo(1.2, 1);
    expect(times.every((t, i) => i === 0 || t >= times[i - 1]!)).toBe(true);
  });
});

describe("timeZone", () => {
  const withZone = (zone: string) => storeYaml.replace(/^daily: .*$/m, (line) => `${line}\ntimeZone: ${zone}`);

  it.each([
    { zone: "Europe/Berln", at: [17, 11], message: 'unknown time zone "Europe/Berln": expected an IANA name such as Europe/Berlin or UTC' },
    { zone: '""', at: [17, 11], message: "unknown time zone" },
    { zone: "+01:00", at: [17, 11], message: "unknown time zone" },
    { zone: "2", at: [17, 11], message: "expected string" },
  ])("$zone is refused at its line and column", ({ zone, at, message }) => {
    const r = parseSynthProfile(withZone(zone), "store.yaml");
    expect(r.ok).toBe(false);
    expect(r.diagnostics.map((d) => [d.file, d.line, d.column, d.path])).toEqual([["store.yaml", ...at, "timeZone"]]);
    expect(r.diagnostics[0]!.message).toContain(message);
  });

  it("needs a daily shape, and a misspelling is caught", () => {
    const r = parseSynthProfile("defaults: {gateway: ns/gw}\nclasses: [{path: /}]\ntimeZone: Europe/Berlin", "p.yaml");
    expect(r.diagnostics.map((d) => [d.line, d.column, d.path, d.message])).toEqual([[3, 11, "timeZone", "a time zone places the daily shape's hours: set daily too"]]);
    const typo = parseSynthProfile(withZone("UTC").replace("timeZone", "timezone"), "p.yaml");
    expect(typo.diagnostics.map((d) => d.message)).toEqual(['unknown field "timezone" (did you mean "timeZone"?)']);
  });

  it("UTC (or any zone always at offset 0) gives the bytes of a profile without a zone", () => {
    const plain = sha(synthesizeJsonl(profile(storeYaml), { count: 20_000, seed: 42 }));
    expect(sha(synthesizeJsonl(profile(withZone("UTC")), { count: 20_000, seed: 42 }))).toBe(plain);
    expect(sha(synthesizeJsonl(profile(withZone("Etc/UTC")), { count: 20_000, seed: 42 }))).toBe(plain);
    expect(sha(synthesizeJsonl(profile(withZone("Europe/Berlin")), { count: 20_000, seed: 42 }))).not.toBe(plain);
  });

  it("only the times move: every other field is drawn as without a zone; --count N is a prefix", () => {
    const berlin = profile(withZone("Europe/Berlin"));
    const a = [...synthesize(berlin, { count: 3000, seed: 6 })];
    const b = [...synthesize(profile(storeYaml), { count: 3000, seed: 6 })];
    expect(a.map((r) => ({ ...r, time: 0 }))).toEqual(b.map((r) => ({ ...r, time: 0 })));
    expect([...synthesizeJsonl(berlin, { count: 1000, seed: 6 })]).toEqual(a.slice(0, 1000).map((r) => `${JSON.stringify(r)}\n`));
  });

  it("pins 20,000 lines of the store profile in Europe/Berlin (seed 42)", () => {
    // Depends on the tz database's rules for 2026 in Berlin (stable since 1996).
    expect(sha(synthesizeJsonl(profile(withZone("Europe/Berlin")), { count: 20_000, seed: 42 }))).toMatchInlineSnapshot(`"569ba63b8ae06861a9c78cafa593caa60ca704c6a2350c6e8866be5e69eb9fd7"`);
  });
});
