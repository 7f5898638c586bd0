/**
 * QA of the statistics a profile promises, on large samples with fixed seeds. Tolerances are
 * p-values of 1e-4 (chi-square) or 4-5 sigma: a correct generator passes for these seeds, and a
 * generator that ignores a weight, an exponent, a bound or the daily shape fails by far.
 */
import { describe, expect, it } from "vitest";
import { chiSquareTest } from "../stats/chi-square.js";
import { parseSynthProfile, type SynthProfile } from "./profile.js";
import { synthesize } from "./synthesize.js";
import type { TraceRecord } from "../trace/types.js";

function profile(text: string): SynthProfile {
  const r = parseSynthProfile(text, "p.yaml");
  if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
  return r.profile;
}

const take = (p: SynthProfile, count: number, seed = 11): TraceRecord[] => [...synthesize(p, { count, seed })];

function tally<T>(items: Iterable<T>): Map<T, number> {
  const m = new Map<T, number>();
  for (const x of items) m.set(x, (m.get(x) ?? 0) + 1);
  return m;
}

/** Chi-square p-value of the tallied categories against relative weights. */
function fit(counts: Map<string, number>, weights: Record<string, number>): number {
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  const sum = Object.values(weights).reduce((a, b) => a + b, 0);
  const keys = Object.keys(weights);
  for (const k of counts.keys()) expect(keys, `unexpected category ${k}`).toContain(k);
  const r = chiSquareTest(
    keys.map((k) => counts.get(k) ?? 0),
    keys.map((k) => (total * weights[k]!) / sum),
  );
  return r!.pValue;
}

const withinSigmas = (hits: number, n: number, p: number, sigmas = 4.5): boolean => Math.abs(hits - n * p) <= sigmas * Math.sqrt(n * p * (1 - p));

describe("request classes", () => {
  const p = profile(`
defaults: {gateway: ns/gw, host: shop.example}
classes:
  - {name: a, share: 5, path: /a, method: {GET: 6, POST: 3, PUT: 1, DELETE: 0}}
  - {name: b, share: 3, path: /b, headers: {x-p: {probability: 0.3, value: "on"}, x-v: {values: {one: 1, two: 3}}}}
  - {name: c, share: 2, path: /c, query: {q: {probability: 0.1, value: "{int:1-3}"}}}
  - {name: never, share: 0, path: /never}
`);
  const n = 60_000;
  const recs = take(p, n);
  const byPath = (prefix: string) => recs.filter((r) => r.path!.startsWith(prefix));

  it("class shares follow `share` (chi-square), and a zero share never appears", () => {
    const counts = tally(recs.map((r) => r.path!.split("?")[0]!));
    expect(counts.get("/never")).toBeUndefined();
    expect(fit(counts, { "/a": 5, "/b": 3, "/c": 2 })).toBeGreaterThan(1e-4);
  });

  it("method weights (chi-square), weight 0 never drawn", () => {
    const counts = tally(byPath("/a").map((r) => r.method!));
    expect(counts.get("DELETE")).toBeUndefined();
    expect(fit(counts, { GET: 6, POST: 3, PUT: 1 })).toBeGreaterThan(1e-4);
  });

  it("header presence probability and value weights", () => {
    const b = byPath("/b");
    expect(withinSigmas(b.filter((r) => r.headers?.["x-p"] === "on").length, b.length, 0.3)).toBe(true);
    expect(fit(tally(b.map((r) => r.headers!["x-v"] as string)), { one: 1, two: 3 })).toBeGreaterThan(1e-4);
  });

  it("query presence probability", () => {
    const c = byPath("/c");
    const withQ = c.filter((r) => r.path!.includes("?q="));
    expect(withinSigmas(withQ.length, c.length, 0.1)).toBe(true);
    expect(fit(tally(withQ.map((r) => r.path!.slice("/c?q=".length))), { "1": 1, "2": 1, "3": 1 })).toBeGreaterThan(1e-4);
  });
});

describe("path template segments", () => {
  const segments = (path: string, n = 30_000) => {
    const p = profile(`defaults: {gateway: ns/gw}\nclasses: [{path: "/x/${path}"}]`);
    return take(p, n, 5).map((r) => decodeURIComponent(r.path!.slice(3)));
  };

  it("{int:1-6}: both bounds included, uniform (chi-square)", () => {
    expect(fit(tally(segments("{int:1-6}")), { "1": 1, "2": 1, "3": 1, "4": 1, "5": 1, "6": 1 })).toBeGreaterThan(1e-4);
  });

  it("{int:-3--1}: negative bounds", () => {
    expect(fit(tally(segments("{int:-3--1}")), { "-3": 1, "-2": 1, "-1": 1 })).toBeGreaterThan(1e-4);
  });

  it("{int:7-7} is constant; a span wider than 2^32 reaches its top and its low digits stay uniform", () => {
    expect(new Set(segments("{int:7-7}", 100))).toEqual(new Set(["7"]));
    const wide = segments("{int:0-99999999999}", 20_000).map(Number);
    expect(Math.max(...wide)).toBeGreaterThan(9e10);
    // One 32-bit draw scaled to 1e11 reaches only every ~23rd integer: floor(k * step), which lie
    // less than 0.05 below a multiple of step = 1e11 / 2^32. With every integer reachable, ~5% do.
    const step = 1e11 / 2 ** 32;
    const onGrid = wide.filter((x) => {
      const f = (x / step) % 1;
      return f >= 0.95 || f < 0.001;
    }).length;
    expect(withinSigmas(onGrid, wide.length, 0.051)).toBe(true);
  });

  it("{choice:...} weights (chi-square), *0 never drawn", () => {
    const counts = tally(segments("{choice:a|b*2|c*7|d*0}"));
    expect(counts.get("d")).toBeUndefined();
    expect(fit(counts, { a: 1, b: 2, c: 7 })).toBeGreaterThan(1e-4);
  });

  it("{hex:N}, {alnum:N} and {uuid}: every character equally likely", () => {
    const hex = tally(segments("{hex:8}", 5000).join(""));
    expect(fit(new Map([...hex].map(([k, v]) => [k, v])), Object.fromEntries([..."0123456789abcdef"].map((c) => [c, 1])))).toBeGreaterThan(1e-4);
    const alnum = tally(segments("{alnum:8}", 5000).join(""));
    expect(fit(alnum, Object.fromEntries([..."abcdefghijklmnopqrstuvwxyz0123456789"].map((c) => [c, 1])))).toBeGreaterThan(1e-4);
    const uuids = segments("{uuid}", 2000);
    expect(new Set(uuids).size).toBe(uuids.length);
    const variant = tally(uuids.map((u) => u[19]!));
    expect(fit(variant, { "8": 1, "9": 1, a: 1, b: 1 })).toBeGreaterThan(1e-4);
  });
});

describe("users", () => {
  it("zipf: rank frequencies follow k^-exponent (chi-square on the top ranks) and the anonymous share holds", () => {
    const n = 100_000;
    const exponent = 1.3;
    const count = 500;
    const p = profile(`defaults: {gateway: ns/gw}\nclasses: [{path: /}]\nusers: {count: ${count}, anonymous: 0.2, prefix: u, distribution: {type: zipf, exponent: ${exponent}}}`);
    const recs = take(p, n, 3);
    const anonymous = recs.filter((r) => r.user === undefined).length;
    expect(withinSigmas(anonymous, n, 0.2)).toBe(true);
    const counts = tally(recs.filter((r) => r.user !== undefined).map((r) => r.user!));
    // Ranks 1..30 one by one, the rest together.
    const weights: Record<string, number> = {};
    let rest = 0;
    for (let k = 1; k <= count; k++) {
      const w = Math.pow(k, -exponent);
      if (k <= 30) weights[`u${k}`] = w;
      else rest += w;
    }
    weights.rest = rest;
    const grouped = new Map<string, number>();
    for (const [u, c] of counts) {
      const key = Number(u.slice(1)) <= 30 ? u : "rest";
      grouped.set(key, (grouped.get(key) ?? 0) + c);
    }
    expect(fit(grouped, weights)).toBeGreaterThan(1e-4);
    // And the log-log slope over the head is -exponent.
    const xs: number[] = [];
    const ys: number[] = [];
    for (let k = 1; k <= 30; k++) {
      xs.push(Math.log(k));
      ys.push(Math.log(counts.get(`u${k}`)!));
    }
    const mx = xs.reduce((a, b) => a + b) / xs.length;
    const my = ys.reduce((a, b) => a + b) / ys.length;
    const slope = xs.reduce((a, x, i) => a + (x - mx) * (ys[i]! - my), 0) / xs.reduce((a, x) => a + (x - mx) ** 2, 0);
    expect(slope).toBeGreaterThan(-exponent - 0.1);
    expect(slope).toBeLessThan(-exponent + 0.1);
  });

  it("uniform: every user equally likely (chi-square)", () => {
    const p = profile(`defaults: {gateway: ns/gw}\nclasses: [{path: /}]\nusers: {count: 50, prefix: u, distribution: {type: uniform}}`);
    const counts = tally(take(p, 20_000).map((r) => r.user!));
    expect(fit(counts, Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`u${i + 1}`, 1])))).toBeGreaterThan(1e-4);
  });

  it("pareto: heavy-tailed per-user counts, most active first", () => {
    const p = profile(`defaults: {gateway: ns/gw}\nclasses: [{path: /}]\nusers: {count: 2000, prefix: u, distribution: {type: pareto, alpha: 1.2}}`);
    const counts = [...tally(take(p, 50_000).map((r) => r.user!)).entries()];
    const sorted = counts.map(([, c]) => c).sort((a, b) => b - a);
    const top = sorted.slice(0, 20).reduce((a, b) => a + b, 0);
    expect(top / 50_000).toBeGreaterThan(0.15); // the top 1% of users
    expect(counts.find(([u]) => u === "u1")![1]).toBe(sorted[0]);
  });
});

describe("arrivals", () => {
  const flat = (rate: number, start = "2026-01-01T00:00:00Z") =>
    profile(`defaults: {gateway: ns/gw}\nclasses: [{path: /}]\nrate: ${rate}\nstart: "${start}"`);
  const times = (p: SynthProfile, n: number, seed = 9) => take(p, n, seed).map((r) => Date.parse(r.time as string));

  it("a flat rate: N arrivals take N/rate seconds, inter-arrival times are exponential (CV 1), times never go back", () => {
    const n = 40_000;
    const t = times(flat(20), n);
    const span = (t[n - 1]! - Date.parse("2026-01-01T00:00:00Z")) / 1000;
    // The sum of n exponentials with mean 1/rate: sd sqrt(n)/rate.
    expect(Math.abs(span - n / 20)).toBeLessThan((5 * Math.sqrt(n)) / 20);
    const gaps = t.slice(1).map((x, i) => x - t[i]!);
    expect(gaps.every((g) => g >= 0)).toBe(true);
    const mean = gaps.reduce((a, b) => a + b) / gaps.length;
    const sd = Math.sqrt(gaps.reduce((a, g) => a + (g - mean) ** 2, 0) / gaps.length);
    expect(sd / mean).toBeGreaterThan(0.95);
    expect(sd / mean).toBeLessThan(1.05);
  });

  it("the daily shape shapes arrivals per UTC hour (chi-square over two whole days)", () => {
    const shape = [1, 1, 1, 1, 1, 2, 4, 6, 8, 9, 10, 12, 14, 12, 10, 10, 11, 13, 16, 18, 16, 12, 7, 4];
    const p = profile(`defaults: {gateway: ns/gw}\nclasses: [{path: /}]\nrate: 0.5\nstart: "2026-01-01T00:00:00Z"\ndaily: [${shape}]`);
    const end = Date.parse("2026-01-03T00:00:00Z");
    const t = times(p, 100_000).filter((x) => x < end);
    expect(Math.abs(t.length - 86_400)).toBeLessThan(5 * Math.sqrt(86_400)); // Poisson: sd sqrt(mean)
    const hours = tally(t.map((x) => String(new Date(x).getUTCHours())));
    expect(fit(hours, Object.fromEntries(shape.map((w, h) => [String(h), w])))).toBeGreaterThan(1e-4);
    // The flat shape would fail that test by far.
    expect(fit(hours, Object.fromEntries(shape.map((_, h) => [String(h), 1])))).toBeLessThan(1e-10);
  });

  it("start is honoured with its offset, whatever the machine's time zone", () => {
    const p = flat(50, "2026-03-29T02:30:00+02:00");
    const before = process.env.TZ;
    try {
      process.env.TZ = "Europe/Berlin"; // a DST change that night: irrelevant, everything is UTC
      const berlin = take(p, 1000).map((r) => JSON.stringify(r)).join("\n");
      process.env.TZ = "Pacific/Chatham";
      const chatham = take(p, 1000).map((r) => JSON.stringify(r)).join("\n");
      expect(berlin).toBe(chatham);
    } finally {
      if (before === undefined) delete process.env.TZ;
      else process.env.TZ = before;
    }
    const first = Date.parse(take(p, 1)[0]!.time as string);
    expect(first).toBeGreaterThanOrEqual(Date.parse("2026-03-29T00:30:00Z"));
    expect(first).toBeLessThan(Date.parse("2026-03-29T00:30:01Z"));
  });

  it("a very low rate skips empty days at once and still follows the rate", () => {
    const t = times(flat(1e-5), 2000); // one request a ~day
    const days = (t[1999]! - Date.parse("2026-01-01T00:00:00Z")) / 86_400_000;
    expect(Math.abs(days - 2000 / 0.864)).toBeLessThan((5 * Math.sqrt(2000)) / 0.864);
  });
});

describe("arrivals in a time zone (timeZone)", () => {
  const HOUR = 3_600_000;
  // The reference reads the local hour as a clock shows it (Intl's hour field), not through offsets.
  const localHour = (zone: string) => {
    const f = new Intl.DateTimeFormat("en-US", { timeZone: zone, hour: "numeric", hourCycle: "h23" });
    return (t: number) => Number(f.format(t));
  };
  const shaped = (shape: number[], zone: string, rate: number, start: string) =>
    profile(`defaults: {gateway: ns/gw}\nclasses: [{path: /}]\nrate: ${rate}\nstart: "${start}"\ndaily: [${shape}]\ntimeZone: ${zone}`);
  const times = (p: SynthProfile, n: number, seed = 9) => take(p, n, seed).map((r) => Date.parse(r.time as string));
  const byHour = (ts: number[], hourOf: (t: number) => number) => tally(ts.map((t) => String(hourOf(t))));
  const weightsOf = (shape: number[]) => Object.fromEntries(shape.map((w, h) => [String(h), w]));
  const shape = [1, 1, 1, 1, 1, 2, 4, 6, 8, 9, 10, 12, 14, 12, 10, 10, 11, 13, 16, 18, 16, 12, 7, 4];

  it.each([
    { zone: "Europe/Berlin", start: "2026-07-01T00:00:00+02:00", end: "2026-07-03T00:00:00+02:00" },
    { zone: "Asia/Kolkata", start: "2026-07-01T00:00:00+05:30", end: "2026-07-03T00:00:00+05:30" }, // hours start at :30 UTC
    { zone: "America/St_Johns", start: "2026-01-10T00:00:00-03:30", end: "2026-01-12T00:00:00-03:30" },
  ])("$zone: arrivals follow the shape by local hour (chi-square over two local days), not by UTC hour", ({ zone, start, end }) => {
    const t = times(shaped(shape, zone, 0.5, start), 100_000).filter((x) => x < Date.parse(end));
    expect(Math.abs(t.length - 86_400)).toBeLessThan(5 * Math.sqrt(86_400));
    expect(fit(byHour(t, localHour(zone)), weightsOf(shape))).toBeGreaterThan(1e-4);
    // A generator that ignored the zone would put the shape on UTC hours: that fails by far here.
    expect(fit(byHour(t, (x) => new Date(x).getUTCHours()), weightsOf(shape))).toBeLessThan(1e-10);
  });

  // Hour 2 (local) is heavy: it is skipped on the day DST starts and repeated on the day it ends.
  const dstShape = shape.map((w, h) => (h === 2 ? 40 : h === 3 ? 20 : w));
  const rate = 1.5;
  const unit = (rate * 3600) / (dstShape.reduce((a, b) => a + b, 0) / 24); // expected arrivals in an hour of weight 1
  it.each([
    { title: "23-hour day (DST starts, 02:00 → 03:00)", from: "2026-03-28T23:00:00Z", hours: 23, start: "2026-03-28T12:00:00Z" },
    { title: "25-hour day (DST ends, 02:00 twice)", from: "2026-10-24T22:00:00Z", hours: 25, start: "2026-10-24T12:00:00Z" },
  ])("Europe/Berlin, $title: each real hour gets the rate of its wall-clock hour", ({ from, hours, start }) => {
    const t0 = Date.parse(from);
    const t = times(shaped(dstShape, "Europe/Berlin", rate, start), 400_000, 13).filter((x) => x >= t0 && x < t0 + hours * HOUR);
    const hourOf = localHour("Europe/Berlin");
    // The reference: the local hour at the middle of each UTC hour of the local day.
    const expected: Record<string, number> = {};
    for (let i = 0; i < hours; i++) expected[String(i)] = dstShape[hourOf(t0 + i * HOUR + HOUR / 2)]!;
    const counts = tally(t.map((x) => String(Math.floor((x - t0) / HOUR))));
    expect(fit(counts, expected)).toBeGreaterThan(1e-4);
    const total = Object.values(expected).reduce((a, b) => a + b, 0) * unit;
    expect(Math.abs(t.length - total)).toBeLessThan(5 * Math.sqrt(total)); // Poisson: sd sqrt(mean)
    expect(Object.values(expected).filter((w) => w === 40).length).toBe(hours === 25 ? 2 : 0);
    // A fixed offset (standard time all day, as a zone without DST would give) fails the same test by far.
    const fixed: Record<string, number> = {};
    for (let i = 0; i < hours; i++) fixed[String(i)] = dstShape[(new Date(t0 + i * HOUR).getUTCHours() + 1) % 24]!;
    expect(fit(counts, fixed)).toBeLessThan(1e-10);
  });

  it("a low rate over years of DST changes (whole days skipped at once) still follows the local shape", () => {
    // America/Santiago changes its clocks at local midnight, where days are skipped.
    for (const zone of ["Europe/Berlin", "America/Santiago"]) {
      const t = times(shaped(shape, zone, 2e-4, "2026-01-01T00:00:00Z"), 30_000, 21);
      const years = (t.at(-1)! - t[0]!) / (365.25 * 24 * HOUR);
      expect(years).toBeGreaterThan(4);
      expect(fit(byHour(t, localHour(zone)), weightsOf(shape)), zone).toBeGreaterThan(1e-4);
      expect(t.every((x, i) => i === 0 || x >= t[i - 1]!)).toBe(true);
    }
  });
});
