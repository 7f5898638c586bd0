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

export interface PrecedenceStep<K = PrecedenceKey> {
  /** Short name of the criterion. */
  name: string;
  /** Negative when `a` takes precedence over `b`. */
  compare(a: K, b: K): number;
  /** Why `a` won over `b` on this step (called only when compare(a, b) < 0). */
  because(a: K, b: K): string;
}

/** What every route kind's precedence ends on: hostname first, then age, name, order. */
interface CommonKey {
  hostname: string;
  createdMs: number | null;
  creationTimestamp: string | null;
  nsName: string;
}

// gwsim choice (the spec leaves RegularExpression precedence implementation-specific):
// Exact, then RegularExpression, then PathPrefix. A regex is written to be more selective than
// a prefix; ranking it below PathPrefix `/` would make it unreachable behind any catch-all route.
const PATH_TYPE_RANK: Record<string, number> = { Exact: 0, RegularExpression: 1, PathPrefix: 2 };
const pathRank = (t: string): number => PATH_TYPE_RANK[t] ?? 3;

const created = (k: CommonKey): number => k.createdMs ?? Number.POSITIVE_INFINITY;
const describeHost = (h: string): string =>
  h === ANY_HOST ? "any hostname" : isWildcard(h) ? `wildcard hostname ${h}` : `hostname ${h}`;

// The steps every kind shares, written once.
const HOSTNAME_STEP: PrecedenceStep<CommonKey> = {
  // Hostnames: the most characters in a matching non-wildcard hostname, then the most
  // characters in a matching hostname (HTTPRouteSpec/GRPCRouteSpec hostnames, TLSRoute SNI).
  name: "hostname",
  compare: (a, b) => compareHostSpecificity(a.hostname, b.hostname),
  because: (a, b) => `more specific ${describeHost(a.hostname)} (${a.hostname.length} chars) vs ${describeHost(b.hostname)}`,
};
const AGE_STEP: PrecedenceStep<CommonKey> = {
  // The oldest Route by creationTimestamp; a route without one counts as newer than all.
  name: "age",
  compare: (a, b) => {
    const ca = created(a);
    const cb = created(b);
    return ca < cb ? -1 : ca > cb ? 1 : 0;
  },
  because: (a, b) => `older route (created ${a.creationTimestamp ?? "never"} vs ${b.creationTimestamp ?? "no creationTimestamp"})`,
};
const NAME_STEP: PrecedenceStep<CommonKey> = {
  // "{namespace}/{name}" alphabetically, as ONE string (so `team-a/r` < `team/r`), by code unit.
  name: "namespace/name",
  compare: (a, b) => (a.nsName < b.nsName ? -1 : a.nsName > b.nsName ? 1 : 0),
  because: (a, b) =>
    `${a.nsName} sorts before ${b.nsName} (${a.creationTimestamp === null ? "neither has a creationTimestamp" : `same age: both created ${a.creationTimestamp}`})`,
};

/** Route kinds with rules and matches: the last two steps, in list order. */
const RULE_ORDER_STEP: PrecedenceStep<{ ruleIndex: number }> = {
  name: "rule order",
  compare: (a, b) => a.ruleIndex - b.ruleIndex,
  because: (a, b) => `earlier rule in the route (${a.ruleIndex} vs ${b.ruleIndex})`,
};
const MATCH_ORDER_STEP: PrecedenceStep<{ matchIndex: number }> = {
  name: "match order",
  compare: (a, b) => a.matchIndex - b.matchIndex,
  because: (a, b) => `earlier match in the rule (${a.matchIndex} vs ${b.matchIndex})`,
};

export const PRECEDENCE_STEPS: readonly PrecedenceStep[] = [
  // 0. Hostnames (HTTPRouteSpec.hostnames). Only routes of different hostname groups differ
  //    here (see hostnameFallthrough in decide).
  HOSTNAME_STEP,
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
  // 7. The oldest Route by creationTimestamp.
  AGE_STEP,
  // 8. "{namespace}/{name}" alphabetically, as one string.
  NAME_STEP,
  // 9. Within a route, the first rule in list order.
  RULE_ORDER_STEP,
  // 10. Within a rule, the first match in list order.
  MATCH_ORDER_STEP,
];

/** The precedence comparator: negative when `a` takes precedence. Total over distinct keys. */
export function comparePrecedence(a: PrecedenceKey, b: PrecedenceKey): number {
  return compareBy(PRECEDENCE_STEPS, a, b);
}

/** The step that decides between `winner` and `loser`, with the reason in words. */
export function precedenceReason(winner: PrecedenceKey, loser: PrecedenceKey): { step: string; because: string } | null {
  return reasonBy(PRECEDENCE_STEPS, winner, loser);
}

function compareBy<K>(steps: readonly PrecedenceStep<K>[], a: K, b: K): number {
  for (const step of steps) {
    const c = step.compare(a, b);
    if (c !== 0) return c;
  }
  return 0;
}

function reasonBy<K>(steps: readonly PrecedenceStep<K>[], winner: K, loser: K): { step: string; because: string } | null {
  for (const step of steps) {
    const c = step.compare(winner, loser);
    if (c < 0) return { step: step.name, because: step.because(winner, loser) };
    if (c > 0) return null;
  }
  return null;
}

// ---------- GRPCRoute ----------

/** What the GRPCRoute comparator looks at for one (hostname group, route, rule, match). */
export interface GrpcPrecedenceKey extends CommonKey {
  /** The service value of the method match as written (Exact or RegularExpression); null = none. */
  service: string | null;
  method: string | null;
  headers: number;
  ruleIndex: number;
  matchIndex: number;
}

const chars = (v: string | null): number => (v === null ? 0 : v.length);

/**
 * GRPCRoute precedence, exactly the list of the GRPCRouteRule `matches` doc comment
 * (apis/v1/grpcroute_types.go): the largest number of characters in a matching non-wildcard
 * hostname, of characters in a matching hostname, of characters in a matching service, of
 * characters in a matching method, of header matches; then the oldest Route, then
 * "{namespace}/{name}", then the first matching rule (and, within it, match). The spec counts
 * characters whatever the match type, so a RegularExpression service counts its pattern's
 * characters and does not rank against Exact otherwise (gwsim adds no step of its own here).
 */
export const GRPC_PRECEDENCE_STEPS: readonly PrecedenceStep<GrpcPrecedenceKey>[] = [
  HOSTNAME_STEP,
  {
    name: "service",
    compare: (a, b) => chars(b.service) - chars(a.service),
    because: (a, b) => `longer service ${a.service} (${chars(a.service)} chars) vs ${b.service ?? "any service"} (${chars(b.service)})`,
  },
  {
    name: "method",
    compare: (a, b) => chars(b.method) - chars(a.method),
    because: (a, b) => `longer method ${a.method} (${chars(a.method)} chars) vs ${b.method ?? "any method"} (${chars(b.method)})`,
  },
  {
    name: "headers",
    compare: (a, b) => b.headers - a.headers,
    because: (a, b) => `more header matches (${a.headers} vs ${b.headers})`,
  },
  AGE_STEP,
  NAME_STEP,
  RULE_ORDER_STEP,
  MATCH_ORDER_STEP,
];

export function compareGrpcPrecedence(a: GrpcPrecedenceKey, b: GrpcPrecedenceKey): number {
  return compareBy(GRPC_PRECEDENCE_STEPS, a, b);
}

export function grpcPrecedenceReason(winner: GrpcPrecedenceKey, loser: GrpcPrecedenceKey): { step: string; because: string } | null {
  return reasonBy(GRPC_PRECEDENCE_STEPS, winner, loser);
}

// ---------- TLSRoute, TCPRoute, UDPRoute ----------

/** A stream route (no matches): its hostname on the listener and its identity. */
export type StreamPrecedenceKey = CommonKey;

/**
 * Stream routes have no matches: on a listener the most specific matching SNI hostname wins
 * (TLSRoute; TCP and UDP routes all serve `*`), then the conflict rule of the API conventions
 * (guides/api-design "Conflicts", which TCPRouteMultipleRoutesAttachment and
 * UDPRouteMultipleRoutesAttachment check): the oldest route, then "{namespace}/{name}".
 */
export const STREAM_PRECEDENCE_STEPS: readonly PrecedenceStep<StreamPrecedenceKey>[] = [HOSTNAME_STEP, AGE_STEP, NAME_STEP];

export function compareStreamPrecedence(a: StreamPrecedenceKey, b: StreamPrecedenceKey): number {
  return compareBy(STREAM_PRECEDENCE_STEPS, a, b);
}

export function streamPrecedenceReason(winner: StreamPrecedenceKey, loser: StreamPrecedenceKey): { step: string; because: string } | null {
  return reasonBy(STREAM_PRECEDENCE_STEPS, winner, loser);
}
