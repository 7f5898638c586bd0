/**
 * Routing properties a user states about a world: each searches requests that exercise the
 * world (requests.ts) with fast-check, and returns null when the property holds for every one
 * tried, or the shrunk counterexample with gwsim's decision and explanation when it does not.
 */
import fc from "fast-check";
import type { ManifestObject } from "../manifest/object.js";
import type { BackendId, Decision } from "../model/decision.js";
import type { GatewayRequest } from "../model/request.js";
import { decide, type World } from "../world.js";
import { namespaceOfObject } from "../lint/context.js";
import { requests } from "./requests.js";
import { backendMatcher, backendText, describeTarget, matchesPattern, reachOf, type BackendTarget, type RequestPattern } from "./targets.js";

export interface PropertyOptions {
  /** Requests to try (default 1000). */
  numRuns?: number;
  /** fast-check seed, to reproduce a run (default: fast-check's global configuration). */
  seed?: number;
  /** Requests to use instead of the generated ones (they are still filtered by the pattern). */
  requests?: fc.Arbitrary<GatewayRequest>;
  /** Whether a mirrored copy counts as reaching a backend (default: true for neverRoutes and isolated, false for alwaysRoutes). */
  mirrors?: boolean;
}

/** A request the property fails for, with what gwsim decided and why. */
export interface Counterexample {
  property: string;
  request: GatewayRequest;
  /** The decision for the request (with `explain`). For sameRouting, the first world's. */
  decision: Decision;
  /** sameRouting: the second world's decision. */
  other?: Decision;
  /** What is wrong, in words. */
  reason: string;
  /** fast-check seed and path, to replay the run. */
  seed: number;
  path: string | undefined;
  runs: number;
}

const DEFAULT_RUNS = 1000;

/** No request of `from` reaches a backend matching `to` (any share of its split, or a mirror). */
export function neverRoutes(world: World, from: RequestPattern, to: BackendTarget, options: PropertyOptions = {}): Counterexample | null {
  const hit = backendMatcher(to);
  const withMirrors = options.mirrors ?? true;
  return search("neverRoutes", [world], from, options, (r) => {
    const d = decide(world, r);
    const reach = reachOf(d);
    const bad = [...reach.backends, ...(withMirrors ? reach.mirrors : [])].filter(hit);
    return bad.length ? `reaches ${bad.map(backendText).join(", ")} (${describeTarget(to)})${reach.mirrors.some(hit) && !reach.backends.some(hit) ? " through a mirror" : ""}` : null;
  });
}

/**
 * Every request of `from` goes to backends matching `to`, and only to them: it is forwarded
 * (not a 404, redirect, fixed response or 500) and every backend of its split matches.
 */
export function alwaysRoutes(world: World, from: RequestPattern, to: BackendTarget, options: PropertyOptions = {}): Counterexample | null {
  const hit = backendMatcher(to);
  const withMirrors = options.mirrors ?? false;
  return search("alwaysRoutes", [world], from, options, (r) => {
    const d = decide(world, r);
    if (d.outcome !== "forward") return `is not forwarded: ${outcomeText(d)}`;
    const split = d.backends.filter((b) => b.probability > 0);
    const invalid = split.filter((b) => !b.valid);
    if (invalid.length) return `has invalid backends in its split (${invalid.map((b) => `${backendText(b)} ${pct(b.probability)} ${b.reason ?? ""}`.trim()).join(", ")}), which answer 500`;
    const reach = reachOf(d);
    const wrong = [...reach.backends, ...(withMirrors ? reach.mirrors : [])].filter((b) => !hit(b));
    return wrong.length ? `goes to ${wrong.map(backendText).join(", ")}, not only ${describeTarget(to)}` : null;
  });
}

/**
 * No request reaches a backend in another namespace than its route's unless a ReferenceGrant
 * in the backend's namespace allows it. Grants are read from `options.objects`, else from
 * `world.objects`; with neither, every cross-namespace backend counts as a violation.
 */
export function isolated(world: World, options: PropertyOptions & { objects?: readonly ManifestObject[] } = {}): Counterexample | null {
  const objects = options.objects ?? (world as World & { objects?: readonly ManifestObject[] }).objects ?? [];
  const grants = objects.filter((o) => o?.kind === "ReferenceGrant");
  const withMirrors = options.mirrors ?? true;
  return search("isolated", [world], {}, options, (r) => {
    const d = decide(world, r);
    if (!d.route) return null;
    const route = d.route;
    const reach = reachOf(d);
    const leak = [...reach.backends, ...(withMirrors ? reach.mirrors : [])].find(
      (b) => b.namespace !== route.namespace && !granted(grants, { kind: route.kind, namespace: route.namespace }, b),
    );
    return leak
      ? `${route.kind} ${route.namespace}/${route.name} sends it to ${backendText(leak)} in namespace ${leak.namespace}, and no ReferenceGrant in ${leak.namespace} lets ${route.kind}s from ${route.namespace} refer to it`
      : null;
  });
}

/** GEP-709, written independently of resolve so the property checks gwsim rather than repeats it. */
function granted(grants: readonly ManifestObject[], from: { kind: string; namespace: string }, to: BackendId): boolean {
  return grants.some((g) => {
    if (namespaceOfObject(g) !== to.namespace) return false;
    const spec = (g.spec ?? {}) as { from?: { group?: string; kind?: string; namespace?: string }[]; to?: { group?: string; kind?: string; name?: string }[] };
    const fromOk = (spec.from ?? []).some((f) => (f.group ?? "") === "gateway.networking.k8s.io" && f.kind === from.kind && f.namespace === from.namespace);
    const toOk = (spec.to ?? []).some((t) => (t.group ?? "") === to.group && t.kind === to.kind && (!t.name || t.name === to.name));
    return fromOk && toOk;
  });
}

/** Requests allowed to route differently, by pattern or predicate. */
export type RoutingException = RequestPattern | readonly RequestPattern[] | ((request: GatewayRequest, a: Decision, b: Decision) => boolean);

export interface SameRoutingOptions extends PropertyOptions {
  /** Parts of the decisions to compare (default: all of them). */
  compare?: readonly ("outcome" | "backends" | "forwarded" | "redirect" | "mirrors")[];
}

/**
 * Two configurations route every request the same (outcome and status, the backend split with
 * its probabilities, redirects, the request as forwarded, mirrors), except the requests
 * `except` names: for migrations and refactors. Requests are drawn from both worlds.
 */
export function sameRouting(a: World, b: World, except: RoutingException = [], options: SameRoutingOptions = {}): Counterexample | null {
  const exempt = exceptionOf(except);
  const parts = new Set(options.compare ?? ["outcome", "backends", "forwarded", "redirect", "mirrors"]);
  let other: Decision | undefined;
  const found = search("sameRouting", [a, b], {}, options, (r) => {
    const da = decide(a, r);
    const db = decide(b, r);
    if (exempt(r, da, db)) return null;
    const diff = difference(da, db, parts);
    if (diff) other = decide(b, r, { explain: true });
    return diff;
  });
  if (found && other) found.other = other;
  return found;
}

function exceptionOf(except: RoutingException): (r: GatewayRequest, a: Decision, b: Decision) => boolean {
  if (typeof except === "function") return except;
  const patterns: readonly RequestPattern[] = Array.isArray(except) ? except : [except as RequestPattern];
  return (r) => patterns.some((p) => matchesPattern(p, r));
}

/** Why two decisions differ, as the rest of a sentence that starts "it" (formatCounterexample). */
function difference(a: Decision, b: Decision, parts: Set<string>): string | null {
  const both = (x: string, y: string) => `${x} in the first world, but ${y} in the second`;
  if (parts.has("outcome") && (a.outcome !== b.outcome || a.status !== b.status)) return `is ${both(fateText(a), fateText(b))}`;
  if (parts.has("backends")) {
    const sa = splitText(a);
    const sb = splitText(b);
    if (sa !== sb) return `is split ${both(sa || "to no backend", sb || "to no backend")}`;
  }
  if (parts.has("redirect") && JSON.stringify(a.redirect) !== JSON.stringify(b.redirect)) return `is ${both(redirectText(a), redirectText(b))}`;
  if (parts.has("forwarded")) {
    const fa = forwardedText(a);
    const fb = forwardedText(b);
    if (fa !== fb) return `is forwarded ${both(fa, fb)}`;
  }
  if (parts.has("mirrors")) {
    const ma = mirrorsText(a);
    const mb = mirrorsText(b);
    if (ma !== mb) return `is mirrored ${both(ma ? `to ${ma}` : "nowhere", mb ? `to ${mb}` : "nowhere")}`;
  }
  return null;
}

/** What happens to the request, after "is": "forwarded to ns/a:80 100%", "answered notFound 404 (NoMatchingRoute)". */
function fateText(d: Decision): string {
  if (d.outcome === "forward") return `forwarded${splitText(d) ? ` to ${splitText(d)}` : ""}`;
  if (d.outcome === "redirect") return redirectText(d);
  if (d.outcome === "reject") return `rejected${typeof d.reason === "string" && d.reason ? ` (${d.reason})` : ""}`;
  return `answered ${outcomeText(d)}`;
}

function redirectText(d: Decision): string {
  return d.redirect ? `redirected (${d.redirect.status}) to ${d.redirect.location}` : "not redirected";
}

function splitText(d: Decision): string {
  return d.backends
    .filter((b) => b.probability > 0)
    .map((b) => `${backendText(b)}${b.valid ? "" : " (invalid)"} ${pct(b.probability)}`)
    .sort()
    .join(", ");
}

function forwardedText(d: Decision): string {
  const f = d.forwarded;
  if (!f) return "as nothing";
  const headers = Object.keys(f.headers)
    .sort()
    .map((k) => `${k}: ${JSON.stringify(f.headers[k])}`)
    .join("; ");
  return `as ${f.method} ${f.scheme}://${f.host}${f.path}${headers ? ` {${headers}}` : ""}`;
}

function mirrorsText(d: Decision): string {
  return (d.mirrors ?? [])
    .map((m) => `${backendText(m.backend)} ${m.percent}%${m.valid === false ? " (invalid)" : ""}`)
    .sort()
    .join(", ");
}

export function outcomeText(d: Decision): string {
  const why = typeof d.reason === "string" && d.reason ? ` (${d.reason})` : "";
  if (d.outcome === "forward") return "forward";
  if (d.outcome === "redirect") return `redirect ${d.redirect?.status ?? d.status} to ${d.redirect?.location ?? "?"}`;
  return `${d.outcome}${d.status !== null ? ` ${d.status}` : ""}${why}`;
}

const pct = (p: number) => `${Math.round(p * 1e6) / 1e4}%`;

function search(property: string, worlds: readonly World[], from: RequestPattern, options: PropertyOptions, failure: (r: GatewayRequest) => string | null): Counterexample | null {
  // Generated requests belong to `from` by construction; the caller's are skipped when they do not.
  const own = options.requests;
  const base = own ?? requests(worlds.length === 1 ? worlds[0]! : worlds, from);
  const details = fc.check(
    fc.property(base, (r) => {
      if (own) fc.pre(matchesPattern(from, r));
      return failure(r) === null;
    }),
    { numRuns: options.numRuns ?? DEFAULT_RUNS, ...(options.seed !== undefined ? { seed: options.seed } : {}) },
  );
  if (!details.failed) return null;
  if (!details.counterexample) throw details.errorInstance ?? new Error(`${property}: fast-check failed without a counterexample`);
  const request = details.counterexample[0] as GatewayRequest;
  return {
    property,
    request,
    decision: decide(worlds[0]!, request, { explain: true }),
    reason: failure(request) ?? "fails",
    seed: details.seed,
    path: details.counterexamplePath ?? undefined,
    runs: details.numRuns,
  };
}

/** A counterexample as text: the request, what is wrong, and gwsim's explanation. */
export function formatCounterexample(c: Counterexample): string {
  const lines = [
    `${c.property} fails for ${JSON.stringify(c.request)}`,
    `  it ${c.reason}`,
    `  decision: ${outcomeText(c.decision)}${c.decision.route ? ` by ${c.decision.route.kind} ${c.decision.route.namespace}/${c.decision.route.name} rule ${c.decision.route.rule}` : ""}`,
    ...(c.decision.explain ?? []).map((e) => `    ${e}`),
  ];
  if (c.other) lines.push(`  other world: ${outcomeText(c.other)}`, ...(c.other.explain ?? []).map((e) => `    ${e}`));
  lines.push(`  (fast-check seed ${c.seed}${c.path ? `, path "${c.path}"` : ""}; after ${c.runs} request(s))`);
  return lines.join("\n");
}
