/**
 * Retry budgets (GEP-3388, XBackendTrafficPolicy `retryConstraint`) on the wire. An HTTPRoute
 * rule's `retry` says whether and how often a request may be retried; the budget of the
 * backend's policy says whether one more retry may go now: retries may make up at most
 * `budget.percent` of the requests sent to the backend within `budget.interval`, except that
 * `minRetryRate.count` retries per `minRetryRate.interval` are always allowed. A retry past the
 * budget is not sent and the client gets 503 (GEP-3388: "additional retries to the backend MUST
 * return a 503 response to the client").
 *
 * gwsim choices (docs/decisions.md "XBackendTrafficPolicy"):
 * - "Active requests" are the attempts sent to the backend within the interval, originals and
 *   retries alike, through this gateway (each Gateway keeps its own budgets, as each proxy does).
 *   A retry may go when, counting it, retries stay within the percent of all attempts:
 *   (retries + 1) × 100 ≤ percent × (attempts + 1).
 * - The budget is per policy and backend (every port of a Service), and survives a reload that
 *   keeps the policy's numbers.
 */
import type { BackendId, World } from "@gwsim/core";
import { parseDuration } from "./duration.js";

export interface RetryBudgetConfig {
  /** 0..100 */
  percent: number;
  intervalMs: number;
  /** Retries always allowed per minIntervalMs; 0: no floor. */
  minCount: number;
  minIntervalMs: number;
}

/** Timestamps in arrival order, forgotten once older than the window. */
class Window {
  private times: number[] = [];
  private head = 0;

  add(t: number): void {
    this.times.push(t);
  }

  /** Entries within (now − ms, now]. */
  countSince(now: number, ms: number): number {
    const from = now - ms;
    let i = this.head;
    // Binary search: arrival order is time order.
    let hi = this.times.length;
    while (i < hi) {
      const mid = (i + hi) >>> 1;
      if (this.times[mid]! <= from) i = mid + 1;
      else hi = mid;
    }
    return this.times.length - i;
  }

  /** Drops entries older than the longest window anyone asks about. */
  forget(now: number, ms: number): void {
    const from = now - ms;
    while (this.head < this.times.length && this.times[this.head]! <= from) this.head++;
    if (this.head > 1024 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.head = 0;
    }
  }
}

/** One backend's retry budget. A class: it lives as long as the gateway and counts as traffic goes. */
export class RetryBudget {
  private readonly attempts = new Window();
  private readonly retries = new Window();

  constructor(
    readonly config: RetryBudgetConfig,
    private readonly now: () => number,
  ) {}

  /** A first attempt goes to the backend. */
  request(): void {
    const t = this.now();
    this.attempts.add(t);
    this.attempts.forget(t, this.config.intervalMs);
  }

  /** Whether a retry may go now; when it may, it is counted (as a retry and as an attempt). */
  tryRetry(): boolean {
    const t = this.now();
    const c = this.config;
    this.attempts.forget(t, c.intervalMs);
    this.retries.forget(t, Math.max(c.intervalMs, c.minIntervalMs));
    const floor = c.minCount > 0 && this.retries.countSince(t, c.minIntervalMs) < c.minCount;
    const within = (this.retries.countSince(t, c.intervalMs) + 1) * 100 <= c.percent * (this.attempts.countSince(t, c.intervalMs) + 1);
    if (!floor && !within) return false;
    this.retries.add(t);
    this.attempts.add(t);
    return true;
  }
}

/** Per world: backend (group|kind|ns|name) → the budget's policy and numbers. */
const configs = new WeakMap<World, Map<string, { policy: string; config: RetryBudgetConfig }>>();
/** Per gateway (its HTTP context): budget key → the budget's state. */
const budgets = new WeakMap<object, Map<string, RetryBudget>>();

function configsOf(world: World): Map<string, { policy: string; config: RetryBudgetConfig }> {
  let m = configs.get(world);
  if (m) return m;
  m = new Map();
  for (const p of world.table.backendTrafficPolicies ?? []) {
    const rc = p.retryConstraint;
    if (!rc) continue;
    m.set(`${p.group}|${p.kind}|${p.namespace}|${p.name}`, {
      policy: p.policy,
      config: {
        percent: rc.percent,
        intervalMs: parseDuration(rc.interval) ?? 10_000,
        minCount: rc.minCount ?? 0,
        minIntervalMs: parseDuration(rc.minInterval) ?? 1000,
      },
    });
  }
  configs.set(world, m);
  return m;
}

/** The retry budget for requests to `backend` through the gateway `owner`, or null when no policy sets one. */
export function retryBudgetFor(owner: object, world: World, backend: BackendId, now: () => number = monotonicNow): RetryBudget | null {
  if (!world.table.backendTrafficPolicies) return null; // the common case: no policy at all
  const found = configsOf(world).get(`${backend.group}|${backend.kind}|${backend.namespace}|${backend.name}`);
  if (!found) return null;
  const key = budgetKey(found.policy, `${backend.group}|${backend.kind}|${backend.namespace}|${backend.name}`, found.config);
  let mine = budgets.get(owner);
  if (!mine) budgets.set(owner, (mine = new Map()));
  let b = mine.get(key);
  if (!b) mine.set(key, (b = new RetryBudget(found.config, now)));
  return b;
}

function budgetKey(policy: string, backend: string, c: RetryBudgetConfig): string {
  return `${policy}|${backend}|${c.percent}|${c.intervalMs}|${c.minCount}|${c.minIntervalMs}`;
}

/**
 * After a reload: forgets the budgets `world` no longer has (a policy removed, retargeted or
 * given other numbers). Each kept its window of timestamps for the life of the process, one
 * more per change of a policy's numbers. Requests under way keep the budget they started with.
 */
export function retainRetryBudgets(owner: object, world: World): void {
  const mine = budgets.get(owner);
  if (!mine) return;
  const keep = new Set<string>();
  if (world.table.backendTrafficPolicies) for (const [backend, { policy, config }] of configsOf(world)) keep.add(budgetKey(policy, backend, config));
  for (const key of mine.keys()) if (!keep.has(key)) mine.delete(key);
}

/** How many budgets `owner` keeps state for. */
export function retryBudgetCount(owner: object): number {
  return budgets.get(owner)?.size ?? 0;
}

/** Milliseconds that never go back (a wall-clock step would skew the windows). */
function monotonicNow(): number {
  return performance.now();
}
