/**
 * HTTPRoute match precedence: ONE comparator, written as the ordered list of steps from the
 * HTTPRouteRule `matches` doc comment (apis/v1/httproute_types.go) and, before them, the
 * hostname rule of HTTPRouteSpec `hostnames`. Each step also says, in words, why one match
 * beat another, for `explain`.
 */
import { compareHostSpecificity, isWildcard, ANY_HOST } from "./hostname.js";

/** What the comparator looks at for one (hostname group, route, rule, match). */
export interface PrecedenceKey {
  /** The route hostname the request matched on this listener (`*` when none). */
  hostname: string;
  pathType: string;
  pathValue: string;
  method: string | null;
  headers: number;
  queryParams: number;
  /** Epoch ms; null = no creationTimestamp = newer than every route that has one. */
  createdMs: number | null;
  creationTimestamp: string | null;
  /** `namespace/name`, compared as one string. */
  nsName: string;
  ruleIndex: number;
  matchIndex: number;
}

export interface PrecedenceStep {
  /** Short name of the criterion. */
  name: string;
  /** Negative when `a` takes precedence over `b`. */
  compare(a: PrecedenceKey, b: PrecedenceKey): number;
  /** Why `a` won over `b` on this step (called only when compare(a, b) < 0). */
  because(a: PrecedenceKey, b: PrecedenceKey): string;
}

// gwsim choice (the spec leaves RegularExpression precedence implementation-specific):
// Exact, then RegularExpression, then PathPrefix. A regex is written to be more selective than
// a prefix; ranking it below PathPrefix `/` would make it unreachable behind any catch-all route.
const PATH_TYPE_RANK: Record<string, number> = { Exact: 0, RegularExpression: 1, PathPrefix: 2 };
const pathRank = (t: string): number => PATH_TYPE_RANK[t] ?? 3;

const created = (k: PrecedenceKey): number => k.createdMs ?? Number.POSITIVE_INFINITY;
const describeHost = (h: string): string =>
  h === ANY_HOST ? "any hostname" : isWildcard(h) ? `wildcard hostname ${h}` : `hostname ${h}`;

export const PRECEDENCE_STEPS: readonly PrecedenceStep[] = [
  {
    // 0. Hostnames (HTTPRouteSpec.hostnames): the most characters in a matching non-wildcard
    //    hostname, then the most characters in a matching hostname. Only routes of different
    //    hostname groups differ here (see hostnameFallthrough in decide).
    name: "hostname",
    compare: (a, b) => compareHostSpecificity(a.hostname, b.hostname),
    because: (a, b) =>
      `more specific ${describeHost(a.hostname)} (${a.hostname.length} chars) vs ${describeHost(b.hostname)}`,
  },
  {
    // 1. "Exact" path match.
    // 2. (gwsim) RegularExpression path match, before every PathPrefix.
    name: "path type",
    compare: (a, b) => pathRank(a.pathType) - pathRank(b.pathType),
    because: (a, b) => `${a.pathType} path ${a.pathValue} ranks above ${b.pathType} path ${b.pathValue}`,
  },
  {
    // 3. "Prefix" path match with the largest number of characters. Counted as written, so a
    //    trailing `/` counts (the spec says characters; gwsim choice, see docs/decisions.md).
    //    Among regexes (gwsim): the longer pattern first.
    name: "path length",
    compare: (a, b) => (a.pathType === "Exact" ? 0 : b.pathValue.length - a.pathValue.length),
    because: (a, b) =>
      `longer ${a.pathType === "RegularExpression" ? "regex" : "prefix"} ${a.pathValue} (${a.pathValue.length} chars) vs ${b.pathValue} (${b.pathValue.length})`,
  },
  {
    // 4. Method match (ranks above header count, as the spec lists it).
    name: "method",
    compare: (a, b) => (a.method !== null ? 0 : 1) - (b.method !== null ? 0 : 1),
    because: (a) => `method match ${a.method} vs none`,
  },
  {
    // 5. Largest number of header matches.
    name: "headers",
    compare: (a, b) => b.headers - a.headers,
    because: (a, b) => `more header matches (${a.headers} vs ${b.headers})`,
  },
  {
    // 6. Largest number of query param matches.
    name: "query params",
    compare: (a, b) => b.queryParams - a.queryParams,
    because: (a, b) => `more query param matches (${a.queryParams} vs ${b.queryParams})`,
  },
  {
    // 7. The oldest Route by creationTimestamp; a route without one counts as newer than all.
    name: "age",
    compare: (a, b) => {
      const ca = created(a);
      const cb = created(b);
      return ca < cb ? -1 : ca > cb ? 1 : 0;
    },
    because: (a, b) =>
      `older route (created ${a.creationTimestamp ?? "never"} vs ${b.creationTimestamp ?? "no creationTimestamp"})`,
  },
  {
    // 8. "{namespace}/{name}" alphabetically, as ONE string (so `team-a/r` < `team/r`), by code unit.
    name: "namespace/name",
    compare: (a, b) => (a.nsName < b.nsName ? -1 : a.nsName > b.nsName ? 1 : 0),
    because: (a, b) => `${a.nsName} sorts before ${b.nsName} (same age)`,
  },
  {
    // 9. Within a route, the first rule in list order.
    name: "rule order",
    compare: (a, b) => a.ruleIndex - b.ruleIndex,
    because: (a, b) => `earlier rule in the route (${a.ruleIndex} vs ${b.ruleIndex})`,
  },
  {
    // 10. Within a rule, the first match in list order.
    name: "match order",
    compare: (a, b) => a.matchIndex - b.matchIndex,
    because: (a, b) => `earlier match in the rule (${a.matchIndex} vs ${b.matchIndex})`,
  },
];

/** The precedence comparator: negative when `a` takes precedence. Total over distinct keys. */
export function comparePrecedence(a: PrecedenceKey, b: PrecedenceKey): number {
  for (const step of PRECEDENCE_STEPS) {
    const c = step.compare(a, b);
    if (c !== 0) return c;
  }
  return 0;
}

/** The step that decides between `winner` and `loser`, with the reason in words. */
export function precedenceReason(winner: PrecedenceKey, loser: PrecedenceKey): { step: string; because: string } | null {
  for (const step of PRECEDENCE_STEPS) {
    const c = step.compare(winner, loser);
    if (c < 0) return { step: step.name, because: step.because(winner, loser) };
    if (c > 0) return null;
  }
  return null;
}
