/**
 * Route rule retries (HTTPRouteRetry, GEP-1731) in a rollout replay: what a failing backend costs
 * the users once the gateway retries, and how many extra attempts the retries send.
 *
 * gwsim choices (docs/decisions.md "Rollout replay: retries"):
 * - A retry goes to the backend the request was first sent to (another endpoint of it): the spec
 *   leaves the choice open; Envoy picks a weighted cluster once per request and retries within it,
 *   and `gwsim serve` does the same. So a request on a backend of error rate r that may be retried
 *   n times fails with r^(1+n), not with the rule's mix of rates.
 * - `attempts` unset retries once (Envoy's num_retries default, as serve does).
 * - A failure with an HTTP status is retried when the rule's `codes` list it; a connection error
 *   (`reset`) by any retry stanza (HTTPRouteRetry: "SHOULD retry on connection errors").
 */
import type { BackendId, Decision } from "@gwsim/core";
import { parseDuration } from "../serve/duration.js";

/** What a failing request answers: an HTTP status (400–999), or `reset` (a connection error). */
export type ErrorCode = number | "reset";

/** The status code a `--error-rate` without one fails with: the one gateways answer for an unavailable backend. */
export const DEFAULT_ERROR_CODE = 503;
/** HTTPRouteRetry leaves `attempts` open: Envoy's default, one retry (what serve does too). */
export const DEFAULT_RETRY_ATTEMPTS = 1;

export type RetryPolicy = NonNullable<Decision["retry"]>;

/** How many retries a failure with `code` gets under `retry` (0: not retried). */
export function retriesFor(retry: RetryPolicy | null, code: ErrorCode): number {
  if (!retry) return 0;
  const retryable = code === "reset" || (retry.codes ?? []).includes(code);
  return retryable ? Math.max(0, Math.floor(retry.attempts ?? DEFAULT_RETRY_ATTEMPTS)) : 0;
}

/**
 * One request on a backend failing with `rate`, retried up to `n` times, each retry allowed by
 * the budget with probability `allow` (a refused retry answers 503: GEP-3388), attempts independent.
 * Retry k is sent when the first k attempts failed and k retries were allowed: (rate·allow)^k.
 * The request succeeds on attempt j+1 after j failed and allowed ones: P(fail) = 1 − (1 − rate)·Σ_{j=0..n} (rate·allow)^j.
 */
export function retryOutcome(rate: number, n: number, allow = 1): { fail: number; retries: number; refused: number } {
  const q = rate * allow;
  let retries = 0;
  let refused = 0;
  // reach: the probability that attempt j+1 is sent, (rate·allow)^j.
  let reach = 1;
  let succeed = 0;
  for (let j = 0; j <= n; j++) {
    succeed += reach * (1 - rate);
    if (j < n) {
      refused += reach * rate * (1 - allow);
      reach *= q;
      retries += reach;
    }
  }
  // Without a budget the closed form rate^(1+n) is exact; the sum above loses a few ulps.
  return { fail: allow === 1 ? rate ** (n + 1) : Math.max(0, 1 - succeed), retries, refused };
}

interface TableLike {
  routes?: readonly { kind: string; namespace: string; name: string }[];
  rules?: readonly { route: number; index: number; retry: RetryPolicy | null }[];
  grpcRoutes?: readonly { kind: string; namespace: string; name: string }[];
  grpcRules?: readonly { route: number; index: number; retry: RetryPolicy | null }[];
  backendTrafficPolicies?: readonly {
    policy: string;
    group: string;
    kind: string;
    namespace: string;
    name: string;
    retryConstraint: { percent: number; interval: string; minCount: number | null; minInterval: string } | null;
  }[];
}

function tableOf(world: unknown): TableLike | null {
  const t = (world as { table?: unknown } | null)?.table;
  return t && typeof t === "object" ? (t as TableLike) : null;
}

const ruleKey = (kind: string, namespace: string, name: string, rule: number | null): string => `${kind}|${namespace}|${name}|${rule ?? ""}`;

/**
 * The retry policy of the rule a decision took. Lean decisions (what a replay asks for) leave
 * `retry` null, so it is read from the world's route table; a world without one (a custom
 * `buildWorld`) gives only the decisions' own.
 */
export function retryLookup(world: unknown): (d: Decision) => RetryPolicy | null {
  const table = tableOf(world);
  const byKey = new Map<string, RetryPolicy>();
  const add = (routes: TableLike["routes"], rules: TableLike["rules"]) => {
    for (const r of rules ?? []) {
      const route = routes?.[r.route];
      if (route && r.retry) byKey.set(ruleKey(route.kind, route.namespace, route.name, r.index), r.retry);
    }
  };
  add(table?.routes, table?.rules);
  add(table?.grpcRoutes, table?.grpcRules);
  // Lean decisions share the table's frozen route refs: look each up once.
  const byRef = new WeakMap<object, RetryPolicy | null>();
  return (d) => {
    if (d.retry) return d.retry;
    const ref = d.route;
    if (!ref || byKey.size === 0) return null;
    let found = byRef.get(ref);
    if (found === undefined) {
      found = byKey.get(ruleKey(ref.kind, ref.namespace, ref.name, ref.rule)) ?? null;
      byRef.set(ref, found);
    }
    return found;
  };
}

/** An XBackendTrafficPolicy retry budget (GEP-3388) with durations in milliseconds. */
export interface BudgetConfig {
  /** Policy, backend and numbers: budgets with the same key are one budget (across steps too). */
  key: string;
  /** `namespace/name` of the XBackendTrafficPolicy, and the backend (`namespace/name`). */
  policy: string;
  backend: string;
  percent: number;
  intervalMs: number;
  /** Retries always allowed per minIntervalMs; 0: no floor. */
  minCount: number;
  minIntervalMs: number;
}

/** The retry budget a backend's XBackendTrafficPolicy sets in this world, if any. */
export function budgetLookup(world: unknown): (b: BackendId) => BudgetConfig | null {
  const byBackend = new Map<string, BudgetConfig>();
  for (const p of tableOf(world)?.backendTrafficPolicies ?? []) {
    const rc = p.retryConstraint;
    if (!rc) continue;
    const intervalMs = parseDuration(rc.interval) ?? 10_000;
    const minIntervalMs = parseDuration(rc.minInterval) ?? 1000;
    const minCount = rc.minCount ?? 0;
    const backend = `${p.group}|${p.kind}|${p.namespace}|${p.name}`;
    byBackend.set(backend, {
      key: `${p.policy}|${backend}|${rc.percent}|${intervalMs}|${minCount}|${minIntervalMs}`,
      policy: p.policy,
      backend: `${p.namespace}/${p.name}`,
      percent: rc.percent,
      intervalMs,
      minCount,
      minIntervalMs,
    });
  }
  if (byBackend.size === 0) return () => null;
  return (b) => byBackend.get(`${b.group}|${b.kind}|${b.namespace}|${b.name}`) ?? null;
}

/** Retries one interval of a budget may send: the percent of all attempts (retries included), or the floor. */
export function budgetAllows(c: Pick<BudgetConfig, "percent" | "intervalMs" | "minCount" | "minIntervalMs">, firstAttempts: number): number {
  // retries ≤ percent·(first + retries)/100  ⇔  retries ≤ percent·first/(100 − percent).
  const share = c.percent >= 100 ? Infinity : (c.percent * firstAttempts) / (100 - c.percent);
  const floor = c.minIntervalMs > 0 ? (c.minCount * c.intervalMs) / c.minIntervalMs : 0;
  return Math.max(share, floor);
}

/**
 * The share of retries a budget lets go so that the expected retries of `groups` (weight: expected
 * requests; rate; retries allowed by the rule) come to `allowed`: 1 when they fit.
 */
export function allowedShare(groups: readonly { weight: number; rate: number; n: number }[], allowed: number): number {
  const retries = (s: number) => groups.reduce((a, g) => a + g.weight * retryOutcome(g.rate, g.n, s).retries, 0);
  if (retries(1) <= allowed) return 1;
  // Expected retries grow with the share: bisect.
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (retries(mid) > allowed) hi = mid;
    else lo = mid;
  }
  return lo;
}
