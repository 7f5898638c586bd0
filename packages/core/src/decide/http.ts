/**
 * HTTP and HTTPS listeners: which listener takes the request (Host for HTTP; SNI, then Host
 * for HTTPS), then which routes own the request's host on it (HTTPRoutes or GRPCRoutes,
 * never both: GEP-1016), then the match by precedence and the matched rule's filters and split.
 */
import type { CompiledGroup, CompiledMatch } from "../compile/table.js";
import { precedenceKeyOf } from "../compile/http.js";
import { precedenceReason } from "../compile/precedence.js";
import { compareHostSpecificity } from "../compile/hostname.js";
import type { Decision } from "../model/decision.js";
import { isNormalTarget, normalizeTarget } from "./fast-path.js";
import { entryConditionsMatch, explainMiss, fullMatch, type MatchInput } from "./match.js";
import { applyRule, type Frontend } from "./forward.js";
import { routeGrpc, type GrpcInput } from "./grpc.js";
import { certificateNote, clientCertificateCheck, countListeners, fail, hostGroups, label, refOf, selectListener, type Fail } from "./listener.js";
import type { RequestView } from "./request.js";
import { EXACT_LENGTH, PREFIX_LENGTH, type GroupRuntime, type HostLookup, type MatchRuntime, type Runtime } from "./runtime.js";
import type { DecideContext } from "./index.js";
import { hostnameText, matchLabel } from "./labels.js";
import { listenerHostnames, onPortOf, rejectedRouteNotes, skippedListenerNotes, specificityNote } from "./status-notes.js";

/** The listener that takes the request (its index), or why none does. */
export type Selected = number | { fail: Fail; listener: number | null };

const NONE: readonly number[] = Object.freeze([]);
const ONE: number[][] = [];
/** A one-entry list without allocating per request (read-only by its callers). */
function oneOrNone(i: number | undefined): readonly number[] {
  if (i === undefined) return NONE;
  return (ONE[i] ??= Object.freeze([i]) as number[]);
}

/** HTTP: the most specific listener for the Host; none → 404 (the port is open, the virtual host is missing). */
export function selectHttpListener(ctx: DecideContext, req: RequestView, hosts: HostLookup, gwKey: string): Selected {
  const li = selectListener(hosts, req.host);
  if (ctx.status) {
    const chosen = li === undefined ? null : ctx.rt.table.listeners[li]!;
    for (const n of skippedListenerNotes(ctx.status, onPortOf(ctx.rt.table.listeners, gwKey, req.port), ["HTTP"], chosen, req.host)) ctx.notes?.push(n);
  }
  if (li === undefined) {
    const hostnames = listenerHostnames(onPortOf(ctx.rt.table.listeners, gwKey, req.port), ["HTTP"]);
    return { listener: null, fail: { outcome: "notFound", status: 404, reason: "NoListenerForHost", message: `Host ${req.host || "(none)"} matches no HTTP listener on port ${req.port} of ${gwKey} (listener hostnames: ${hostnames}): 404` } };
  }
  if (ctx.notes) {
    const l = ctx.rt.table.listeners[li]!;
    const most = specificityNote(onPortOf(ctx.rt.table.listeners, gwKey, req.port), ["HTTP"], req.host);
    ctx.notes.push(`listener ${label(l)} (port ${l.port}, HTTP, hostname ${l.hostname ?? "any"}) accepts host ${req.host || "(none)"}${most}`);
  }
  return li;
}

/**
 * HTTPS, once the SNI picked `bySni` at the handshake (where client certificates are checked):
 * the Host must belong to it. Gateway Listener.hostname doc: 421 when another listener on the
 * same port and protocol is the better match for the Host, 404 when none matches.
 */
export function selectHttpsListener(ctx: DecideContext, req: RequestView, hosts: HostLookup, bySni: number, candidates: number): Selected {
  const { rt, notes } = ctx;
  const host = httpsHost(req);
  const sniListener = rt.table.listeners[bySni]!;
  if (notes) {
    const most = candidates > 1 ? specificityNote(onPortOf(rt.table.listeners, sniListener.gateway, sniListener.port), ["HTTPS", "TLS"], req.sni) : "";
    notes.push(`listener ${label(sniListener)} (port ${sniListener.port}, HTTPS, hostname ${sniListener.hostname ?? "any"}) accepts SNI ${req.sni || "(none)"}${most}`);
    certificateNote(ctx, sniListener, req.sni);
  }
  const refused = clientCertificateCheck(ctx, sniListener, req);
  if (refused) return { listener: null, fail: refused };
  const byHost = selectListener(hosts, host);
  if (ctx.status && byHost !== bySni) {
    const chosen = byHost === undefined ? null : rt.table.listeners[byHost]!;
    for (const n of skippedListenerNotes(ctx.status, onPortOf(ctx.rt.table.listeners, sniListener.gateway, sniListener.port), ["HTTPS"], chosen, host)) ctx.notes?.push(n);
  }
  if (byHost === undefined) {
    const hostnames = listenerHostnames(onPortOf(rt.table.listeners, sniListener.gateway, sniListener.port), ["HTTPS"]);
    return { listener: bySni, fail: { outcome: "notFound", status: 404, reason: "NoListenerForHost", message: `Host ${host || "(none)"} matches no HTTPS listener on port ${req.port} (listener hostnames: ${hostnames}): 404` } };
  }
  if (byHost !== bySni) {
    const other = rt.table.listeners[byHost]!;
    return {
      listener: bySni,
      fail: {
        outcome: "error",
        status: 421,
        reason: "MisdirectedRequest",
        message: `Host ${host} belongs to listener ${label(other)} (hostname ${other.hostname ?? "any"}), not to ${label(sniListener)} chosen by SNI ${req.sni}: 421 Misdirected Request (the client must open a connection with SNI ${host} for it)`,
      },
    };
  }
  return bySni;
}

/**
 * After listener selection: fill the listener in, or fail as selection said. `host` is the
 * request's host as the listener reads it (HTTPS without a Host: the SNI; httpsHost).
 */
export function routeSelected(ctx: DecideContext, req: RequestView, base: Decision, selected: Selected, host: string): Decision {
  if (typeof selected !== "number") {
    if (selected.listener !== null) base.listener = refOf(ctx.rt.table.listeners[selected.listener]!);
    return fail(base, ctx, selected.fail);
  }
  return routeOnHttpListener(ctx, req, base, selected, host);
}

/** The host an HTTPS request is routed by: its Host, else its SNI. */
export function httpsHost(req: RequestView): string {
  return req.hostGiven ? req.host : req.sni;
}

/**
 * The request as matching sees it (its path and query are the normalized ones filters and the
 * forwarded request use too), or null after answering 400 in `d`.
 */
export function matchInputOf(ctx: DecideContext, req: RequestView, d: Decision, host: string): MatchInput | null {
  const target = req.target;
  if (isNormalTarget(target)) {
    // normalizeTarget's shortcut (nearly every target), without its result object.
    const q = target.indexOf("?");
    return inputOf(req, host, q < 0 ? target : target.slice(0, q), q < 0 ? "" : target.slice(q + 1));
  }
  const norm = normalizeTarget(target);
  if (!norm.ok) {
    fail(d, ctx, { outcome: "error", status: 400, reason: "BadRequest", message: `path ${JSON.stringify(target)} is not valid: ${norm.reason ?? "rejected"}` });
    return null;
  }
  if (ctx.notes && norm.path + (norm.query ? `?${norm.query}` : "") !== target) {
    ctx.notes.push(`path ${target} is matched as ${norm.path}${norm.query ? ` (query ${norm.query})` : ""}`);
  }
  return inputOf(req, host, norm.path, norm.query);
}

function inputOf(req: RequestView, host: string, path: string, query: string): MatchInput {
  return {
    path,
    query,
    method: req.method,
    headers: req.headers,
    host: req.hostGiven ? (req.hostPort !== null ? `${host}:${req.hostPort}` : host) : undefined,
    params: null,
  };
}

export function grpcInputOf(req: RequestView, input: MatchInput): GrpcInput {
  return { ...input, service: req.grpc!.service, grpcMethod: req.grpc!.method };
}

function routeOnHttpListener(ctx: DecideContext, req: RequestView, base: Decision, li: number, host: string): Decision {
  const { rt } = ctx;
  const listener = rt.table.listeners[li]!;
  const lrt = rt.listeners[li]!;
  base.listener = ctx.lean ? lrt.ref : refOf(listener);
  const input = matchInputOf(ctx, req, base, host);
  if (input === null) return base;
  const norm = input;
  const frontend = lrt.frontend;

  // GEP-1016: HTTPRoutes and GRPCRoutes never share a hostname on a listener (resolve keeps the
  // older), so the most specific hostname matching the Host belongs to one kind, whose routes
  // decide. A gRPC call on an HTTPRoute hostname is routed as the HTTP/2 POST it is (GEP-1016
  // "Cross Serving": HTTPRoute can serve gRPC); other requests never match a GRPCRoute.
  const grpcGroups = listener.grpc.routes.length > 0 ? hostGroups(lrt.grpcHosts, host, !ctx.fallthrough) : NONE;
  // Without fall-through only the most specific group competes: found with the group as the value.
  const first = ctx.fallthrough ? undefined : selectListener(lrt.groupOfHost, host);
  const httpGroups = ctx.fallthrough ? hostGroups(lrt.hosts, host, false) : oneOrNone(first?.index);
  if (grpcGroups.length > 0) {
    const grpcHost = listener.grpc.groups[grpcGroups[0]!]!.hostname;
    const httpHost = httpGroups.length > 0 ? listener.groups[httpGroups[0]!]!.hostname : null;
    const c = httpHost === null ? -1 : compareHostSpecificity(grpcHost, httpHost);
    if (c < 0 || (c === 0 && req.grpc !== null)) {
      const groups = grpcGroups.map((gi) => listener.grpc.groups[gi]!);
      if (req.grpc === null) {
        if (ctx.notes) {
          ctx.notes.push(`host ${host || "(none)"} is served by GRPCRoutes on listener ${label(listener)} (hostname ${grpcHost === "*" ? "any" : grpcHost}), which match gRPC calls only (POST, content-type application/grpc)`);
          // The HTTPRoute meant to serve it may be one this listener refused (e.g. the hostname clash of GEP-1016).
          ctx.notes.push(...rejectedRouteNotes(ctx.status, listener));
        }
        return Object.assign(base, { outcome: "notFound" as const, status: 404, reason: "NoMatchingRoute", message: `${req.method} ${host || "(no host)"}${norm.path} is not a gRPC call and host ${host || "(none)"} is served by GRPCRoutes: 404` });
      }
      const routed = routeGrpc(ctx, req, base, frontend, groups, grpcInputOf(req, input), host, `on listener ${label(listener)} for host ${host || "(none)"}`);
      if (ctx.notes && routed.outcome === "notFound") ctx.notes.push(...rejectedRouteNotes(ctx.status, listener));
      return routed;
    }
  }
  if (ctx.notes && req.grpc !== null && listener.grpc.routes.length > 0) {
    ctx.notes.push(`gRPC call to a host served by HTTPRoutes: routed as POST ${norm.path}`);
  }
  let won: MatchRuntime | null = null;
  let winnerGroup = -1;
  if (first !== undefined) {
    won = firstMatchEntry(first, input);
    if (won !== null) winnerGroup = first.index;
  } else {
    for (let k = 0; k < httpGroups.length; k++) {
      const gi = httpGroups[k]!;
      won = firstMatchEntry(lrt.groups[gi]!, input);
      if (won !== null) {
        winnerGroup = gi;
        break;
      }
    }
  }
  const winner = won === null ? -1 : won.index;
  if (ctx.notes) {
    if (listener.routes.length === 0) {
      ctx.notes.push(`no HTTPRoute is attached to listener ${label(listener)}`);
      ctx.notes.push(...rejectedRouteNotes(ctx.status, listener));
    }
    else {
      const all = hostGroups(lrt.hosts, host, false);
      if (all.length === 0) {
        ctx.notes.push(`no route on listener ${label(listener)} serves host ${host || "(none)"} (hostnames served: ${listener.groups.map((g) => hostnameText(g.hostname)).join(", ")})`);
        ctx.notes.push(...rejectedRouteNotes(ctx.status, listener));
      } else {
        explainRouting(ctx, all.map((gi) => listener.groups[gi]!), `host ${host || "(none)"}`, input, winner, winnerGroup < 0 ? -1 : all.indexOf(winnerGroup));
        // A 404: the route meant to take it may be one the listener did not accept.
        if (won === null) ctx.notes.push(...rejectedRouteNotes(ctx.status, listener));
      }
    }
  }
  if (won === null) {
    return Object.assign(base, { outcome: "notFound" as const, status: 404, reason: "NoMatchingRoute", message: `no rule of the routes on listener ${label(listener)} matches ${req.method} ${host || "(no host)"}${norm.path}` });
  }
  return applyRule(ctx, req, base, frontend, won, host, norm);
}

export function applyHttpMatch(ctx: DecideContext, req: RequestView, d: Decision, frontend: Frontend, mi: number, host: string, norm: { path: string; query: string }): Decision {
  return applyRule(ctx, req, d, frontend, ctx.rt.targets[mi]!, host, norm);
}

/**
 * The first match in precedence order within one hostname group. Exact paths come first,
 * then regexes, then prefix buckets from the longest element-prefix of the path to `/`;
 * each bucket is sorted, and the path-type/length steps of the comparator make that
 * concatenation the group's precedence order.
 */
export function firstMatch(_rt: Runtime, g: GroupRuntime, input: MatchInput): number {
  const e = firstMatchEntry(g, input);
  return e === null ? -1 : e.index;
}

/** firstMatch, as the match's runtime entry (null when nothing matches). */
export function firstMatchEntry(g: GroupRuntime, input: MatchInput): MatchRuntime | null {
  const { paths, lengths } = g;
  const path = input.path;
  const bits = path.length < lengths.length ? lengths[path.length]! : 0;
  if ((bits & EXACT_LENGTH) !== 0) {
    const exact = g.exactScan !== null ? scanExact(g.exactScan, path) : paths.get(path)?.exact;
    if (exact) for (const e of exact) if (entryConditionsMatch(e, input)) return e;
  }
  if (g.hasRegexes) for (const e of g.regexes) if (fullMatch(e.match, e, input)) return e;
  if (!g.hasPrefixes) return null;
  const scan = g.prefixScan;
  if (scan !== null) return scanPrefixes(scan, input);
  const here = (bits & PREFIX_LENGTH) !== 0 ? paths.get(path)?.prefix : undefined;
  if (here) for (const e of here) if (entryConditionsMatch(e, input)) return e;
  for (let i = path.lastIndexOf("/"); i >= 0; i = i === 0 ? -1 : path.lastIndexOf("/", i - 1)) {
    if (i >= lengths.length || (lengths[i]! & PREFIX_LENGTH) === 0) continue;
    const bucket = paths.get(path.slice(0, i))?.prefix;
    if (bucket) for (const e of bucket) if (entryConditionsMatch(e, input)) return e;
  }
  return null;
}

/** The Exact matches for `path` in a group's `[length, value, matches, ...]` list, or null. */
function scanExact(scan: readonly (number | string | readonly MatchRuntime[])[], path: string): readonly MatchRuntime[] | null {
  const n = path.length;
  for (let j = 0; j < scan.length; j += 3) {
    const len = scan[j] as number;
    if (len > n) continue;
    if (len < n) break;
    if (path === scan[j + 1]) return scan[j + 2] as readonly MatchRuntime[];
  }
  return null;
}

/**
 * The prefix buckets of `path` from the whole path down to each `/` (as firstMatchEntry's map
 * lookups), over a group's `[length, key, matches, ...]` list, longest key first.
 */
function scanPrefixes(scan: readonly (number | string | readonly MatchRuntime[])[], input: MatchInput): MatchRuntime | null {
  const path = input.path;
  let k = 0;
  for (let i = path.length; i >= 0; i = i === 0 ? -1 : path.lastIndexOf("/", i - 1)) {
    while (k < scan.length && (scan[k] as number) > i) k += 3;
    for (let j = k; j < scan.length && scan[j] === i; j += 3) {
      if (!startsWithKey(path, scan[j + 1] as string)) continue;
      // Keys are distinct: this is the one bucket for path[0, i).
      for (const e of scan[j + 2] as readonly MatchRuntime[]) if (entryConditionsMatch(e, input)) return e;
      break;
    }
  }
  return null;
}

/**
 * path.startsWith(key), for a key no longer than the path, compared from the end (keys of one
 * length mostly differ there). String.prototype.startsWith's argument checks cost more.
 */
function startsWithKey(path: string, key: string): boolean {
  for (let c = key.length - 1; c >= 0; c--) if (path.charCodeAt(c) !== key.charCodeAt(c)) return false;
  return true;
}

// ---------- explanations ----------

/** `HTTPRoute ns/name rule 1 (name) match 0` (labels.ts). */
function routeLabel(rt: Runtime, m: CompiledMatch): string {
  const r = rt.table.routes[m.route]!;
  const rule = rt.table.rules[m.rule]!;
  return matchLabel(r.kind, r.namespace, r.name, rule.index, rule.name, m.matchIndex);
}

function describeMatch(m: CompiledMatch): string {
  const parts = [`${m.path.type} ${m.path.value}`];
  if (m.method) parts.push(`method ${m.method}`);
  for (const h of m.headers) parts.push(`header ${h.name}${h.type === "Exact" ? "=" : " ~ "}${h.value}`);
  for (const q of m.queryParams) parts.push(`query ${q.name}${q.type === "Exact" ? "=" : " ~ "}${q.value}`);
  return parts.join(", ");
}

/**
 * Candidates, winner and why, or the nearest misses. `all` are the hostname groups that match
 * the request, most specific first (only the first competes unless hostnameFallthrough);
 * `winnerAt` is the winner's position in `all` (-1 when nothing matched).
 */
export function explainRouting(ctx: DecideContext, all: readonly CompiledGroup[], forWhat: string, input: MatchInput, winner: number, winnerAt: number, mesh = false): void {
  const { rt } = ctx;
  const notes = ctx.notes!;
  const table = rt.table;
  const competing = ctx.fallthrough ? all.length : 1;
  const describeGroup = (g: CompiledGroup): string => {
    const names = g.routes.map((ri) => `${table.routes[ri]!.namespace}/${table.routes[ri]!.name}`);
    const shown = names.length > 8 ? `${names.slice(0, 8).join(", ")} and ${names.length - 8} more` : names.join(", ");
    // Mesh routes are chosen by Service, not hostname (GEP-1294): no hostname to show.
    return mesh ? shown : `${shown} (hostname ${g.hostname === "*" ? "any" : g.hostname})`;
  };
  notes.push(`candidate routes for ${forWhat}: ${all.slice(0, competing).map(describeGroup).join("; ")}`);
  if (!ctx.fallthrough && all.length > 1) {
    notes.push(`less specific hostnames do not compete (hostnames are exclusive; hostnameFallthrough lets them): ${all.slice(1).map(describeGroup).join("; ")}`);
  }

  // Every candidate in precedence order, evaluated slowly.
  const matched: { mi: number; at: number }[] = [];
  const missed: { mi: number; report: ReturnType<typeof explainMiss> }[] = [];
  const outside: { mi: number; at: number }[] = [];
  all.forEach((g, at) => {
    const inCompetition = at < competing;
    for (const mi of g.order) {
      const m = table.matches[mi]!;
      const mrt = rt.matches[mi]!;
      if (fullMatch(m, mrt, input)) (inCompetition ? matched : outside).push({ mi, at });
      else if (inCompetition) missed.push({ mi, report: explainMiss(m, mrt, input) });
    }
  });

  if (winner >= 0) {
    const m = table.matches[winner]!;
    notes.push(`matched ${routeLabel(rt, m)}: ${describeMatch(m)}`);
    if (matched[0] && matched[0].mi !== winner) {
      notes.push(`internal: the indexed lookup and the full scan disagree (${table.matches[matched[0].mi]!.id} first in full scan)`);
    }
    const runnerUp = matched.find((x) => table.matches[x.mi]!.rule !== m.rule);
    if (runnerUp) {
      const r = table.matches[runnerUp.mi]!;
      const wKey = precedenceKeyOf(m, table.routes[m.route]!, all[winnerAt]!.hostname);
      const rKey = precedenceKeyOf(r, table.routes[r.route]!, all[runnerUp.at]!.hostname);
      const why = precedenceReason(wKey, rKey);
      notes.push(`${routeLabel(rt, m)} beat ${routeLabel(rt, r)}: ${why ? why.because : "equal precedence"}`);
    } else {
      notes.push(`no other rule matches`);
    }
    const shadow = outside.find((x) => table.matches[x.mi]!.rule !== m.rule);
    if (shadow && winnerAt === 0) {
      const s = table.matches[shadow.mi]!;
      notes.push(`${routeLabel(rt, s)} (hostname ${hostnameText(all[shadow.at]!.hostname)}) also matches but does not compete: hostname ${hostnameText(all[winnerAt]!.hostname)} is more specific`);
    }
    return;
  }
  notes.push(`no rule matches ${input.method} ${input.path}${input.query ? `?${input.query}` : ""}`);
  // How much of the request path a match's path value shares: `/catalog` is nearer `/catalogue` than `/cart`.
  const shared = (mi: number): number => {
    const value = table.matches[mi]!.path?.value ?? "";
    let i = 0;
    while (i < value.length && i < input.path.length && value.charCodeAt(i) === input.path.charCodeAt(i)) i++;
    return i;
  };
  const nearest = [...missed]
    // Nearest first: the path matched (then the fewest failed conditions); among path misses the
    // longest shared path prefix (a path one character off is nearer than an unrelated path with
    // fewer other conditions), then the fewest failed conditions; else precedence order.
    .sort(
      (a, b) =>
        Number(b.report.pathOk) - Number(a.report.pathOk) ||
        (a.report.pathOk ? 0 : shared(b.mi) - shared(a.mi)) ||
        a.report.failures.length - b.report.failures.length,
    )
    .slice(0, 5);
  for (const x of nearest) {
    const m = table.matches[x.mi]!;
    notes.push(`nearest miss: ${routeLabel(rt, m)}: ${x.report.failures.join("; ")}`);
  }
  const fallback = outside[0];
  if (fallback) {
    const s = table.matches[fallback.mi]!;
    notes.push(`${routeLabel(rt, s)} (hostname ${hostnameText(all[fallback.at]!.hostname)}) would match with hostnameFallthrough`);
  }
}

