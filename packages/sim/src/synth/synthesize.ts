/**
 * Synthetic traces from a profile. One seeded Alea stream drives every draw in a fixed order
 * (arrival, class, user, method and path or gRPC names, query, headers), so the same profile,
 * count and seed give the same trace byte for byte. Host placeholders draw from a second stream.
 */
import seedrandom from "seedrandom";
import type { TraceRecord } from "../trace/types.js";
import { encodeInPath, encodeQueryValue } from "./encode.js";
import { LAST_TIME_MS, parseRfc3339, type RequestClassSpec, type SynthProfile, type ValueSpec } from "./profile.js";
import { lowerHostTemplate } from "./host.js";
import { offsetChange, zoneOffset } from "./time-zone.js";
import { parseTemplate, renderTemplate, type Template } from "./template.js";

export interface SynthOptions {
  count: number;
  seed?: number;
}

type Weighted = { values: string[]; cumulative: number[]; total: number };

function weighted(entries: [string, number][]): Weighted {
  const values: string[] = [];
  const cumulative: number[] = [];
  let total = 0;
  for (const [v, w] of entries) {
    if (w <= 0) continue;
    total += w;
    values.push(v);
    cumulative.push(total);
  }
  return { values, cumulative, total };
}

function draw(w: Weighted, u: number): string {
  return w.values[lowerBound(w.cumulative, u * w.total)]!;
}

/** First index whose cumulative value exceeds x. */
function lowerBound(cumulative: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cumulative[mid]! > x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function compile(text: string): Template {
  const t = parseTemplate(text);
  if (!t.ok) throw new Error(`synthesize: invalid template ${JSON.stringify(text)} (validate the profile first): ${t.message}`);
  return t.template;
}

type CompiledValue = { name: string; probability: number; template?: Template; values?: Weighted };

function compileValues(specs: Record<string, ValueSpec>): CompiledValue[] {
  return Object.entries(specs).map(([name, spec]) =>
    typeof spec === "string"
      ? { name, probability: 1, template: compile(spec) }
      : {
          name,
          probability: spec.probability,
          ...(spec.value !== undefined ? { template: compile(spec.value) } : { values: weighted(Object.entries(spec.values ?? {})) }),
        },
  );
}

interface CompiledClass {
  spec: RequestClassSpec;
  entry: Pick<TraceRecord, "gateway" | "service" | "address" | "from" | "port" | "scheme" | "protocol" | "host">;
  /** A host with placeholders, drawn per request from the host stream (then `entry.host` is unset). */
  host: Template | null;
  method: Weighted;
  path: Template;
  grpc: { service: Template; method: Template } | null;
  query: CompiledValue[];
  headers: CompiledValue[];
}

function compileClass(c: RequestClassSpec, d: SynthProfile["defaults"]): CompiledClass {
  const entry: CompiledClass["entry"] = {};
  for (const k of ["gateway", "service", "address", "from", "port", "scheme", "protocol", "host"] as const) {
    const v = c[k] ?? d[k];
    if (v !== undefined) (entry as Record<string, unknown>)[k] = v;
  }
  let host: Template | null = null;
  if (typeof entry.host === "string" && /[{}]/.test(entry.host)) {
    host = lowerHostTemplate(compile(entry.host));
    delete entry.host;
  }
  const method = c.method ?? "GET";
  return {
    spec: c,
    entry,
    host,
    method: typeof method === "string" ? weighted([[method, 1]]) : weighted(Object.entries(method)),
    path: compile(c.path ?? "/"),
    grpc: c.grpc ? { service: compile(c.grpc.service), method: compile(c.grpc.method) } : null,
    query: compileValues(c.query),
    headers: compileValues(c.headers),
  };
}

/** Cumulative activity of the user population; rank 1 is the most active under zipf and pareto. */
function userCdf(users: NonNullable<SynthProfile["users"]>, seed: number): Float64Array {
  const n = users.count;
  const cdf = new Float64Array(n);
  const dist = users.distribution;
  // Pareto activities come from their own stream, so the population does not shift request draws.
  const rng = seedrandom.alea(`gwsim-synth-users:${seed}`);
  const activity: number[] = [];
  if (dist.type === "pareto") {
    for (let k = 0; k < n; k++) activity.push(Math.pow(1 - rng(), -1 / dist.alpha));
    activity.sort((a, b) => b - a);
  }
  let total = 0;
  for (let k = 0; k < n; k++) {
    total += dist.type === "zipf" ? Math.pow(k + 1, -dist.exponent) : dist.type === "pareto" ? activity[k]! : 1;
    cdf[k] = total;
  }
  return cdf;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** Arrivals would pass year 9999 (a very low rate for the count): a problem with the profile, not a bug. */
export class SynthRangeError extends Error {
  readonly code = "synth.time-range";
  constructor(readonly index: number) {
    super(`arrival ${index + 1} would fall after 9999-12-31T23:59:59.999Z: raise rate or lower --count`);
  }
}

/**
 * Whether `count` arrivals at the profile's mean rate would clearly run past year 9999 (the
 * expected end, with a margin for the daily shape's first partial day); checked before writing.
 */
export function arrivalsOutOfRange(profile: SynthProfile, count: number): boolean {
  return parseRfc3339(profile.start) + (count / profile.rate) * 1000 + DAY_MS > LAST_TIME_MS;
}

/** Arrivals of a Poisson process whose rate is piecewise constant per UTC hour (the daily shape). */
function arrivals(profile: SynthProfile, rng: () => number): () => number {
  const shape = profile.daily ?? new Array<number>(24).fill(1);
  const mean = shape.reduce((a, b) => a + b, 0) / 24;
  const perMs = shape.map((h) => (profile.rate * h) / mean / 1000);
  const perDay = perMs.reduce((a, b) => a + b * HOUR_MS, 0);
  if (profile.timeZone !== undefined) return zonedArrivals(profile, profile.timeZone, perMs, perDay, rng);
  let t = parseRfc3339(profile.start);
  let index = 0;
  return () => {
    let e = -Math.log(1 - rng());
    for (;;) {
      // At midnight, whole days of expected arrivals are skipped at once (a low rate would step hour by hour for ages).
      if (t % DAY_MS === 0 && e >= perDay) {
        const days = Math.floor(e / perDay);
        e -= days * perDay;
        t += days * DAY_MS;
      }
      if (!(t <= LAST_TIME_MS)) throw new SynthRangeError(index);
      const hour = Math.floor((((t % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS);
      const r = perMs[hour]!;
      const hourEnd = (Math.floor(t / HOUR_MS) + 1) * HOUR_MS;
      if (r > 0 && e / r < hourEnd - t) {
        t += e / r;
        if (!(t <= LAST_TIME_MS)) throw new SynthRangeError(index);
        index++;
        return t;
      }
      e -= r * (hourEnd - t);
      t = hourEnd;
    }
  };
}

const mod = (x: number, m: number): number => ((x % m) + m) % m;

/**
 * The same process on the wall clock of a time zone: the rate during local hour h is perMs[h].
 * A local hour is a stretch of constant offset between two local-hour boundaries, so a day that
 * skips an hour (DST starts) lasts 23 hours without that hour's rate, and a day that repeats one
 * lasts 25 with it twice. The arithmetic is the UTC loop's with `t + offset` for `t`: in a zone
 * whose offset is always 0 the draws and times are the same as without a zone.
 */
function zonedArrivals(profile: SynthProfile, zone: string, perMs: number[], perDay: number, rng: () => number): () => number {
  const offsetAt = zoneOffset(zone);
  let t = parseRfc3339(profile.start);
  // The local hour t is in: its offset, its index in the shape, where it ends, the offset after.
  let offset = 0;
  let hour = 0;
  let segmentEnd = -Infinity;
  let nextOffset = 0;
  let index = 0;
  const locate = (): void => {
    offset = t === segmentEnd ? nextOffset : offsetAt(t);
    const local = t + offset;
    hour = Math.floor(mod(local, DAY_MS) / HOUR_MS);
    const hourEnd = (Math.floor(local / HOUR_MS) + 1) * HOUR_MS - offset;
    const atEnd = offsetAt(hourEnd);
    // The offset changes within this hour or right at its end: the stretch ends at the change.
    segmentEnd = atEnd === offset ? hourEnd : offsetChange(offsetAt, t, hourEnd);
    nextOffset = atEnd === offset ? atEnd : offsetAt(segmentEnd);
  };
  return () => {
    let e = -Math.log(1 - rng());
    for (;;) {
      if (t >= segmentEnd) locate();
      // At local midnight, whole days without an offset change (24 local hours each) are skipped at once.
      if (mod(t + offset, DAY_MS) === 0 && e >= perDay) {
        const days = Math.min(Math.floor(e / perDay), Math.ceil((LAST_TIME_MS - t) / DAY_MS) + 1);
        let plain = 0;
        while (plain < days && offsetAt(t + (plain + 1) * DAY_MS) === offset) plain++;
        if (plain > 0) {
          e -= plain * perDay;
          t += plain * DAY_MS;
          segmentEnd = -Infinity;
          locate();
        }
      }
      if (!(t <= LAST_TIME_MS)) throw new SynthRangeError(index);
      const r = perMs[hour]!;
      if (r > 0 && e / r < segmentEnd - t) {
        t += e / r;
        if (!(t <= LAST_TIME_MS)) throw new SynthRangeError(index);
        index++;
        return t;
      }
      e -= r * (segmentEnd - t);
      t = segmentEnd;
    }
  };
}

function renderValue(v: CompiledValue, rng: () => number, user: string | undefined): string | undefined {
  if (v.probability < 1 && rng() >= v.probability) return undefined;
  return v.template ? renderTemplate(v.template, rng, user) : draw(v.values!, rng());
}

/** Requests drawn from the profile, lazily: `count` of them, in arrival order. */
export function* synthesize(profile: SynthProfile, options: SynthOptions): Generator<TraceRecord> {
  const seed = options.seed ?? 0;
  const rng = seedrandom.alea(`gwsim-synth:${seed}`);
  const classes = profile.classes.map((c) => compileClass(c, profile.defaults));
  const classPick = weighted(classes.map((c, i) => [String(i), c.spec.share]));
  const users = profile.users;
  const cdf = users ? userCdf(users, seed) : null;
  const nextTime = arrivals(profile, rng);
  // Host placeholders draw from their own stream, so a profile that gains one keeps every other draw.
  const hostRng = seedrandom.alea(`gwsim-synth-host:${seed}`);

  for (let i = 0; i < options.count; i++) {
    const time = new Date(Math.floor(nextTime())).toISOString();
    const c = classes[Number(draw(classPick, rng()))]!;
    let user: string | undefined;
    if (users && cdf) {
      const anonymous = users.anonymous > 0 && rng() < users.anonymous;
      const u = rng();
      if (!anonymous) user = `${users.prefix}${lowerBound(cdf, u * cdf[cdf.length - 1]!) + 1}`;
    }
    const host = c.host ? renderTemplate(c.host, hostRng, user) : undefined;
    // A gRPC class draws its names where an HTTP class draws method and path (no existing class has grpc).
    const grpc = c.grpc ? { service: renderTemplate(c.grpc.service, rng, user), method: renderTemplate(c.grpc.method, rng, user) } : undefined;
    const method = grpc ? "" : draw(c.method, rng());
    let path = grpc ? "" : renderTemplate(c.path, rng, user, encodeInPath);
    const query: string[] = [];
    for (const q of c.query) {
      const v = renderValue(q, rng, user);
      if (v !== undefined) query.push(`${encodeQueryValue(q.name)}=${encodeQueryValue(v)}`);
    }
    if (query.length) path += (path.includes("?") ? "&" : "?") + query.join("&");
    const headers: Record<string, string> = {};
    for (const h of c.headers) {
      const v = renderValue(h, rng, user);
      if (v !== undefined) headers[h.name.toLowerCase()] = v;
    }
    const record: TraceRecord = { time };
    if (user !== undefined) record.user = user;
    Object.assign(record, c.entry);
    if (host !== undefined) record.host = host;
    if (grpc) {
      // decide reads a `grpc` request as POST /service/method over HTTP/2 (core decide/request.ts).
      record.grpc = grpc;
    } else {
      record.method = method;
      record.path = path;
    }
    if (Object.keys(headers).length) record.headers = headers;
    yield record;
  }
}

/** The trace as JSON Lines (each line ends with "\n"), as `gwsim synth` prints it. */
export function* synthesizeJsonl(profile: SynthProfile, options: SynthOptions): Generator<string> {
  for (const r of synthesize(profile, options)) yield `${JSON.stringify(r)}\n`;
}
