/**
 * A timed trace replayed across a rollout's snapshots: each request's time picks the step whose
 * routes it meets; it is decided against that step's world with its index in the whole trace,
 * so draws are the same as in a plain replay. Per step and overall: the replay report, the share
 * of the canary, users exposed to it (drawn, and expected from the decision probabilities) and
 * users who saw both versions, and failed requests expected from per-backend error rates, after
 * the route rules' retries (retry.ts) and the backends' retry budgets.
 *
 * Schedule (a choice; see docs/decisions.md): the rollout starts at `start` (default: the first
 * timed request). A timed step lasts its duration, the last (promoted) state until the end. A
 * pause without a duration waits for someone to promote by hand: it lasts `pauseMs` when given;
 * otherwise, when the trace's end is known (an array, a trace factory read twice, or `end`),
 * the time the timed steps leave is shared equally between such pauses; otherwise the first such
 * pause holds until the end of the trace and a warning says so. Requests before the start meet
 * the world as it was; requests without a time are counted and skipped.
 */
import { buildWorld as coreBuildWorld, type BackendId, type BuildOptions, type Decision, type ManifestObject, type RouteRef } from "@gwsim/core";
import { buildReport, newEngine, observe, timeOf, type AggState, type Engine, type Observation } from "../replay/engine.js";
import { coreDecide, engineConfig } from "../replay/replay.js";
import { requestOf } from "../replay/request-class.js";
import { seededUniform } from "../replay/split.js";
import { RetryBudget } from "../serve/retry-budget.js";
import type { DecideFn, Precision, Report, SplitMode, TraceRecord } from "../replay/types.js";
import { cookieJar, keepCookies, withCookies } from "./cookie-jar.js";
import { formatDuration } from "./duration.js";
import { allowedShare, budgetAllows, budgetLookup, DEFAULT_ERROR_CODE, DEFAULT_RETRY_ATTEMPTS, retriesFor, retryLookup, retryOutcome, type BudgetConfig, type ErrorCode, type RetryPolicy } from "./retry.js";
import type { RolloutPlan, RolloutStep, StepHold } from "./types.js";

export interface RolloutReplayOptions<W> {
  seed?: number;
  split?: SplitMode;
  precision?: Precision;
  /**
   * Probability that a request fails once it reaches a backend: by Service (`namespace/name`,
   * any port, or `namespace/name:port`), whatever version it runs, or by version (`new`, `old`:
   * the Services of the new and the old version at the request's step). A Service's own rate wins.
   */
  errorRates?: Record<string, number>;
  /**
   * The status a failure of `errorRates[key]` answers (400–999), or `reset` for a connection error;
   * default 503. It decides which route rule retries apply (retry.ts).
   */
  errorCodes?: Record<string, ErrorCode>;
  /** When the rollout starts (RFC 3339 or epoch ms); default the first timed request. */
  start?: string | number;
  /** When the trace ends, if known without reading it (to share out manual pauses). */
  end?: string | number;
  /** How long a pause without a duration holds, in milliseconds. */
  pauseMs?: number;
  decide?: DecideFn<W>;
  /** Turns a step's objects into a world; default `@gwsim/core`'s buildWorld with `buildOptions`. */
  buildWorld?: (objects: ManifestObject[]) => W;
  buildOptions?: BuildOptions;
  onProgress?: (requests: number) => void;
  progressEvery?: number;
}

export interface FailedRequests {
  /**
   * Σ over requests of the probability to fail as the user sees it: a gateway 5xx, or the chosen
   * backend's error rate after the route rule's retries (and the backend's retry budget).
   */
  expected: number;
  /** In the seeded replay: gateway 5xx plus seeded draws (one per attempt) against the error rate of the backend used. */
  drawn: number;
  /** 5xx the gateway answered itself (no valid backend), in the seeded replay. */
  gateway: number;
  /** As `expected` and `drawn` without retries: Σ p·rate, and the first attempts' draws. */
  expectedWithoutRetries: number;
  drawnWithoutRetries: number;
  /** Attempts beyond the first that retries send (extra load on the backends): expected, and in the seeded replay. */
  expectedRetries: number;
  retries: number;
  /** Retries a backend's retry budget refused (each answers 503, GEP-3388): expected, and in the seeded replay. */
  expectedRetriesRefused: number;
  retriesRefused: number;
}

export interface CanaryExposure {
  /** Services (`namespace/name`) counted as the new version, and as the old one. */
  canary: string[];
  stable: string[];
  requests: number;
  /** Distinct users with at least one request. */
  users: number;
  /** Requests the seeded replay sent to the new version, and their share. */
  canaryRequests: number;
  canaryShare: number;
  /** Σ probability of the new version over requests (no sampling noise), and its share. */
  expectedCanaryRequests: number;
  expectedCanaryShare: number;
  /** Requests on the old version: in the seeded replay and expected. */
  stableRequests: number;
  expectedStableRequests: number;
  /**
   * Of the requests that reached either version, the share on the new one: drawn, and expected
   * (what to hold against the canary weight; header routes and sticky rules move it off the weight).
   */
  newVersionShare: number;
  expectedNewVersionShare: number;
  /** Users with at least one request on the new version in the seeded replay. */
  usersExposed: number;
  /** Σ over users of 1 − Π (1 − p_new): users expected to meet the new version (independent draws). */
  expectedUsersExposed: number;
  /** Users who met both versions in the seeded replay. */
  usersBoth: number;
  /** Σ over users of P(met both) = 1 − Π(1 − p_new) − Π(1 − p_old) + Π(1 − p_new − p_old) … as probabilities of never. */
  expectedUsersBoth: number;
  failed: FailedRequests;
}

export interface RolloutStepReport {
  /** Index into the plan's steps; -1 for the requests before the rollout started. */
  index: number;
  name: string;
  weight: number | null;
  hold: StepHold | "before";
  /** RFC 3339; null for an end that never comes (the last state) or a start before any request. */
  start: string | null;
  end: string | null;
  /** Milliseconds the step held in this replay (null: open-ended). */
  duration: number | null;
  report: Report;
  exposure: CanaryExposure;
}

export interface RolloutReport {
  kind: RolloutPlan["kind"];
  name: string | null;
  requests: number;
  seed: number;
  split: SplitMode;
  precision: Precision;
  /** Requests without a usable time (skipped). */
  untimed: number;
  start: string | null;
  /** Steps in order (with `before` first when requests came before the start). */
  steps: RolloutStepReport[];
  overall: { report: Report; exposure: CanaryExposure };
  errorRates: Record<string, number>;
  /** The code each error rate fails with (503 unless given): route rules retry the codes they list. */
  errorCodes: Record<string, ErrorCode>;
  warnings: string[];
}

type TraceInput = Iterable<TraceRecord> | AsyncIterable<TraceRecord>;

interface UserExposure {
  /** Probabilities of never meeting the new version, the old one, and neither. */
  qNew: number;
  qOld: number;
  qNone: number;
  /** Bit 1: met the new version in the seeded replay; bit 2: the old one. */
  seen: number;
}

interface ExposureAgg {
  canary: Set<string>;
  stable: Set<string>;
  requests: number;
  canaryRequests: number;
  expectedCanary: number;
  stableRequests: number;
  expectedStable: number;
  users: Map<string, UserExposure>;
  failed: FailedRequests;
}

function newExposure(canary: readonly string[], stable: readonly string[]): ExposureAgg {
  return {
    canary: new Set(canary),
    stable: new Set(stable),
    requests: 0,
    canaryRequests: 0,
    expectedCanary: 0,
    stableRequests: 0,
    expectedStable: 0,
    users: new Map(),
    failed: { expected: 0, drawn: 0, gateway: 0, expectedWithoutRetries: 0, drawnWithoutRetries: 0, expectedRetries: 0, retries: 0, expectedRetriesRefused: 0, retriesRefused: 0 },
  };
}

function serviceOf(b: BackendId): string {
  return `${b.namespace}/${b.name}`;
}

/**
 * Parse `ns/svc=0.02`, `ns/svc:8080=2%`, `new=1%`, with an optional failure code after the rate:
 * `ns/svc=0.02:503`, `new=1%:reset` (a connection error): a CLI `--error-rate`.
 */
export function parseErrorRate(spec: string): { ok: true; key: string; rate: number; code: ErrorCode | null } | { ok: false; message: string } {
  const eq = spec.lastIndexOf("=");
  if (eq < 0) return { ok: false, message: "expected namespace/service[:port]=RATE[:CODE], new=RATE or old=RATE (RATE: 0.02 or 2%; CODE: an HTTP status 400-999 or reset, default 503)" };
  const key = spec.slice(0, eq).trim();
  if (key !== "new" && key !== "old" && !/^[^/\s]+\/[^/:\s]+(:\d+)?$/.test(key)) {
    return { ok: false, message: `${JSON.stringify(key)}: expected namespace/service[:port], new or old` };
  }
  let text = spec.slice(eq + 1).trim();
  let code: ErrorCode | null = null;
  const colon = text.indexOf(":");
  if (colon >= 0) {
    const c = text.slice(colon + 1).trim();
    text = text.slice(0, colon).trim();
    // HTTPRouteRetryStatusCode spans 100–999; a success or redirect is no failure.
    if (c.toLowerCase() === "reset") code = "reset";
    else if (/^\d{3}$/.test(c) && Number(c) >= 400) code = Number(c);
    else return { ok: false, message: `code ${JSON.stringify(c)}: expected an HTTP status from 400 to 999, or reset (a connection error)` };
  }
  const pct = text.endsWith("%");
  const value = Number(pct ? text.slice(0, -1) : text);
  const rate = pct ? value / 100 : value;
  if (text === "" || !Number.isFinite(rate) || rate < 0 || rate > 1) return { ok: false, message: `rate ${JSON.stringify(text)}: expected a number from 0 to 1, or a percentage` };
  return { ok: true, key, rate, code };
}

interface ErrorSpec {
  rate: number;
  code: ErrorCode;
}

const NO_ERROR: ErrorSpec = { rate: 0, code: DEFAULT_ERROR_CODE };

function errorOf(errors: ReadonlyMap<string, ErrorSpec>, b: BackendId, versions: ExposureAgg): ErrorSpec {
  if (errors.size === 0) return NO_ERROR;
  const svc = serviceOf(b);
  const own = errors.get(`${svc}:${b.port ?? ""}`) ?? errors.get(svc);
  if (own !== undefined) return own;
  if (versions.canary.has(svc)) return errors.get("new") ?? NO_ERROR;
  if (versions.stable.has(svc)) return errors.get("old") ?? NO_ERROR;
  return NO_ERROR;
}

/** One request's figures, worked out once and added to its step and to the whole. */
interface Assessed {
  pNew: number;
  pOld: number;
  fail: number;
  failWithoutRetries: number;
  retries: number;
  /** Bit 1: met the new version in the seeded replay; bit 2: the old one. */
  seen: number;
  gateway: boolean;
  drawnFail: boolean;
  drawnFailWithoutRetries: boolean;
  drawnRetries: number;
  drawnRefused: number;
}

/** What the request's step knows: its versions, its world's retry policies and budgets. */
interface RequestContext {
  versions: ExposureAgg;
  errors: ReadonlyMap<string, ErrorSpec>;
  retry: RetryPolicy | null;
  budgetOf: (b: BackendId) => BudgetConfig | null;
  /** The seeded replay's budget for a backend (per gateway, as each proxy keeps its own). */
  drawnBudget: (b: BackendId, c: BudgetConfig) => RetryBudget;
  /** Expected first attempts and retry groups of a budget in the request's interval. */
  expectBudget: (b: BackendId, c: BudgetConfig, p: number, rate: number, n: number) => void;
  seed: number;
  index: number;
}

function assess(a: Assessed, o: Observation, cx: RequestContext): void {
  const { versions, errors, retry } = cx;
  a.pNew = a.pOld = a.fail = a.failWithoutRetries = a.retries = 0;
  a.seen = 0;
  a.gateway = a.drawnFail = a.drawnFailWithoutRetries = false;
  a.drawnRetries = a.drawnRefused = 0;
  if (o.probabilities.length) {
    for (const { backend, p } of o.probabilities) {
      const svc = serviceOf(backend);
      if (versions.canary.has(svc)) a.pNew += p;
      else if (versions.stable.has(svc)) a.pOld += p;
      if (!backend.valid) {
        // The gateway answers 500 itself: no backend request, nothing to retry.
        a.fail += p;
        a.failWithoutRetries += p;
        continue;
      }
      const e = errorOf(errors, backend, versions);
      const n = e.rate > 0 ? retriesFor(retry, e.code) : 0;
      a.failWithoutRetries += p * e.rate;
      if (n === 0) a.fail += p * e.rate;
      else {
        const r = retryOutcome(e.rate, n);
        a.fail += p * r.fail;
        a.retries += p * r.retries;
      }
      const budget = cx.budgetOf(backend);
      if (budget) cx.expectBudget(backend, budget, p, e.rate, n);
    }
  } else if (o.status !== null && o.status >= 500) a.fail = a.failWithoutRetries = 1;
  if (o.status !== null && o.status >= 500) {
    a.gateway = a.drawnFail = a.drawnFailWithoutRetries = true;
    return;
  }
  if (!o.backend || !o.backend.valid || o.outcome !== "forward") return;
  const svc = serviceOf(o.backend);
  if (versions.canary.has(svc)) a.seen = 1;
  else if (versions.stable.has(svc)) a.seen = 2;
  const e = errorOf(errors, o.backend, versions);
  const config = cx.budgetOf(o.backend);
  const budget = config ? cx.drawnBudget(o.backend, config) : null;
  budget?.request();
  if (!(e.rate > 0)) return;
  let failed = seededUniform(cx.seed, cx.index, "error-rate") < e.rate;
  a.drawnFailWithoutRetries = failed;
  // Retries stay on the backend of the first attempt (retry.ts); each attempt draws on its own.
  const n = failed ? retriesFor(retry, e.code) : 0;
  for (let k = 1; failed && k <= n; k++) {
    if (budget && !budget.tryRetry()) {
      a.drawnRefused++;
      break;
    }
    a.drawnRetries++;
    failed = seededUniform(cx.seed, cx.index, "error-rate/retry", k) < e.rate;
  }
  a.drawnFail = failed;
}

/** Count one assessed request. */
function account(agg: ExposureAgg, user: string | undefined, a: Assessed): void {
  agg.requests++;
  agg.expectedCanary += a.pNew;
  agg.expectedStable += a.pOld;
  const f = agg.failed;
  f.expected += a.fail;
  f.expectedWithoutRetries += a.failWithoutRetries;
  f.expectedRetries += a.retries;
  if (a.gateway) f.gateway++;
  if (a.drawnFail) f.drawn++;
  if (a.drawnFailWithoutRetries) f.drawnWithoutRetries++;
  f.retries += a.drawnRetries;
  f.retriesRefused += a.drawnRefused;
  if (a.seen === 1) agg.canaryRequests++;
  else if (a.seen === 2) agg.stableRequests++;
  if (!user) return;
  let u = agg.users.get(user);
  if (!u) agg.users.set(user, (u = { qNew: 1, qOld: 1, qNone: 1, seen: 0 }));
  u.qNew *= 1 - a.pNew;
  u.qOld *= 1 - a.pOld;
  u.qNone *= Math.max(0, 1 - a.pNew - a.pOld);
  u.seen |= a.seen;
}

function exposureOf(agg: ExposureAgg): CanaryExposure {
  let exposed = 0;
  let both = 0;
  let expExposed = 0;
  let expBoth = 0;
  for (const u of agg.users.values()) {
    if (u.seen & 1) exposed++;
    if (u.seen === 3) both++;
    expExposed += 1 - u.qNew;
    // P(new and old) = 1 − P(no new) − P(no old) + P(neither).
    expBoth += Math.max(0, 1 - u.qNew - u.qOld + u.qNone);
  }
  return {
    canary: [...agg.canary].sort(),
    stable: [...agg.stable].sort(),
    requests: agg.requests,
    users: agg.users.size,
    canaryRequests: agg.canaryRequests,
    canaryShare: agg.requests ? agg.canaryRequests / agg.requests : 0,
    expectedCanaryRequests: agg.expectedCanary,
    expectedCanaryShare: agg.requests ? agg.expectedCanary / agg.requests : 0,
    stableRequests: agg.stableRequests,
    expectedStableRequests: agg.expectedStable,
    newVersionShare: agg.canaryRequests + agg.stableRequests ? agg.canaryRequests / (agg.canaryRequests + agg.stableRequests) : 0,
    expectedNewVersionShare: agg.expectedCanary + agg.expectedStable > 0 ? agg.expectedCanary / (agg.expectedCanary + agg.expectedStable) : 0,
    usersExposed: exposed,
    expectedUsersExposed: expExposed,
    usersBoth: both,
    expectedUsersBoth: expBoth,
    failed: { ...agg.failed },
  };
}

interface Window {
  index: number;
  step: RolloutStep | null;
  start: number;
  end: number;
}

/** Start and end of every step, given the rollout's start and (if known) the trace's end. */
export function schedule(steps: readonly RolloutStep[], start: number, end: number | null, pauseMs: number | undefined, warnings: string[]): Window[] {
  const manual = steps.filter((s) => s.hold === "manual").length;
  const timed = steps.reduce((a, s) => a + (s.hold === "timed" ? s.duration ?? 0 : 0), 0);
  let manualMs: number;
  if (pauseMs !== undefined) manualMs = pauseMs;
  else if (manual === 0) manualMs = 0;
  else if (end !== null) {
    manualMs = Math.max(0, (end - start - timed) / manual);
    warnings.push(
      `${manual} pause${manual > 1 ? "s" : ""} without a duration: each taken to last ${formatDuration(Math.round(manualMs))}, an equal part of the trace the timed steps leave (set pauseMs to choose)`,
    );
  } else {
    manualMs = Infinity;
    warnings.push("a pause without a duration holds until the end of the trace: later steps get no requests (set pauseMs, or pass the trace's end)");
  }
  const out: Window[] = [];
  let t = start;
  steps.forEach((s, index) => {
    const d = s.hold === "timed" ? s.duration ?? 0 : s.hold === "manual" ? manualMs : Infinity;
    out.push({ index, step: s, start: t, end: t + d });
    t += d;
  });
  return out;
}

async function bounds(trace: TraceInput): Promise<{ first: number | null; last: number | null }> {
  let first: number | null = null;
  let last: number | null = null;
  const see = (r: TraceRecord): void => {
    const t = timeOf(r.time);
    if (!Number.isFinite(t)) return;
    if (first === null) first = t;
    if (last === null || t > last) last = t;
  };
  if (Symbol.asyncIterator in trace) for await (const r of trace) see(r);
  else for (const r of trace) see(r);
  return { first, last };
}

function iso(ms: number): string | null {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}

function toMs(t: string | number | undefined): number | null {
  if (t === undefined) return null;
  const ms = timeOf(t);
  return Number.isFinite(ms) ? ms : null;
}

/**
 * Replay a timed trace across a rollout plan. `trace` may be a function returning the trace:
 * it is then read twice, once for its time span (to share out pauses without a duration).
 */
export async function replayRollout<W = unknown>(
  plan: RolloutPlan,
  trace: TraceInput | (() => TraceInput),
  options: RolloutReplayOptions<W> = {},
): Promise<RolloutReport> {
  const config = engineConfig({ seed: options.seed, split: options.split, precision: options.precision });
  const decide = options.decide ?? coreDecide<W>();
  const build = options.buildWorld ?? ((objects: ManifestObject[]) => coreBuildWorld(objects, options.buildOptions ?? {}) as unknown as W);
  const rates = options.errorRates ?? {};
  const codes: Record<string, ErrorCode> = {};
  const errors = new Map<string, ErrorSpec>();
  const warnings: string[] = [];
  for (const [k, r] of Object.entries(rates)) {
    if (!(r >= 0 && r <= 1)) warnings.push(`error rate ${k}=${r} is outside [0, 1]`);
    codes[k] = options.errorCodes?.[k] ?? DEFAULT_ERROR_CODE;
    errors.set(k, { rate: r, code: codes[k]! });
  }
  for (const k of Object.keys(options.errorCodes ?? {})) if (!(k in rates)) warnings.push(`error code for ${k} without an error rate: ignored`);

  let start = toMs(options.start);
  let end = toMs(options.end);
  let input: TraceInput;
  if (typeof trace === "function") {
    const b = await bounds(trace());
    start ??= b.first;
    end ??= b.last === null ? null : b.last + 1;
    input = trace();
  } else {
    input = trace;
    if (Array.isArray(trace)) {
      const b = await bounds(trace);
      start ??= b.first;
      end ??= b.last === null ? null : b.last + 1;
    }
  }

  let windows: Window[] | null = null;
  interface Lane {
    engine: Engine;
    world: W | null;
    exposure: ExposureAgg;
    window: Window;
    retryOf: (d: Decision) => RetryPolicy | null;
    budgetOf: (b: BackendId) => BudgetConfig | null;
  }
  const lanes = new Map<number, Lane>();
  // Sticky sessions outlive a step: one cookie jar for all of them.
  const sessions = config.split === "cookie" ? new Map<string, string>() : undefined;
  const overall = newExposure([], []);
  // Cookies the controller's routes set to pin users (Flagger sessionAffinity), kept per user.
  const jar = plan.sessionCookies?.length ? cookieJar(plan.sessionCookies) : null;
  let anonymous = 0;
  let untimed = 0;
  let index = 0;
  const every = options.progressEvery ?? 10_000;

  const beforeWindow = (): Window => ({ index: -1, step: null, start: -Infinity, end: start ?? -Infinity });
  const laneFor = (w: Window) => {
    let lane = lanes.get(w.index);
    if (!lane) {
      const canary = w.step ? w.step.canary : [];
      const stable = w.step ? w.step.stable : plan.steps[0]?.stable ?? [];
      const world = build([...(w.step ? w.step.objects : plan.before)]);
      lane = { engine: newEngine(config, { probabilities: true, sessions }), world, exposure: newExposure(canary, stable), window: w, retryOf: retryLookup(world), budgetOf: budgetLookup(world) };
      lanes.set(w.index, lane);
    }
    return lane;
  };
  let cursor = 0;
  const windowAt = (t: number): Window => {
    if (start === null || t < start) return beforeWindow();
    windows ??= schedule(plan.steps, start, end, options.pauseMs, warnings);
    if (windows.length === 0) return beforeWindow();
    // Traces run forward in time: start from the last window used.
    if (cursor >= windows.length || t < windows[cursor]!.start) cursor = 0;
    while (cursor < windows.length - 1 && t >= windows[cursor]!.end) cursor++;
    return windows[cursor]!;
  };

  // Retry budgets, in the seeded replay: one per gateway and budget, on the requests' clock.
  let clock = 0;
  const drawnBudgets = new Map<string, RetryBudget>();
  // In expectation: per gateway, budget and interval, the expected first attempts and the
  // requests whose retries the budget may cut (by step, rate and retries allowed).
  const expectedBudgets = new Map<string, { config: BudgetConfig; first: number; groups: Map<string, { lane: number; weight: number; rate: number; n: number }> }>();
  const defaultAttempts = new Set<string>();
  const unretried = new Map<string, Set<string>>();
  const assessed: Assessed = { pNew: 0, pOld: 0, fail: 0, failWithoutRetries: 0, retries: 0, seen: 0, gateway: false, drawnFail: false, drawnFailWithoutRetries: false, drawnRetries: 0, drawnRefused: 0 };
  let gatewayOf = "";
  let laneIndex = 0;
  const cx: RequestContext = {
    versions: overall,
    errors,
    retry: null,
    budgetOf: () => null,
    drawnBudget: (b, c) => {
      const key = `${gatewayOf}|${c.key}`;
      let budget = drawnBudgets.get(key);
      if (!budget) drawnBudgets.set(key, (budget = new RetryBudget(c, () => clock)));
      return budget;
    },
    expectBudget: (_b, c, p, rate, n) => {
      const key = `${gatewayOf}|${c.key}|${Math.floor(clock / c.intervalMs)}`;
      let bucket = expectedBudgets.get(key);
      if (!bucket) expectedBudgets.set(key, (bucket = { config: c, first: 0, groups: new Map() }));
      bucket.first += p;
      if (n === 0 || !(rate > 0)) return;
      const gk = `${laneIndex}|${rate}|${n}`;
      const g = bucket.groups.get(gk);
      if (g) g.weight += p;
      else bucket.groups.set(gk, { lane: laneIndex, weight: p, rate, n });
    },
    seed: config.seed,
    index: 0,
  };

  const ruleLabel = (r: RouteRef) => `${r.kind} ${r.namespace}/${r.name} rule ${r.ruleName ?? r.rule}`;
  // A shared (frozen) route ref is one rule match of one step's world: looked at once.
  const noted = new WeakSet<object>();
  /** What the report should say about a rule's retry: an attempts default taken, error codes it does not retry. */
  const noteRetry = (retry: RetryPolicy, route: RouteRef, o: Observation): void => {
    if (Object.isFrozen(route)) {
      if (noted.has(route)) return;
      noted.add(route);
    }
    for (const { backend } of o.probabilities) {
      if (!backend.valid) continue;
      const e = errorOf(errors, backend, cx.versions);
      if (!(e.rate > 0)) continue;
      if (retriesFor(retry, e.code) > 0) {
        if (retry.attempts === undefined) defaultAttempts.add(ruleLabel(route));
        continue;
      }
      const label = `${ruleLabel(route)} retries ${retry.codes?.length ? `codes ${retry.codes.join(", ")}` : "no status codes (connection errors only)"}`;
      let set = unretried.get(label);
      if (!set) unretried.set(label, (set = new Set()));
      set.add(String(e.code));
    }
  };
  /** Apply the expected retry budgets: where an interval's retries exceed one, each retry goes with the share it allows. */
  const cutByBudgets = (): void => {
    for (const bucket of expectedBudgets.values()) {
      const groups = [...bucket.groups.values()];
      if (!groups.length) continue;
      const share = allowedShare(groups, budgetAllows(bucket.config, bucket.first));
      if (share >= 1) continue;
      for (const g of groups) {
        const full = retryOutcome(g.rate, g.n);
        const cut = retryOutcome(g.rate, g.n, share);
        for (const agg of [lanes.get(g.lane)!.exposure, overall]) {
          agg.failed.expected += g.weight * (cut.fail - full.fail);
          agg.failed.expectedRetries += g.weight * (cut.retries - full.retries);
          agg.failed.expectedRetriesRefused += g.weight * cut.refused;
        }
      }
    }
  };

  const step = (record: TraceRecord): void => {
    const t = timeOf(record.time);
    if (!Number.isFinite(t)) {
      untimed++;
      index++;
      return;
    }
    start ??= t;
    const lane = laneFor(windowAt(t));
    const user = record.user;
    const request = jar && user ? withCookies(jar, user, requestOf(record), t) : requestOf(record);
    if (jar && !user) anonymous++;
    const decision = decide(lane.world!, request, { seed: config.seed, index, lean: true });
    if (jar && user) keepCookies(jar, user, request, decision, t);
    const o = observe(lane.engine, index, record, decision);
    cx.versions = lane.exposure;
    if (errors.size) {
      cx.retry = lane.retryOf(decision);
      cx.budgetOf = lane.budgetOf;
      if (cx.retry) noteRetry(cx.retry, decision.route!, o);
    } else cx.retry = null;
    cx.index = index;
    clock = t;
    gatewayOf = decision.listener?.gateway ?? "";
    laneIndex = lane.window.index;
    assess(assessed, o, cx);
    account(lane.exposure, record.user, assessed);
    // The overall view counts each request against its own step's versions.
    account(overall, record.user, assessed);
    index++;
    if (options.onProgress && index % every === 0) options.onProgress(index);
  };
  if (Symbol.asyncIterator in input) for await (const r of input) step(r);
  else for (const r of input) step(r);

  cutByBudgets();
  const budgeted = [...new Set([...expectedBudgets.values()].filter((b) => b.groups.size > 0).map((b) => `${b.config.policy} on ${b.config.backend}`))].sort();
  if (budgeted.length) {
    warnings.push(
      `retry budgets applied (${budgeted.join(", ")}): in expectation per fixed interval of the budget, in the seeded replay request by request on the trace's clock as serve does; a refused retry answers 503`,
    );
  }
  if (defaultAttempts.size) warnings.push(`retry without attempts (${[...defaultAttempts].sort().join(", ")}): taken as ${DEFAULT_RETRY_ATTEMPTS} retry, Envoy's default (the spec leaves it to implementations)`);
  for (const [rule, missing] of unretried) warnings.push(`${rule}: failures with ${[...missing].sort().join(", ")} are not retried`);
  if (jar) {
    warnings.push(
      `the routes set the cookie${jar.names.size > 1 ? "s" : ""} ${[...jar.names].join(", ")} to keep users on one version: each user's requests carry the ones they were given (expected figures are conditional on those seeded draws)`,
    );
    if (anonymous) warnings.push(`${anonymous} request${anonymous > 1 ? "s" : ""} without a user carried no cookie (a user key is what the cookie jar follows)`);
  }
  if (untimed) warnings.push(`${untimed} request${untimed > 1 ? "s" : ""} without a time could not be placed in a step and were skipped`);
  if (plan.steps.length === 0) warnings.push("the plan has no steps: every request met the world before the rollout");
  windows ??= start === null ? [] : schedule(plan.steps, start, end, options.pauseMs, warnings);

  const states: AggState[] = [];
  const steps: RolloutStepReport[] = [];
  const before = lanes.get(-1);
  const all = before ? [before.window, ...windows] : windows;
  const canaryAll = new Set<string>();
  const stableAll = new Set<string>();
  for (const w of all) {
    const lane = lanes.get(w.index);
    const state = lane?.engine.state;
    if (state) states.push(state);
    const exposure = lane?.exposure ?? newExposure(w.step?.canary ?? [], w.step?.stable ?? []);
    for (const c of exposure.canary) canaryAll.add(c);
    for (const s of exposure.stable) stableAll.add(s);
    steps.push({
      index: w.index,
      name: w.step ? w.step.name : "before the rollout",
      weight: w.step ? w.step.weight : null,
      hold: w.step ? w.step.hold : "before",
      start: iso(w.start),
      end: iso(w.end),
      duration: Number.isFinite(w.end - w.start) ? w.end - w.start : null,
      report: buildReport(state ? [state] : [], config),
      exposure: exposureOf(exposure),
    });
  }
  const overallReport = buildReport(states, config);
  // Splits change weights from step to step: their rows only make sense per step.
  overallReport.splits = [];
  overall.canary = canaryAll;
  overall.stable = stableAll;
  const exposure = exposureOf(overall);
  return {
    kind: plan.kind,
    name: plan.name,
    requests: index,
    seed: config.seed,
    split: config.split,
    precision: config.precision,
    untimed,
    start: start === null ? null : iso(start),
    steps,
    overall: { report: overallReport, exposure },
    errorRates: { ...rates },
    errorCodes: codes,
    warnings: [...warnings, ...overallReport.warnings.filter((w) => !warnings.includes(w))],
  };
}

