/**
 * What-if: the same trace through the current and the proposed world, request by request, and
 * the difference: per-backend shares before and after, which request classes move between which
 * backends (from the exact probabilities, no sampling noise), and which requests newly fail.
 */
import type { BackendId } from "@gwsim/core";
import { backendName, buildReport, newEngine, observe, type Observation } from "./engine.js";
import { classOf, exampleOf } from "./request-class.js";
import { coreDecide, engineConfig } from "./replay.js";
import { requestOf } from "./request-class.js";
import type { Report, ReplayOptions, TraceRecord } from "./types.js";
import { traceBatches } from "../trace/index.js";

export interface WhatifOptions<W> extends Omit<ReplayOptions<W>, "startIndex"> {
  /** How many moves and new failures to list. */
  top?: number;
}

export interface ShareSnapshot {
  count: number;
  share: number;
  expectedShare: number;
  users: number;
  /** Users expected to reach the backend at least once (see BackendRow.expectedUsers). */
  expectedUsers: number;
}

export interface WhatifBackendRow extends BackendId {
  before: ShareSnapshot;
  after: ShareSnapshot;
  /** after.expectedShare − before.expectedShare. */
  delta: number;
}

/** Expected requests of one class moving from one destination to another. */
export interface MoveRow {
  method: string;
  host: string;
  path: string;
  /** A backend (`ns/name:port`, `[invalid]` when it answers 500) or a status (`status 404`). */
  from: string;
  to: string;
  expected: number;
}

export interface NewFailureRow {
  status: number;
  method: string;
  host: string;
  path: string;
  count: number;
  example: string;
}

export interface WhatifReport {
  requests: number;
  before: Report;
  after: Report;
  backends: WhatifBackendRow[];
  /** Top moves by expected requests. */
  moves: MoveRow[];
  /** Requests whose sampled destination differs, and the expected number that move. */
  moved: { count: number; expected: number };
  /** Requests answered 404 (500) after but not before, in the seeded replay. */
  new404: number;
  new500: number;
  /** Requests answered 404 (500) before but not after. */
  fixed404: number;
  fixed500: number;
  newFailures: NewFailureRow[];
}

function label(o: Observation): string {
  if (o.backend) return o.backend.valid ? backendName(o.backend) : `${backendName(o.backend)} [invalid]`;
  if (o.status !== null) return `status ${o.status}`;
  return o.outcome;
}

function distribution(o: Observation): Map<string, number> {
  if (o.probabilities.length === 0) return new Map([[label(o), 1]]);
  const m = new Map<string, number>();
  for (const p of o.probabilities) {
    const l = p.backend.valid ? backendName(p.backend) : `${backendName(p.backend)} [invalid]`;
    m.set(l, (m.get(l) ?? 0) + p.p);
  }
  return m;
}

/**
 * The probability mass that moves from one destination to another for one request: what stays
 * is min(before, after); what leaves a destination is spread over the gaining ones in proportion.
 */
export function moveFlows(before: Map<string, number>, after: Map<string, number>): { from: string; to: string; p: number }[] {
  const out: { from: string; p: number }[] = [];
  const into: { to: string; p: number }[] = [];
  for (const [l, p] of before) {
    const d = p - (after.get(l) ?? 0);
    if (d > 1e-15) out.push({ from: l, p: d });
  }
  for (const [l, p] of after) {
    const d = p - (before.get(l) ?? 0);
    if (d > 1e-15) into.push({ to: l, p: d });
  }
  const total = into.reduce((a, b) => a + b.p, 0);
  if (total <= 1e-15) return [];
  return out.flatMap((o) => into.map((i) => ({ from: o.from, to: i.to, p: (o.p * i.p) / total })));
}

const MAX_CLASSES = 10_000;

export async function whatif<W>(
  before: W,
  after: W,
  requests: Iterable<TraceRecord> | AsyncIterable<TraceRecord>,
  options: WhatifOptions<W> = {},
): Promise<WhatifReport> {
  const decide = options.decide ?? coreDecide<W>();
  const config = engineConfig(options as ReplayOptions<unknown>);
  const a = newEngine(config, { probabilities: true });
  const b = newEngine(config, { probabilities: true });
  const moves = new Map<string, MoveRow>();
  const failures = new Map<string, NewFailureRow & { index: number }>();
  let moved = 0;
  let movedExpected = 0;
  let new404 = 0;
  let new500 = 0;
  let fixed404 = 0;
  let fixed500 = 0;
  let index = 0;
  const every = options.progressEvery ?? 10_000;

  const step = (record: TraceRecord): void => {
    const request = requestOf(record);
    const oa = observe(a, index, record, decide(before, request, { seed: config.seed, index, lean: true }));
    const ob = observe(b, index, record, decide(after, request, { seed: config.seed, index, lean: true }));
    if (label(oa) !== label(ob)) moved++;
    if (ob.status === 404 && oa.status !== 404) new404++;
    if (ob.status === 500 && oa.status !== 500) new500++;
    if (oa.status === 404 && ob.status !== 404) fixed404++;
    if (oa.status === 500 && ob.status !== 500) fixed500++;
    if ((ob.status === 404 || ob.status === 500) && oa.status !== ob.status) {
      const c = classOf(record);
      const key = `${ob.status} ${c.method} ${c.host}${c.path}`;
      const row = failures.get(key);
      if (row) row.count++;
      else if (failures.size < MAX_CLASSES) failures.set(key, { status: ob.status, ...c, count: 1, example: exampleOf(record), index });
    }
    const flows = moveFlows(distribution(oa), distribution(ob));
    if (flows.length) {
      const c = classOf(record);
      for (const f of flows) {
        movedExpected += f.p;
        const key = `${c.method} ${c.host}${c.path}\u0000${f.from}\u0000${f.to}`;
        const row = moves.get(key);
        if (row) row.expected += f.p;
        else if (moves.size < MAX_CLASSES) moves.set(key, { ...c, from: f.from, to: f.to, expected: f.p });
      }
    }
    index++;
    if (options.onProgress && index % every === 0) options.onProgress(index);
  };
  const batches = traceBatches(requests);
  if (batches) {
    for await (const batch of batches) for (let i = 0; i < batch.length; i++) step(batch[i]!);
  } else if (Symbol.asyncIterator in requests) for await (const r of requests) step(r);
  else for (const r of requests) step(r);

  const top = options.top ?? 20;
  const reportA = buildReport([a.state], config, top);
  const reportB = buildReport([b.state], config, top);
  return {
    requests: index,
    before: reportA,
    after: reportB,
    backends: compareBackends(reportA, reportB),
    moves: [...moves.values()].sort((x, y) => y.expected - x.expected || cmp(moveKey(x), moveKey(y))).slice(0, top),
    moved: { count: moved, expected: movedExpected },
    new404,
    new500,
    fixed404,
    fixed500,
    newFailures: [...failures.values()]
      .sort((x, y) => y.count - x.count || x.index - y.index)
      .slice(0, top)
      .map(({ index: _i, ...row }) => row),
  };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function moveKey(m: MoveRow): string {
  return `${m.method} ${m.host}${m.path}\u0000${m.from}\u0000${m.to}`;
}

function idKey(b: BackendId): string {
  return `${b.group}/${b.kind}/${b.namespace}/${b.name}:${b.port ?? ""}`;
}

function compareBackends(a: Report, b: Report): WhatifBackendRow[] {
  const empty: ShareSnapshot = { count: 0, share: 0, expectedShare: 0, users: 0, expectedUsers: 0 };
  const rows = new Map<string, WhatifBackendRow>();
  const snap = (r: Report["backends"][number]): ShareSnapshot => ({
    count: r.count,
    share: r.share,
    expectedShare: r.expectedShare,
    users: r.users,
    expectedUsers: r.expectedUsers,
  });
  for (const r of a.backends) {
    rows.set(idKey(r), { group: r.group, kind: r.kind, namespace: r.namespace, name: r.name, port: r.port, before: snap(r), after: empty, delta: 0 });
  }
  for (const r of b.backends) {
    const row = rows.get(idKey(r));
    if (row) row.after = snap(r);
    else rows.set(idKey(r), { group: r.group, kind: r.kind, namespace: r.namespace, name: r.name, port: r.port, before: empty, after: snap(r), delta: 0 });
  }
  for (const row of rows.values()) row.delta = row.after.expectedShare - row.before.expectedShare;
  return [...rows.values()].sort((x, y) => cmp(`${x.namespace}\u0000${x.name}\u0000${x.port}`, `${y.namespace}\u0000${y.name}\u0000${y.port}`));
}
