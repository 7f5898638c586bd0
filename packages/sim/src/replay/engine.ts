/**
 * The replay engine: one request and its decision in, running aggregates out. Every aggregate is
 * a count, a set or an exact rational, so states from workers merge to exactly what one pass
 * would give; memory grows with distinct users, backends, splits and request classes, never
 * with the number of requests.
 */
import type { BackendId, BackendShare, Decision, Outcome, RouteRef } from "@gwsim/core";
import { grpcStatusOf } from "@gwsim/core";
import { addShare, expectedCounts, mergeShareGroups, newShareGroups, shareGroupId, type ShareGroup, type ShareGroups } from "../stats/exact-share.js";
import { chiSquareTest } from "../stats/chi-square.js";
import { wilson } from "../stats/wilson.js";
import {
  effectiveWeights,
  hashKeyOf,
  murmurHash2,
  pickByHash,
  pickByUniform,
  precisionWarnings,
  seededUniform,
  wrrNext,
  type EffectiveWeights,
} from "./split.js";
import { classOf, exampleOf } from "./request-class.js";
import { addToRow, forEachRow, newUserRows, type UserRows } from "./user-rows.js";
import { formatObservedBackend, parseObservedBackend, sameBackend } from "./observed.js";
import type {
  BackendRow,
  FailingClassRow,
  MirrorRow,
  ObservedDifference,
  Precision,
  Report,
  RouteRow,
  SplitMode,
  SplitRow,
  TimelineBucket,
  TraceRecord,
} from "./types.js";

export interface EngineConfig {
  seed: number;
  split: SplitMode;
  precision: Precision;
}

interface BackendAgg {
  id: BackendId;
  valid: boolean;
  count: number;
  /**
   * Users (ids into AggState.userNames) who reached it as backend 31 or later of a rule, which
   * a split's bitmask cannot hold (the CRD allows 16 backendRefs; hand-made tables may have more).
   * Everyone else who reached it is in the SplitUsers masks.
   */
  extraUsers: Set<number>;
}

/**
 * The users of one split: a route rule with one set of backends and weights (a rule whose
 * weights change, in a rollout, has one per set). Per user, a row in AggState.userRows: the
 * requests that hit the split, each offering every backend of weight > 0 its probability, and a
 * bitmask of the backends (indexes below 31) the user reached. One lookup per request; per
 * backend and per route what the report needs (users reached, expected users, users of several
 * backends) is derived once at the end (userFacts). Counts and masks only, so merges are exact.
 */
interface SplitUsers {
  /** Its number in userRows (the order splits were first met in this state). */
  id: number;
  routeKey: string;
  /** Backend keys, and the probability each is offered with (-1: weight 0, never offered). */
  keys: string[];
  ps: number[];
}

interface SplitAgg {
  route: RouteRef;
  backends: (BackendId & { valid: boolean; weight: number })[];
  effective: number[];
  counts: number[];
  n: number;
  sessionPersistence: boolean;
}

interface FailingAgg extends FailingClassRow {
  index: number;
}

interface MirrorAgg {
  id: BackendId;
  valid: boolean;
  count: number;
  /** percent → requests mirrored at that percent; summed exactly at the end. */
  percents: Map<number, number>;
}

interface TimelineBucketAgg {
  requests: number;
  /** Requests per backend label (TimelineAgg.labels); 0: none. */
  counts: number[];
}

interface TimelineAgg {
  level: number;
  buckets: Map<number, TimelineBucketAgg>;
  untimed: number;
  /** Backend labels, numbered in the order met (bucket counts are indexed by these numbers). */
  labels: string[];
  labelIds: Map<string, number>;
}

/** Plain, structured-clone-able state: what a worker sends back. */
export interface AggState {
  config: EngineConfig;
  requests: number;
  backends: Map<string, BackendAgg>;
  shares: ShareGroups;
  routes: Map<string, RouteRow>;
  statuses: Map<string, number>;
  outcomes: Map<string, number>;
  splits: Map<string, SplitAgg>;
  failing: Map<string, FailingAgg>;
  failingDropped: number;
  mirrors: Map<string, MirrorAgg>;
  observed: { records: number; compared: number; agree: number; diffs: Map<string, ObservedDifference>; diffsDropped: number };
  /** `<route key>\u0001<share group id>` → the split's users. */
  splitUsers: Map<string, SplitUsers>;
  /** (split users id, user id) → requests and backends reached. */
  userRows: UserRows;
  /** Users are interned: one string lookup per request, then integer sets. */
  userIds: Map<string, number>;
  userNames: string[];
  anonymous: number;
  unkeyed: number;
  timeline: TimelineAgg;
  warnings: Set<string>;
}

interface SplitInfo {
  key: string;
  /** The decision's backends array this was made from (lean decisions share one per rule). */
  from: readonly BackendShare[];
  written: number[];
  effective: EffectiveWeights;
  keys: string[];
  names: string[];
  backends: (BackendId & { valid: boolean })[];
  groupId: string;
  /** The state's aggregate of each backend. */
  aggs: BackendAgg[];
  /** Each backend's label number in the state's timeline. */
  labelIds: number[];
  /** The state's users of this split, its SplitAgg (none without a route) and share group (once counted). */
  users: SplitUsers;
  split: SplitAgg | undefined;
  share: ShareGroup | null;
}

/** A route rule as the engine meets it in decisions: its key, and the state's aggregates for it, once known. */
interface RouteSlot {
  kind: string;
  namespace: string;
  rule: number | null;
  key: string;
  row: RouteRow | null;
  info: SplitInfo | null;
  /** Lean decisions' backend objects (shared per rule) by their index in `idsOf`, once seen. */
  idsOf: readonly BackendShare[] | null;
  ids: (BackendId | undefined)[];
}

export interface Engine {
  state: AggState;
  splitInfo: Map<string, SplitInfo>;
  wrr: Map<string, number[]>;
  /** Fill Observation.probabilities (what-if needs them; a plain replay does not). */
  probabilities: boolean;
  /**
   * The `cookie` mode's jar, when the weights can change between requests (a rollout's steps,
   * which share one): `<rule>\u0000<user>` → the backend key the user's session is on. Without
   * it a session is the first-visit draw, which with fixed weights is the same backend every time.
   */
  sessions: Map<string, string> | null;
  routeKeys: Map<string, RouteSlot[]>;
  /** Slots by the decision's route object, when decide shares one per rule (lean decisions). */
  slotOfRef: Map<RouteRef, RouteSlot>;
  /** The slot of decisions without a route. */
  noRoute: RouteSlot;
  /** The timeline bucket of the last request (traces come in time order). */
  lastBucket: { key: number; level: number; buckets: TimelineAgg["buckets"] | null; bucket: TimelineBucketAgg | null };
}

/** What happened to one request after the split mode had its say. */
export interface Observation {
  outcome: Outcome;
  status: number | null;
  /** The backend the request went to (or whose invalidity answered it), else null. */
  backend: (BackendId & { valid: boolean }) | null;
  /** Exact probabilities of each backend for this request (empty when no weighted pick). */
  probabilities: { backend: BackendId & { valid: boolean }; key: string; p: number }[];
}

const NO_PROBABILITIES: Observation["probabilities"] = [];
/** Route kinds whose invalid backends refuse the connection rather than answer 500. */
const STREAM_KINDS = new Set(["TCPRoute", "TLSRoute", "UDPRoute"]);
const MAX_FAILING_CLASSES = 10_000;
const MAX_DIFF_GROUPS = 1_000;
const TIMELINE_LADDER = [1, 10, 60, 300, 900, 3600, 21_600, 86_400, 604_800];
const MAX_BUCKETS = 400;

export function newState(config: EngineConfig): AggState {
  return {
    config,
    requests: 0,
    backends: new Map(),
    shares: newShareGroups(),
    routes: new Map(),
    statuses: new Map(),
    outcomes: new Map(),
    splits: new Map(),
    failing: new Map(),
    failingDropped: 0,
    mirrors: new Map(),
    observed: { records: 0, compared: 0, agree: 0, diffs: new Map(), diffsDropped: 0 },
    splitUsers: new Map(),
    userRows: newUserRows(),
    userIds: new Map(),
    userNames: [],
    anonymous: 0,
    unkeyed: 0,
    timeline: { level: 0, buckets: new Map(), untimed: 0, labels: [], labelIds: new Map() },
    warnings: new Set(),
  };
}

export function newEngine(config: EngineConfig, options: { probabilities?: boolean; sessions?: Map<string, string> } = {}): Engine {
  return {
    state: newState(config),
    splitInfo: new Map(),
    wrr: new Map(),
    probabilities: options.probabilities ?? false,
    sessions: options.sessions ?? null,
    routeKeys: new Map(),
    slotOfRef: new Map(),
    noRoute: { kind: "", namespace: "", rule: null, key: "-", row: null, info: null, idsOf: null, ids: [] },
    lastBucket: { key: Number.NaN, level: -1, buckets: null, bucket: null },
  };
}

export function backendKey(b: BackendId): string {
  return `${b.group}/${b.kind}/${b.namespace}/${b.name}:${b.port ?? ""}`;
}

/** `namespace/name:port`, with the kind in front when it is not a Service. */
export function backendName(b: BackendId): string {
  const kind = b.kind && b.kind !== "Service" ? `${b.kind}:` : "";
  return `${kind}${b.namespace}/${b.name}${b.port !== null && b.port !== undefined ? `:${b.port}` : ""}`;
}

function splitKeyOf(route: RouteRef | null): string {
  return route ? `${route.kind}/${route.namespace}/${route.name}/${route.rule ?? "-"}` : "-";
}

/**
 * The slot of a route rule, without building a string per request: decisions carry the route
 * table's own name strings, so a lookup by name and a few comparisons find the cached slot.
 */
function routeSlot(engine: Engine, route: RouteRef | null): RouteSlot {
  if (!route) return engine.noRoute;
  let list = engine.routeKeys.get(route.name);
  if (!list) engine.routeKeys.set(route.name, (list = []));
  for (const e of list) if (e.rule === route.rule && e.namespace === route.namespace && e.kind === route.kind) return e;
  const slot: RouteSlot = { kind: route.kind, namespace: route.namespace, rule: route.rule, key: splitKeyOf(route), row: null, info: null, idsOf: null, ids: [] };
  list.push(slot);
  return slot;
}

function routeLabel(route: RouteRef | null): string {
  if (!route) return "(no route)";
  const rule = route.ruleName ?? (route.rule !== null ? String(route.rule) : "-");
  return `${route.kind} ${route.namespace}/${route.name} rule ${rule}`;
}

function bump(map: Map<string, number>, key: string, n = 1): void {
  map.set(key, (map.get(key) ?? 0) + n);
}

/**
 * Which of `bs` the decision picked. Lean decisions hand out one frozen backend object per rule
 * backend: once matched by content, later ones are found by identity.
 */
function decidedIndex(slot: RouteSlot, bs: readonly BackendShare[], backend: BackendId): number {
  if (slot.idsOf === bs) {
    const ids = slot.ids;
    for (let i = 0; i < ids.length; i++) if (ids[i] === backend) return i;
  }
  for (let i = 0; i < bs.length; i++) {
    if (!sameId(bs[i]!, backend)) continue;
    if (Object.isFrozen(backend) && Object.isFrozen(bs)) {
      if (slot.idsOf !== bs) {
        slot.idsOf = bs;
        slot.ids = [];
      }
      slot.ids[i] = backend;
    }
    return i;
  }
  return -1;
}

function sameId(a: BackendId, b: BackendId): boolean {
  return a.name === b.name && a.namespace === b.namespace && a.port === b.port && a.kind === b.kind && a.group === b.group;
}

function idOf(b: BackendId): BackendId {
  return { group: b.group, kind: b.kind, namespace: b.namespace, name: b.name, port: b.port };
}

/** Whether a split's written weights are the decision's (then its info serves the decision). */
function sameWeights(info: SplitInfo, backends: readonly BackendShare[]): boolean {
  if (info.written.length !== backends.length) return false;
  for (let i = 0; i < backends.length; i++) if (info.written[i] !== backends[i]!.weight) return false;
  return true;
}

function infoFor(engine: Engine, key: string, route: RouteRef | null, backends: readonly BackendShare[], sessionPersistence: boolean): SplitInfo {
  const cached = engine.splitInfo.get(key);
  if (cached && sameWeights(cached, backends)) return cached;
  const { state } = engine;
  const written = backends.map((b) => b.weight);
  const effective = effectiveWeights(written, state.config.precision);
  const keys = backends.map(backendKey);
  const names = backends.map(backendName);
  const ids = backends.map((b) => ({ ...idOf(b), valid: b.valid }));
  if (!effective.sameAsWritten) {
    for (const w of precisionWarnings(names, written, effective, state.config.precision, routeLabel(route))) state.warnings.add(w);
  }
  backends.forEach((b, i) => {
    if (!state.backends.has(keys[i]!)) state.backends.set(keys[i]!, { id: idOf(b), valid: b.valid, count: 0, extraUsers: new Set() });
  });
  const aggs = keys.map((k) => state.backends.get(k)!);
  const groupId = shareGroupId(keys, effective.weights);
  const usersKey = `${key}\u0001${groupId}`;
  let users = state.splitUsers.get(usersKey);
  if (!users) {
    const ps = effective.weights.map((w) => (w > 0 ? w / effective.total : -1));
    state.splitUsers.set(usersKey, (users = { id: state.splitUsers.size, routeKey: key, keys, ps }));
  }
  if (!state.splits.has(key) && route) {
    state.splits.set(key, {
      route: { ...route },
      backends: backends.map((b) => ({ ...idOf(b), valid: b.valid, weight: b.weight })),
      effective: [...effective.weights],
      counts: backends.map(() => 0),
      n: 0,
      sessionPersistence,
    });
  }
  const labelIds = names.map((name) => labelIdOf(state.timeline, name));
  const info: SplitInfo = { key, from: backends, written, effective, keys, names, backends: ids, groupId, aggs, labelIds, users, split: state.splits.get(key), share: null };
  engine.splitInfo.set(key, info);
  return info;
}

/** The seeded weighted draw: decide's own pick when the data plane uses the written weights. */
function drawnPick(engine: Engine, info: SplitInfo, index: number, decidedIdx: number): number {
  const { weights, total, sameAsWritten } = info.effective;
  return sameAsWritten && decidedIdx >= 0 ? decidedIdx : pickByUniform(weights, total, seededUniform(engine.state.config.seed, index, "split", info.key));
}

/** Whether more than one backend carries weight: only there can a missing split key change the pick. */
function isWeightedSplit(info: SplitInfo): boolean {
  let carrying = 0;
  for (const w of info.effective.weights) if (w > 0 && ++carrying > 1) return true;
  return false;
}

function choose(engine: Engine, info: SplitInfo, index: number, record: TraceRecord, decidedIdx: number): number {
  const { seed, split } = engine.state.config;
  const { weights, total } = info.effective;
  if (split === "random") return drawnPick(engine, info, index, decidedIdx);
  if (split === "wrr") {
    let st = engine.wrr.get(info.key);
    if (!st) engine.wrr.set(info.key, (st = weights.map(() => 0)));
    return wrrNext(st, weights);
  }
  if (split === "cookie") {
    // The sticky pick is what this user's first visit would have drawn; modelled as a draw keyed
    // by (seed, split, user) so it does not depend on which request came first (workers).
    if (!record.user) {
      if (isWeightedSplit(info)) engine.state.unkeyed++;
      return drawnPick(engine, info, index, decidedIdx);
    }
    const jar = engine.sessions;
    if (jar === null) return pickByUniform(weights, total, seededUniform(seed, "cookie", info.key, record.user));
    // A session stays on its backend while the rule still lists it, even at weight 0 (GEP-1619,
    // "Traffic Splitting"); otherwise the user starts a session with the weights of the moment.
    const session = `${info.key}\u0000${record.user}`;
    const on = jar.get(session);
    if (on !== undefined) {
      const at = info.keys.indexOf(on);
      if (at >= 0) return at;
    }
    const pick = pickByUniform(weights, total, seededUniform(seed, "cookie", info.key, record.user));
    if (pick >= 0) jar.set(session, info.keys[pick]!);
    return pick;
  }
  const value = hashKeyOf(split.slice(5), record);
  if (value === undefined) {
    if (isWeightedSplit(info)) engine.state.unkeyed++;
    return drawnPick(engine, info, index, decidedIdx);
  }
  return pickByHash(weights, total, murmurHash2(value));
}

/** Feed one request and its decision; returns what happened to it under the split mode. */
export function observe(engine: Engine, index: number, record: TraceRecord, decision: Decision): Observation {
  const s = engine.state;
  s.requests++;
  let user = -1;
  // Each record field read once (records come in many shapes: every read is a slow lookup).
  const userName = record.user;
  if (userName) {
    const known = s.userIds.get(userName);
    if (known !== undefined) user = known;
    else {
      user = s.userNames.length;
      s.userIds.set(userName, user);
      s.userNames.push(userName);
    }
  } else s.anonymous++;

  const ref = decision.route;
  let slot = ref === null ? engine.noRoute : engine.slotOfRef.get(ref);
  if (slot === undefined) {
    slot = routeSlot(engine, ref);
    // Only shared (frozen) route objects are kept: a fresh one per decision would pile up.
    if (Object.isFrozen(ref)) engine.slotOfRef.set(ref!, slot);
  }
  const routeKey = slot.key;
  if (decision.route) {
    if (slot.row) slot.row.count++;
    else {
      const r = decision.route;
      let row = s.routes.get(routeKey);
      if (row) row.count++;
      else s.routes.set(routeKey, (row = { kind: r.kind, namespace: r.namespace, name: r.name, rule: r.rule, ruleName: r.ruleName, count: 1 }));
      slot.row = row;
    }
  }

  let outcome = decision.outcome;
  let status = decision.status;
  let backend: Observation["backend"] = null;
  let labelId = -1;
  let probabilities: Observation["probabilities"] = NO_PROBABILITIES;

  let bs = decision.backends ?? [];
  if (bs.length === 0 && decision.backend && outcome === "forward") {
    bs = [{ ...decision.backend, weight: 1, probability: 1, valid: true, reason: null }];
  }
  let total = 0;
  for (let i = 0; i < bs.length; i++) total += bs[i]!.weight;
  if (total > 0 && (outcome === "forward" || outcome === "error" || outcome === "reject")) {
    const decidedIdx = decision.backend ? decidedIndex(slot, bs, decision.backend) : -1;
    // An invalid backend's share fails: HTTP answers 500 (error), TCP/TLS/UDP refuse the connection (reject).
    const failed = outcome === "error" || outcome === "reject";
    const backendCaused = failed && decidedIdx >= 0 && !bs[decidedIdx]!.valid;
    const allInvalid = failed && !decision.backend && bs.every((b) => !b.valid);
    if (outcome === "forward" || backendCaused || allInvalid) {
      let info = slot.info;
      if (info === null || (info.from !== bs && !sameWeights(info, bs))) slot.info = info = infoFor(engine, routeKey, decision.route, bs, decision.sessionPersistence != null);
      // A session token the request presented chose the backend: no split mode draws again.
      const pick = decidedIdx >= 0 && decision.session?.pinned === true ? decidedIdx : choose(engine, info, index, record, decidedIdx);
      if (pick >= 0) {
        const picked = info.backends[pick]!;
        if (pick !== decidedIdx) {
          const stream = decision.route !== null && STREAM_KINDS.has(decision.route.kind);
          outcome = picked.valid ? "forward" : stream ? "reject" : "error";
          status = picked.valid || stream ? null : 500;
        }
        backend = picked;
        labelId = info.labelIds[pick]!;
        const agg = info.aggs[pick]!;
        agg.count++;
        if (user >= 0) {
          // One row per user and split: the request offered every weighted backend its share
          // (requests), and reached `pick` (mask).
          addToRow(s.userRows, info.users.id, user, 1, pick < 31 ? 1 << pick : 0);
          if (pick >= 31) agg.extraUsers.add(user);
        }
        if (info.share) info.share.count++;
        else {
          addShare(s.shares, info.keys, info.effective.weights, 1, info.groupId);
          info.share = s.shares.get(info.groupId)!;
        }
        const sp = info.split;
        if (sp) {
          sp.n++;
          sp.counts[pick]!++;
        }
        if (engine.probabilities) {
          const eff = info.effective;
          probabilities = [];
          for (let i = 0; i < bs.length; i++) {
            if (eff.weights[i]! > 0) probabilities.push({ backend: info.backends[i]!, key: info.keys[i]!, p: eff.weights[i]! / eff.total });
          }
        }
      }
    }
  }

  bump(s.outcomes, outcome);
  if (status !== null && status !== undefined) bump(s.statuses, statusText(status));

  const mirrors = decision.mirrors;
  if (outcome === "forward" && mirrors && mirrors.length > 0) {
    for (let j = 0; j < mirrors.length; j++) {
      const m = mirrors[j]!;
      const key = backendKey(m.backend);
      let agg = s.mirrors.get(key);
      if (!agg) s.mirrors.set(key, (agg = { id: idOf(m.backend), valid: m.valid !== false, count: 0, percents: new Map() }));
      const pct = m.percent ?? 100;
      agg.percents.set(pct, (agg.percents.get(pct) ?? 0) + 1);
      if (pct >= 100 || (pct > 0 && seededUniform(s.config.seed, index, "mirror", j) * 100 < pct)) agg.count++;
    }
  }

  if (status === 404 || status === 500) {
    const c = classOf(record);
    const key = `${status} ${c.method} ${c.host}${c.path}`;
    const row = s.failing.get(key);
    if (row) {
      row.count++;
      if (index < row.index) {
        row.index = index;
        row.example = exampleOf(record);
      }
    } else if (s.failing.size < MAX_FAILING_CLASSES) {
      s.failing.set(key, { status, ...c, count: 1, example: exampleOf(record), index });
    } else {
      s.failingDropped++;
    }
  }

  const observed = record.observed;
  if (observed) compareObserved(s, index, record, outcome, status, backend, observed.grpcStatus != null ? simulatedGrpcStatus(decision, outcome, status, backend) : null);
  addToTimeline(s.timeline, record.time, labelId, engine.lastBucket);

  return { outcome, status, backend, probabilities };
}

const STATUS_TEXT: string[] = [];
function statusText(status: number): string {
  return Number.isInteger(status) && status >= 0 && status < 1000 ? (STATUS_TEXT[status] ??= String(status)) : String(status);
}

function simulatedLabel(outcome: Outcome, status: number | null, backend: Observation["backend"]): string {
  if (backend && backend.valid && outcome === "forward") return backendName(backend);
  if (status !== null) return `status ${status}`;
  return outcome;
}

/**
 * The grpc-status the simulated gateway answers itself with: decide's, unless the split mode drew
 * another backend; then core's grpcStatusOf for the decision with that backend (an invalid one
 * answers 500, UNAVAILABLE; a valid one forwards, no status), so the two mappings cannot drift.
 */
function simulatedGrpcStatus(decision: Decision, outcome: Outcome, status: number | null, backend: Observation["backend"]): number | null {
  if (outcome === decision.outcome && status === decision.status) return decision.grpcStatus ?? null;
  const picked = backend && { group: backend.group, kind: backend.kind, namespace: backend.namespace, name: backend.name, port: backend.port };
  return grpcStatusOf({ ...decision, outcome, status, backend: picked });
}

function compareObserved(s: AggState, index: number, record: TraceRecord, outcome: Outcome, status: number | null, backend: Observation["backend"], grpcStatus: number | null): void {
  const obs = record.observed!;
  const o = s.observed;
  o.records++;
  const sent = backend && backend.valid && outcome === "forward" ? backend : null;
  let observedLabel: string;
  let agree: boolean;
  if (obs.backend) {
    const parsed = parseObservedBackend(obs.backend);
    if (!parsed) return; // a name from outside Kubernetes (HAProxy backend/server, ...): nothing to compare
    observedLabel = formatObservedBackend(parsed);
    agree = sent !== null && sameBackend(parsed, sent);
  } else if (obs.grpcStatus !== undefined && obs.grpcStatus !== null) {
    // The gateway answered the gRPC call itself (HTTP 200, Trailers-Only): its grpc-status says why.
    observedLabel = `grpc-status ${obs.grpcStatus}`;
    agree = grpcStatus === obs.grpcStatus;
  } else if (obs.status !== undefined && obs.status !== null && status !== null) {
    // Only a status the gateway itself would answer can be compared without a backend name.
    observedLabel = `status ${obs.status}`;
    agree = obs.status === status;
  } else {
    return;
  }
  o.compared++;
  if (agree) {
    o.agree++;
    return;
  }
  const simulated = grpcStatus !== null ? `grpc-status ${grpcStatus}` : simulatedLabel(outcome, status, backend);
  const key = `${observedLabel}\u0000${simulated}`;
  const d = o.diffs.get(key);
  if (d) {
    d.count++;
    if (index < d.index) {
      d.index = index;
      d.example = exampleOf(record);
    }
  } else if (o.diffs.size < MAX_DIFF_GROUPS) {
    o.diffs.set(key, { observed: observedLabel, simulated, count: 1, index, example: exampleOf(record) });
  } else {
    o.diffsDropped++;
  }
}

let minuteText = "\u0000";
let minuteKey = -1;
let minuteMs = Number.NaN;

/** The digits of `DDDD-DD-DDTDD:DD` at the start of `t` as one number, or -1 for another shape. */
function minuteKeyOf(t: string): number {
  let key = 0;
  for (let i = 0; i < 16; i++) {
    const c = t.charCodeAt(i);
    if (i === 4 || i === 7) {
      if (c !== 45 /* - */) return -1;
    } else if (i === 10) {
      if (c !== 84 /* T */) return -1;
    } else if (i === 13) {
      if (c !== 58 /* : */) return -1;
    } else if (c >= 48 && c <= 57) key = key * 10 + (c - 48);
    else return -1;
  }
  return key;
}

/** Milliseconds of `SS` or `SS.f`, `SS.ff`, `SS.fff` between position 17 and the final Z; -1 otherwise. */
function secondsMs(t: string): number {
  const end = t.length - 1;
  const s1 = t.charCodeAt(17) - 48;
  const s2 = t.charCodeAt(18) - 48;
  if (!(s1 >= 0 && s1 <= 9 && s2 >= 0 && s2 <= 9)) return -1;
  let ms = (s1 * 10 + s2) * 1000;
  if (end === 19) return ms;
  if (t.charCodeAt(19) !== 46 /* . */ || end - 20 > 3 || end - 20 < 1) return -1;
  let scale = 100;
  for (let i = 20; i < end; i++) {
    const d = t.charCodeAt(i) - 48;
    if (!(d >= 0 && d <= 9)) return -1;
    ms += d * scale;
    scale /= 10;
  }
  return ms;
}

/**
 * Epoch milliseconds of a trace time. Traces are in time order, so the common
 * `YYYY-MM-DDTHH:MM:SS[.fff]Z` form reuses the parse of its minute and adds the seconds.
 */
export function timeOf(t: string | number | undefined): number {
  if (t === undefined || t === null) return Number.NaN;
  if (typeof t === "number") return t;
  if (t.length >= 20 && t.length <= 24 && t.charCodeAt(t.length - 1) === 90 /* Z */ && t.charCodeAt(16) === 58 /* : */) {
    // The minute is the first 16 characters; in the usual `DDDD-DD-DDTDD:DD` shape its digits,
    // as one number, tell it from the last one without a string compare.
    const key = minuteKeyOf(t);
    if (key >= 0 ? key !== minuteKey : !t.startsWith(minuteText)) {
      minuteText = t.slice(0, 16);
      minuteKey = key;
      minuteMs = Date.parse(`${minuteText}:00Z`);
    }
    const ms = secondsMs(t);
    if (ms >= 0) return minuteMs + ms;
  }
  if (/^\d+$/.test(t)) return Number(t);
  return Date.parse(t);
}

function labelIdOf(tl: TimelineAgg, label: string): number {
  let id = tl.labelIds.get(label);
  if (id === undefined) {
    id = tl.labels.length;
    tl.labels.push(label);
    tl.labelIds.set(label, id);
  }
  return id;
}

function addCounts(into: number[], from: readonly number[], remap: readonly number[] | null): void {
  for (let i = 0; i < from.length; i++) {
    const n = from[i];
    if (!n) continue;
    const j = remap ? remap[i]! : i;
    while (into.length <= j) into.push(0); // packed: addToTimeline counts on every slot being a number
    into[j]! += n;
  }
}

function addToTimeline(tl: TimelineAgg, time: string | number | undefined, labelId: number, last: Engine["lastBucket"]): void {
  const ms = timeOf(time);
  if (!Number.isFinite(ms)) {
    tl.untimed++;
    return;
  }
  const b = Math.floor(ms / (TIMELINE_LADDER[tl.level]! * 1000));
  let bucket: TimelineBucketAgg | undefined;
  // The last bucket again, unless the timeline was coarsened (or merged into) since.
  if (b === last.key && tl.level === last.level && tl.buckets === last.buckets) bucket = last.bucket!;
  else {
    bucket = tl.buckets.get(b);
    if (!bucket) {
      tl.buckets.set(b, (bucket = { requests: 0, counts: [] }));
      coarsen(tl);
      bucket = tl.buckets.get(Math.floor(ms / (TIMELINE_LADDER[tl.level]! * 1000)))!;
    }
    last.key = Math.floor(ms / (TIMELINE_LADDER[tl.level]! * 1000));
    last.level = tl.level;
    last.buckets = tl.buckets;
    last.bucket = bucket;
  }
  bucket.requests++;
  if (labelId >= 0) {
    const counts = bucket.counts;
    while (counts.length <= labelId) counts.push(0); // packed, never holey
    counts[labelId]!++;
  }
}

function span(tl: TimelineAgg): number {
  let lo = Infinity;
  let hi = -Infinity;
  for (const k of tl.buckets.keys()) {
    if (k < lo) lo = k;
    if (k > hi) hi = k;
  }
  return tl.buckets.size === 0 ? 0 : hi - lo + 1;
}

/** Widen buckets along the ladder until the span fits; each width divides the next, so merging is exact. */
function coarsen(tl: TimelineAgg, atLeast = tl.level): void {
  const regroup = (level: number): void => {
    const ratio = TIMELINE_LADDER[level]! / TIMELINE_LADDER[tl.level]!;
    const next = new Map<number, TimelineBucketAgg>();
    for (const [k, v] of tl.buckets) {
      const nk = Math.floor(k / ratio);
      const t = next.get(nk);
      if (!t) next.set(nk, v);
      else {
        t.requests += v.requests;
        addCounts(t.counts, v.counts, null);
      }
    }
    tl.buckets = next;
    tl.level = level;
  };
  if (atLeast > tl.level) regroup(atLeast);
  if (tl.buckets.size <= 1) return;
  while (span(tl) > MAX_BUCKETS && tl.level < TIMELINE_LADDER.length - 1) regroup(tl.level + 1);
}

// ---------- merging ----------

/** Add `from` into `into` (which is modified and returned). Exact and order-independent. */
export function mergeStates(into: AggState, from: AggState): AggState {
  into.requests += from.requests;
  // Re-number `from`'s users in `into`'s table.
  const remap = from.userNames.map((name) => {
    let id = into.userIds.get(name);
    if (id === undefined) {
      id = into.userNames.length;
      into.userIds.set(name, id);
      into.userNames.push(name);
    }
    return id;
  });
  for (const [k, b] of from.backends) {
    let t = into.backends.get(k);
    if (!t) into.backends.set(k, (t = { id: b.id, valid: b.valid, count: 0, extraUsers: new Set() }));
    t.count += b.count;
    for (const u of b.extraUsers) t.extraUsers.add(remap[u]!);
  }
  const splitRemap: number[] = [];
  for (const [k, su] of from.splitUsers) {
    let t = into.splitUsers.get(k);
    if (!t) into.splitUsers.set(k, (t = { id: into.splitUsers.size, routeKey: su.routeKey, keys: su.keys, ps: su.ps }));
    splitRemap[su.id] = t.id;
  }
  forEachRow(from.userRows, (split, user, requests, mask) => addToRow(into.userRows, splitRemap[split]!, remap[user]!, requests, mask));
  mergeShareGroups(into.shares, from.shares);
  for (const [k, r] of from.routes) {
    const t = into.routes.get(k);
    if (t) t.count += r.count;
    else into.routes.set(k, { ...r });
  }
  for (const [k, n] of from.statuses) bump(into.statuses, k, n);
  for (const [k, n] of from.outcomes) bump(into.outcomes, k, n);
  for (const [k, sp] of from.splits) {
    const t = into.splits.get(k);
    if (!t) into.splits.set(k, { ...sp, counts: [...sp.counts] });
    else {
      t.n += sp.n;
      sp.counts.forEach((c, i) => (t.counts[i] = (t.counts[i] ?? 0) + c));
    }
  }
  for (const [k, f] of from.failing) {
    const t = into.failing.get(k);
    if (!t) {
      if (into.failing.size < MAX_FAILING_CLASSES) into.failing.set(k, { ...f });
      else into.failingDropped += f.count;
    } else {
      t.count += f.count;
      if (f.index < t.index) {
        t.index = f.index;
        t.example = f.example;
      }
    }
  }
  into.failingDropped += from.failingDropped;
  for (const [k, m] of from.mirrors) {
    const t = into.mirrors.get(k);
    if (!t) into.mirrors.set(k, { id: m.id, valid: m.valid, count: m.count, percents: new Map(m.percents) });
    else {
      t.count += m.count;
      for (const [p, n] of m.percents) t.percents.set(p, (t.percents.get(p) ?? 0) + n);
    }
  }
  const o = into.observed;
  o.records += from.observed.records;
  o.compared += from.observed.compared;
  o.agree += from.observed.agree;
  o.diffsDropped += from.observed.diffsDropped;
  for (const [k, d] of from.observed.diffs) {
    const t = o.diffs.get(k);
    if (!t) {
      if (o.diffs.size < MAX_DIFF_GROUPS) o.diffs.set(k, { ...d });
      else o.diffsDropped += d.count;
    } else {
      t.count += d.count;
      if (d.index < t.index) {
        t.index = d.index;
        t.example = d.example;
      }
    }
  }
  into.anonymous += from.anonymous;
  into.unkeyed += from.unkeyed;
  const tl = into.timeline;
  const ft = from.timeline;
  tl.untimed += ft.untimed;
  coarsen(tl, Math.max(tl.level, ft.level));
  const other: TimelineAgg = { level: ft.level, buckets: ft.buckets, untimed: 0, labels: ft.labels, labelIds: ft.labelIds };
  coarsen(other, tl.level);
  const labelRemap = ft.labels.map((label) => labelIdOf(tl, label));
  for (const [k, v] of other.buckets) {
    let t = tl.buckets.get(k);
    if (!t) tl.buckets.set(k, (t = { requests: 0, counts: [] }));
    t.requests += v.requests;
    addCounts(t.counts, v.counts, labelRemap);
  }
  coarsen(tl);
  for (const w of from.warnings) into.warnings.add(w);
  return into;
}

// ---------- the report ----------

function byText<T>(key: (x: T) => string): (a: T, b: T) => number {
  return (a, b) => {
    const x = key(a);
    const y = key(b);
    return x < y ? -1 : x > y ? 1 : 0;
  };
}

const DEFAULT_TOP = 20;

/** Per backend and per route rule, what the report says about users (from the user rows). */
interface UserFacts {
  /** backend key → users who reached it. */
  reached: Map<string, number>;
  /** backend key → users expected to reach it (expectedUsersOf). */
  expected: Map<string, number>;
  /** route key (of a split) → its users, and those who reached several of its backends. */
  routes: Map<string, { users: number; multi: number }>;
  /** Users who reached several backends of one split, in any split. */
  multiUsers: number;
}

/**
 * Users of every backend and split, from the rows grouped by split: per-user scratch arrays
 * indexed by user id, reset through the list of users each pass touched, so the cost follows
 * the rows, not users × backends.
 */
function userFacts(s: AggState): UserFacts {
  const splits: SplitUsers[] = [];
  for (const su of s.splitUsers.values()) splits[su.id] = su;
  // Rows grouped by split (a counting sort): users, requests and masks of split i at [start[i], start[i + 1]).
  const start = new Int32Array(splits.length + 1);
  forEachRow(s.userRows, (split) => start[split + 1]!++);
  for (let i = 0; i < splits.length; i++) start[i + 1]! += start[i]!;
  const rowCount = start[splits.length]!;
  const rowUser = new Int32Array(rowCount);
  const rowRequests = new Float64Array(rowCount);
  const rowMask = new Int32Array(rowCount);
  const fill = start.slice(0, splits.length);
  forEachRow(s.userRows, (split, user, requests, mask) => {
    const at = fill[split]!++;
    rowUser[at] = user;
    rowRequests[at] = requests;
    rowMask[at] = mask;
  });

  const users = s.userNames.length;
  const stamp = new Int32Array(users); // stamp[u] === pass: u touched in this pass
  const touched = new Int32Array(users);
  const counts = new Float64Array(users);
  const never = new Float64Array(users);
  let pass = 0;

  // backend key → where it is offered: (split, position, probability).
  const offers = new Map<string, { split: number; i: number; p: number }[]>();
  splits.forEach((su, split) => {
    su.keys.forEach((key, i) => {
      let list = offers.get(key);
      if (!list) offers.set(key, (list = []));
      list.push({ split, i, p: su.ps[i]! });
    });
  });

  const reached = new Map<string, number>();
  const expected = new Map<string, number>();
  for (const [key, list] of offers) {
    // Users who reached it: mask bit i in any of its splits, or among its backend's extra users.
    pass++;
    let n = 0;
    for (const { split, i } of list) {
      if (i >= 31) continue;
      const bit = 1 << i;
      for (let r = start[split]!; r < start[split + 1]!; r++) {
        const u = rowUser[r]!;
        if ((rowMask[r]! & bit) !== 0 && stamp[u] !== pass) {
          stamp[u] = pass;
          n++;
        }
      }
    }
    const extra = s.backends.get(key)?.extraUsers;
    if (extra) {
      for (const u of extra) {
        if (stamp[u] !== pass) {
          stamp[u] = pass;
          n++;
        }
      }
    }
    reached.set(key, n);
    expected.set(key, expectedUsersOf(list, start, rowUser, rowRequests, { stamp, touched, counts, never, pass: () => ++pass }));
  }

  const routes = new Map<string, { users: number; multi: number }>();
  const byRoute = new Map<string, number[]>();
  splits.forEach((su, split) => {
    if (!s.splits.has(su.routeKey)) return;
    let list = byRoute.get(su.routeKey);
    if (!list) byRoute.set(su.routeKey, (list = []));
    list.push(split);
  });
  const masks = new Int32Array(users);
  let multiUsers = 0;
  const multiSeen = new Uint8Array(users);
  for (const [routeKey, list] of byRoute) {
    pass++;
    let k = 0;
    for (const split of list) {
      for (let r = start[split]!; r < start[split + 1]!; r++) {
        const mask = rowMask[r]!;
        if (mask === 0) continue;
        const u = rowUser[r]!;
        if (stamp[u] !== pass) {
          stamp[u] = pass;
          masks[u] = 0;
          touched[k++] = u;
        }
        masks[u]! |= mask;
      }
    }
    let multi = 0;
    for (let j = 0; j < k; j++) {
      const u = touched[j]!;
      const mask = masks[u]!;
      if (mask & (mask - 1)) {
        multi++;
        if (multiSeen[u] === 0) {
          multiSeen[u] = 1;
          multiUsers++;
        }
      }
    }
    routes.set(routeKey, { users: k, multi });
  }
  return { reached, expected, routes, multiUsers };
}

interface Scratch {
  stamp: Int32Array;
  touched: Int32Array;
  counts: Float64Array;
  never: Float64Array;
  pass: () => number;
}

/**
 * Σ over users of 1 − Π (1 − p)^count: the users expected to reach this backend at least once
 * if every request were drawn independently (the `random` split). Per user, the requests
 * offering the backend with the same p are summed (exact integers), the factors taken in
 * increasing p, and the per-user values summed in sorted order, so the figure does not depend on
 * how states were numbered or merged.
 */
function expectedUsersOf(
  list: readonly { split: number; i: number; p: number }[],
  start: Int32Array,
  rowUser: Int32Array,
  rowRequests: Float64Array,
  scratch: Scratch,
): number {
  const { stamp, touched, counts, never } = scratch;
  const ps = [...new Set(list.filter((o) => o.p >= 0).map((o) => o.p))].sort((x, y) => x - y);
  if (ps.length === 0) return 0;
  // Users already offered it at a smaller p are stamped `all` between passes: `never` is set for them.
  const all = scratch.pass();
  let k = 0;
  const seenAt: number[] = [];
  for (const p of ps) {
    const pass = scratch.pass();
    seenAt.length = 0;
    for (const o of list) {
      if (o.p !== p) continue;
      for (let r = start[o.split]!; r < start[o.split + 1]!; r++) {
        const u = rowUser[r]!;
        if (stamp[u] !== pass) {
          if (stamp[u] !== all) {
            never[u] = 1;
            touched[k++] = u;
          }
          stamp[u] = pass;
          counts[u] = 0;
          seenAt.push(u);
        }
        counts[u]! += rowRequests[r]!;
      }
    }
    for (const u of seenAt) {
      never[u]! *= p >= 1 ? 0 : Math.pow(1 - p, counts[u]!);
      stamp[u] = all;
    }
  }
  const exposed = new Float64Array(k);
  for (let j = 0; j < k; j++) exposed[j] = 1 - never[touched[j]!]!;
  exposed.sort();
  let sum = 0;
  for (let j = 0; j < k; j++) sum += exposed[j]!;
  return sum;
}

/** Build the report from one or more states (merged in the order given; the result does not depend on it). */
export function buildReport(states: AggState[], config: EngineConfig, top = DEFAULT_TOP): Report {
  // One state is read as it is: copying it (users, offers) would cost as much as the replay's tail.
  const s = states.length === 1 ? states[0]! : states.reduce((acc, st) => mergeStates(acc, st), newState(config));
  const n = s.requests;
  const expected = expectedCounts(s.shares);
  const facts = userFacts(s);

  const backends: BackendRow[] = [...s.backends.entries()]
    .map(([key, b]) => {
      const e = expected.get(key) ?? 0;
      return {
        ...b.id,
        valid: b.valid,
        count: b.count,
        share: n ? b.count / n : 0,
        ci95: wilson(b.count, n),
        expectedCount: e,
        expectedShare: n ? e / n : 0,
        users: facts.reached.get(key) ?? 0,
        expectedUsers: facts.expected.get(key) ?? 0,
      };
    })
    .sort(byText((b) => `${b.namespace}\u0000${b.name}\u0000${String(b.port ?? "").padStart(6, "0")}\u0000${b.kind}`));

  const routes = [...s.routes.values()].sort(
    byText((r) => `${r.kind}\u0000${r.namespace}\u0000${r.name}\u0000${String(r.rule ?? -1).padStart(6, "0")}`),
  );

  const splits: SplitRow[] = [...s.splits.entries()]
    .map(([key, sp]) => {
      const effTotal = sp.effective.reduce((a, b) => a + b, 0);
      const users = facts.routes.get(key);
      return {
        kind: sp.route.kind,
        namespace: sp.route.namespace,
        name: sp.route.name,
        rule: sp.route.rule,
        ruleName: sp.route.ruleName,
        count: sp.n,
        backends: sp.backends.map((b, i) => ({
          ...idOf(b),
          valid: b.valid,
          weight: b.weight,
          effectiveWeight: sp.effective[i]!,
          expectedShare: effTotal ? sp.effective[i]! / effTotal : 0,
          count: sp.counts[i]!,
          share: sp.n ? sp.counts[i]! / sp.n : 0,
        })),
        chiSquare: sp.n ? chiSquareTest(sp.counts, sp.effective.map((w) => (effTotal ? (sp.n * w) / effTotal : 0))) : null,
        sessionPersistence: sp.sessionPersistence,
        users: users?.users ?? 0,
        usersMultiBackend: users?.multi ?? 0,
      };
    })
    .sort(byText((r) => `${r.kind}\u0000${r.namespace}\u0000${r.name}\u0000${String(r.rule ?? -1).padStart(6, "0")}`));

  const failing = [...s.failing.values()]
    .sort((a, b) => b.count - a.count || a.index - b.index)
    .slice(0, top)
    .map(({ index: _index, ...row }) => row);

  const mirrors: MirrorRow[] = [...s.mirrors.values()]
    .map((m) => {
      let exp = 0;
      for (const [p, c] of [...m.percents.entries()].sort((a, b) => a[0] - b[0])) exp += (c * p) / 100;
      return { ...m.id, valid: m.valid, count: m.count, expected: exp };
    })
    .sort(byText((m) => `${m.namespace}\u0000${m.name}\u0000${m.port}`));

  const o = s.observed;
  const observed =
    o.records === 0
      ? null
      : {
          records: o.records,
          compared: o.compared,
          agree: o.agree,
          disagree: o.compared - o.agree,
          agreement: o.compared ? o.agree / o.compared : null,
          differences: [...o.diffs.values()].sort((a, b) => b.count - a.count || a.index - b.index).slice(0, top),
        };

  const tl = s.timeline;
  const width = TIMELINE_LADDER[tl.level]!;
  // Backend labels sorted once, not per bucket (a wide world has thousands in each).
  const sortedIds = tl.labels.map((_, i) => i).sort((a, b) => (tl.labels[a]! < tl.labels[b]! ? -1 : tl.labels[a]! > tl.labels[b]! ? 1 : 0));
  const inOrder = (counts: readonly number[]): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const i of sortedIds) {
      const n = counts[i];
      if (n) out[tl.labels[i]!] = n;
    }
    return out;
  };
  const timeline =
    tl.buckets.size === 0
      ? null
      : {
          bucketSeconds: width,
          untimed: tl.untimed,
          buckets: [...tl.buckets.entries()]
            .sort((a, b) => a[0] - b[0])
            .map(
              ([k, v]): TimelineBucket => ({
                start: new Date(k * width * 1000).toISOString(),
                requests: v.requests,
                backends: inOrder(v.counts),
              }),
            ),
        };

  const warnings = [...s.warnings].sort();
  if (s.unkeyed > 0) {
    const [without, not] = config.split === "cookie" ? ["a user", "a cookie"] : [`the key ${config.split.slice(5)}`, "the hash"];
    warnings.push(`${s.unkeyed} of ${n} requests reached a weighted split without ${without}: the seeded draw split them, not ${not}`);
  }
  if (s.failingDropped > 0) warnings.push(`${s.failingDropped} failing requests fell outside the first ${MAX_FAILING_CLASSES} request classes`);
  if (o.diffsDropped > 0) warnings.push(`${o.diffsDropped} observed differences fell outside the first ${MAX_DIFF_GROUPS} groups`);

  const statuses = Object.fromEntries([...s.statuses.entries()].sort((a, b) => Number(a[0]) - Number(b[0])));
  const order: Outcome[] = ["forward", "redirect", "respond", "notFound", "error", "reject"];
  const outcomes = Object.fromEntries(
    [...s.outcomes.entries()].sort((a, b) => order.indexOf(a[0] as Outcome) - order.indexOf(b[0] as Outcome)),
  );

  return {
    requests: n,
    seed: config.seed,
    split: config.split,
    precision: config.precision,
    backends,
    routes,
    statuses,
    outcomes,
    splits,
    failing,
    mirrors,
    observed,
    exposure: { users: s.userNames.length, anonymousRequests: s.anonymous, usersMultiBackend: facts.multiUsers },
    timeline,
    warnings,
  };
}
