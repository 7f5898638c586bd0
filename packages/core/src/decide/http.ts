/**
 * HTTP and HTTPS requests that enter through a Gateway: listener selection, route selection
 * by hostname and match precedence, then the matched rule's filters and backend split.
 */
import type { CompiledBackend, CompiledListener, CompiledMatch } from "../compile/table.js";
import { precedenceKeyOf } from "../compile/index.js";
import { precedenceReason } from "../compile/precedence.js";
import { hostCandidates } from "../compile/hostname.js";
import type { BackendId, BackendShare, BackendTLS, Decision } from "../model/decision.js";
import type { RouteFilter } from "../resolve/graph.js";
import { applyFilters, type FilterContext, type FilterResult } from "./filters/index.js";
import { normalizeTarget } from "./fast-path.js";
import type { Headers } from "./normalize.js";
import { conditionsMatch, explainMiss, fullMatch, type MatchInput } from "./match.js";
import { draw, pickWeighted } from "./draw.js";
import { verifyClientCertificate } from "./client-cert.js";
import { namespacedKey, type RequestView } from "./request.js";
import type { HostLookup, Runtime } from "./runtime.js";
import type { DecideContext } from "./index.js";

type Fail = Pick<Decision, "outcome" | "status"> & { reason: string; message: string };

// The decision under construction is this call's own object: steps fill it in place.
function fail(d: Decision, ctx: DecideContext, f: Fail): Decision {
  ctx.notes?.push(f.message);
  return Object.assign(d, f);
}

export function decideGatewayHttp(ctx: DecideContext, req: RequestView, base: Decision): Decision {
  const { rt, notes } = ctx;
  const gwKey = namespacedKey(req.gateway!);
  const gw = rt.gateways.get(gwKey);
  if (!gw) {
    return fail(base, ctx, { outcome: "reject", status: null, reason: "GatewayNotFound", message: `gateway ${gwKey} not found among the gateways gwsim programs` });
  }
  const port = gw.ports.get(req.port);
  if (!port) {
    const ports = [...gw.ports.keys()].sort((a, b) => a - b).join(", ") || "none";
    return fail(base, ctx, { outcome: "reject", status: null, reason: "NoListener", message: `gateway ${gwKey} has no listener on port ${req.port} (ports: ${ports}); connection refused` });
  }
  const protocol = req.scheme === "https" ? "HTTPS" : "HTTP";
  const hosts = port.protocols.get(protocol);
  if (!hosts || isEmpty(hosts)) {
    const onPort = port.listeners.map((i) => rt.table.listeners[i]!);
    const sameProtocol = onPort.filter((l) => l.protocol === protocol);
    const message =
      sameProtocol.length > 0
        ? `no programmed ${protocol} listener on port ${req.port} of ${gwKey} (${sameProtocol.map((l) => l.name).join(", ")} not ready); connection refused`
        : `port ${req.port} of ${gwKey} serves ${[...new Set(onPort.map((l) => l.protocol))].join("/")}, not ${protocol}; connection refused`;
    return fail(base, ctx, { outcome: "reject", status: null, reason: sameProtocol.length > 0 ? "ListenerNotReady" : "ProtocolMismatch", message });
  }
  const selected = protocol === "HTTPS" ? selectHttpsListener(ctx, req, hosts, gwKey) : selectHttpListener(ctx, req, hosts, gwKey);
  if ("fail" in selected) {
    if (selected.listener !== null) base.listener = refOf(rt.table.listeners[selected.listener]!);
    return fail(base, ctx, selected.fail);
  }
  const { li, host } = selected;
  const listener = rt.table.listeners[li]!;
  const withListener = base;
  withListener.listener = refOf(listener);

  const norm = normalizeTarget(req.target);
  if (!norm.ok) {
    return fail(withListener, ctx, { outcome: "error", status: 400, reason: "BadRequest", message: `path ${JSON.stringify(req.target)} is not valid: ${norm.reason ?? "rejected"}` });
  }
  if (notes && norm.path + (norm.query ? `?${norm.query}` : "") !== req.target) {
    notes.push(`path ${req.target} is matched as ${norm.path}${norm.query ? ` (query ${norm.query})` : ""}`);
  }

  const input: MatchInput = {
    path: norm.path,
    query: norm.query,
    method: req.method,
    headers: req.headers,
    host: req.hostGiven ? (req.hostPort !== null ? `${host}:${req.hostPort}` : host) : undefined,
    params: null,
  };

  const lrt = rt.listeners[li]!;
  const groups = hostGroups(lrt.hosts, host, !ctx.fallthrough);
  let winner = -1;
  let winnerGroup = -1;
  for (const gi of groups) {
    const mi = firstMatch(rt, lrt.groups[gi]!, input);
    if (mi >= 0) {
      winner = mi;
      winnerGroup = gi;
      break;
    }
  }
  if (notes) explainRouting(ctx, listener, host, input, winner, winnerGroup);
  if (winner < 0) {
    return Object.assign(withListener, { outcome: "notFound" as const, status: 404, reason: "NoMatchingRoute", message: `no rule of the routes on listener ${label(listener)} matches ${req.method} ${host || "(no host)"}${norm.path}` });
  }
  return act(ctx, req, withListener, listener, rt.table.matches[winner]!, host, norm);
}

type Selected = { li: number; host: string } | { fail: Fail; listener: number | null };

/** HTTP: the most specific listener for the Host; none → 404 (the port is open, the virtual host is missing). */
function selectHttpListener(ctx: DecideContext, req: RequestView, hosts: HostLookup, gwKey: string): Selected {
  const li = selectListener(hosts, req.host);
  if (li === undefined) {
    return { listener: null, fail: { outcome: "notFound", status: 404, reason: "NoListenerForHost", message: `Host ${req.host || "(none)"} matches no HTTP listener on port ${req.port} of ${gwKey}: 404` } };
  }
  if (ctx.notes) {
    const l = ctx.rt.table.listeners[li]!;
    const n = countListeners(hosts);
    ctx.notes.push(`listener ${label(l)} (port ${l.port}, HTTP, hostname ${l.hostname ?? "any"}) accepts host ${req.host || "(none)"}${n > 1 ? `: the most specific of ${n} HTTP listeners on port ${req.port}` : ""}`);
  }
  return { li, host: req.host };
}

/**
 * HTTPS: the SNI picks the listener at the handshake (where client certificates are checked);
 * then the Host must belong to it. Gateway Listener.hostname doc: 421 when another listener on
 * the same port and protocol is the better match for the Host, 404 when none matches.
 */
function selectHttpsListener(ctx: DecideContext, req: RequestView, hosts: HostLookup, gwKey: string): Selected {
  const { rt, notes } = ctx;
  const host = req.hostGiven ? req.host : req.sni;
  const bySni = selectListener(hosts, req.sni);
  if (bySni === undefined) {
    return { listener: null, fail: { outcome: "reject", status: null, reason: "NoListenerForSNI", message: `no HTTPS listener on port ${req.port} of ${gwKey} accepts SNI ${req.sni || "(none)"}; TLS handshake fails` } };
  }
  const sniListener = rt.table.listeners[bySni]!;
  if (notes) {
    const n = countListeners(hosts);
    notes.push(`listener ${label(sniListener)} (port ${sniListener.port}, HTTPS, hostname ${sniListener.hostname ?? "any"}) accepts SNI ${req.sni || "(none)"}${n > 1 ? `: the most specific of ${n} HTTPS listeners on port ${req.port}` : ""}`);
    certificateNote(ctx, sniListener, req.sni);
  }
  const refused = clientCertificateCheck(ctx, sniListener, req);
  if (refused) return { listener: null, fail: refused };
  const byHost = selectListener(hosts, host);
  if (byHost === undefined) {
    return { listener: bySni, fail: { outcome: "notFound", status: 404, reason: "NoListenerForHost", message: `Host ${host || "(none)"} matches no listener on port ${req.port}: 404` } };
  }
  if (byHost !== bySni) {
    const other = rt.table.listeners[byHost]!;
    return {
      listener: bySni,
      fail: {
        outcome: "error",
        status: 421,
        reason: "MisdirectedRequest",
        message: `Host ${host} belongs to listener ${label(other)} (hostname ${other.hostname ?? "any"}), not to ${label(sniListener)} chosen by SNI ${req.sni}: 421 Misdirected Request`,
      },
    };
  }
  return { li: bySni, host };
}

function isEmpty(h: HostLookup): boolean {
  return h.any === null && h.exact.size === 0 && h.wildcard.size === 0;
}

function countListeners(h: HostLookup): number {
  return (h.any === null ? 0 : 1) + h.exact.size + h.wildcard.size;
}

function selectListener(h: HostLookup, name: string): number | undefined {
  return hostGroups(h, name, true)[0];
}

function hostGroups(h: HostLookup, host: string, firstOnly: boolean): number[] {
  return hostCandidates(host, (k) => h.exact.get(k), (k) => h.wildcard.get(k), h.any, firstOnly);
}

function label(l: CompiledListener): string {
  return l.listenerSet ? `${l.listenerSet}/${l.name} (ListenerSet of ${l.gateway})` : `${l.gateway}/${l.name}`;
}

function refOf(l: CompiledListener): Decision["listener"] {
  return l.listenerSet ? { gateway: l.gateway, name: l.name, port: l.port, listenerSet: l.listenerSet } : { gateway: l.gateway, name: l.name, port: l.port };
}

/** RFC 2818 name check of the served certificate, for the explanation only (no reject). */
function certificateNote(ctx: DecideContext, l: CompiledListener, sni: string): void {
  if (!ctx.notes || !l.tls) return;
  const certs = l.tls.certificates.filter((c) => c.valid);
  if (certs.length === 0 || sni === "") return;
  // RFC 2818: a certificate wildcard covers exactly one label.
  const covers = (name: string): boolean => {
    if (!name.startsWith("*.")) return name === sni;
    const label = sni.slice(0, sni.length - (name.length - 1));
    return sni.endsWith(name.slice(1)) && label !== "" && !label.includes(".");
  };
  const any = certs.some((c) => c.dnsNames.some((n) => covers(n.toLowerCase())));
  const known = certs.some((c) => c.dnsNames.length > 0);
  if (known && !any) ctx.notes.push(`certificate ${certs.map((c) => c.ref).join(", ")} does not name ${sni}; a client that verifies the server name would refuse it`);
}

/**
 * Frontend validation at the handshake: AllowValidOnly refuses a connection without a client
 * certificate or with one that does not chain to the listener's CAs; AllowInsecureFallback lets
 * it through (the backend decides), which `explain` says.
 */
function clientCertificateCheck(ctx: DecideContext, l: CompiledListener, req: RequestView): Fail | null {
  const fv = l.tls?.frontendValidation;
  if (!fv) return null;
  const strict = fv.mode === "AllowValidOnly";
  if (req.clientCertificate === null) {
    const message = `listener ${label(l)} requires a client certificate and none was presented`;
    if (strict) return { outcome: "reject", status: null, reason: "ClientCertificateRequired", message: `${message}; TLS handshake fails` };
    ctx.notes?.push(`${message}; AllowInsecureFallback lets the connection through`);
    return null;
  }
  const check = verifyClientCertificate(req.clientCertificate, fv.caCertificates, req.timeMs);
  if (check.ok) {
    ctx.notes?.push(`client certificate chains to CA ${check.ca}${req.timeMs === null ? " (validity period not checked: the request has no time)" : ""}`);
    return null;
  }
  if (strict) return { outcome: "reject", status: null, reason: check.reason, message: `${check.message}; TLS handshake fails` };
  ctx.notes?.push(`${check.message}; AllowInsecureFallback lets the connection through`);
  return null;
}

/**
 * The first match in precedence order within one hostname group. Exact paths come first,
 * then regexes, then prefix buckets from the longest element-prefix of the path to `/`;
 * each bucket is sorted, and the path-type/length steps of the comparator make that
 * concatenation the group's precedence order.
 */
function firstMatch(rt: Runtime, g: Runtime["listeners"][number]["groups"][number], input: MatchInput): number {
  const { matches } = rt.table;
  const path = input.path;
  const exact = g.exactPaths.get(path);
  if (exact) for (const mi of exact) if (conditionsMatch(matches[mi]!, rt.matches[mi]!, input)) return mi;
  for (const mi of g.regexes) if (fullMatch(matches[mi]!, rt.matches[mi]!, input)) return mi;
  if (g.prefixes.size === 0) return -1;
  let hit = bucketMatch(rt, g.prefixes.get(path), input);
  if (hit >= 0) return hit;
  for (let i = path.lastIndexOf("/"); i >= 0; i = i === 0 ? -1 : path.lastIndexOf("/", i - 1)) {
    hit = bucketMatch(rt, g.prefixes.get(path.slice(0, i)), input);
    if (hit >= 0) return hit;
  }
  return -1;
}

function bucketMatch(rt: Runtime, bucket: readonly number[] | undefined, input: MatchInput): number {
  if (!bucket) return -1;
  for (const mi of bucket) if (conditionsMatch(rt.table.matches[mi]!, rt.matches[mi]!, input)) return mi;
  return -1;
}

// ---------- the matched rule: filters, backends ----------

function act(
  ctx: DecideContext,
  req: RequestView,
  d: Decision,
  listener: CompiledListener,
  match: CompiledMatch,
  host: string,
  norm: { path: string; query: string },
): Decision {
  const { rt, notes } = ctx;
  const rule = rt.table.rules[match.rule]!;
  const route = rt.table.routes[match.route]!;
  const out = d;
  out.route = { kind: route.kind, namespace: route.namespace, name: route.name, rule: rule.index, ruleName: rule.name, match: match.matchIndex };
  out.backends = rule.backends.map(shareOf);
  out.timeouts = rule.timeouts ? { ...rule.timeouts } : null;
  out.retry = rule.retry ? { ...rule.retry, ...(rule.retry.codes ? { codes: [...rule.retry.codes] } : {}) } : null;
  out.sessionPersistence = rule.sessionPersistence ? structuredClone(rule.sessionPersistence) : null;
  // forwarded.host carries the Host; the header map does not repeat it.
  let headers: Headers = req.headers;
  if (Object.hasOwn(headers, "host")) {
    headers = {};
    for (const k of Object.keys(req.headers)) if (k !== "host") headers[k] = req.headers[k]!;
  }
  const fctx: FilterContext = {
    method: req.method,
    scheme: req.scheme,
    host,
    port: req.hostPort,
    listenerPort: listener.port,
    listenerProtocol: listener.protocol,
    path: norm.path,
    query: norm.query,
    headers,
    pathMatch: { ...match.path },
  };
  const ruleResult = applyFilters(rule.filters as RouteFilter[], fctx);
  if (notes) for (const n of ruleResult.notes) notes.push(`rule filter: ${n}`);
  const early = filterOutcome(ctx, out, ruleResult);
  if (early) return early;

  if (rule.backends.length === 0 || rule.totalWeight <= 0) {
    const message =
      rule.backends.length === 0
        ? `rule ${rule.index} of ${route.namespace}/${route.name} has no backendRefs: 500`
        : `every backendRef of rule ${rule.index} of ${route.namespace}/${route.name} has weight 0: 500`;
    return fail(withFilterEffects(out, ruleResult), ctx, { outcome: "error", status: 500, reason: rule.backends.length === 0 ? "NoBackends" : "NoBackendWeight", message });
  }
  const picked = pickBackend(ctx, match.rule);
  const backend = rule.backends[picked.index]!;
  out.backend = idOf(backend);
  notes?.push(
    `backend ${backendLabel(backend)}: weight ${backend.weight} of ${rule.totalWeight}, probability ${round(backend.probability)}` +
      (picked.u === null ? " (the only backend with weight)" : `, picked by seeded draw ${round(picked.u)} (seed ${ctx.seed}, index ${ctx.index})`),
  );
  if (!backend.valid) {
    const reason = backend.reason ?? "InvalidBackend";
    return fail(withFilterEffects(out, ruleResult), ctx, {
      outcome: "error",
      status: 500,
      reason,
      message: `backend ${backendLabel(backend)} is invalid (${reason}${backend.message ? `: ${backend.message}` : ""}); its share of traffic answers 500`,
    });
  }
  let result = ruleResult;
  if (backend.filters.length > 0) {
    result = applyFilters(backend.filters as RouteFilter[], fctx, ruleResult);
    if (notes) for (const n of result.notes.slice(ruleResult.notes.length)) notes.push(`backendRef filter: ${n}`);
    const late = filterOutcome(ctx, out, result);
    if (late) return late;
  }
  const final = withFilterEffects(out, result);
  final.outcome = "forward";
  final.status = null;
  final.forwarded = result.forwarded;
  final.backendTLS = backendTLSFor(rt, backend);
  if (notes && final.backendTLS) notes.push(`BackendTLSPolicy ${final.backendTLS.policy} applies: TLS to the backend with SNI ${final.backendTLS.sni}`);
  return final;
}

function withFilterEffects(d: Decision, r: FilterResult): Decision {
  d.responseHeaders = r.responseHeaders;
  d.mirrors = r.mirrors;
  return d;
}

function filterOutcome(ctx: DecideContext, d: Decision, r: FilterResult): Decision | null {
  if (r.error) {
    return fail(withFilterEffects(d, r), ctx, { outcome: "error", status: r.error.status, reason: r.error.reason, message: r.error.message });
  }
  if (r.redirect) {
    ctx.notes?.push(`redirect ${r.redirect.status} to ${r.redirect.location}`);
    return Object.assign(withFilterEffects(d, r), { outcome: "redirect" as const, status: r.redirect.status, redirect: r.redirect });
  }
  if (r.respond) {
    ctx.notes?.push(`the gateway answers ${r.respond.status} itself`);
    // The gateway's own response: its headers show as `set` edits, so CONTRACT readers see them;
    // ResponseHeaderModifier edits still apply on top.
    const edits = r.responseHeaders ?? { set: {}, add: {}, remove: [] };
    const responseHeaders = { set: { ...r.respond.headers, ...edits.set }, add: { ...edits.add }, remove: [...edits.remove] };
    return Object.assign(withFilterEffects(d, r), { responseHeaders, outcome: "respond" as const, status: r.respond.status, respond: r.respond });
  }
  return null;
}

function pickBackend(ctx: DecideContext, ruleIndex: number): { index: number; u: number | null } {
  const r = ctx.rt.rules[ruleIndex]!;
  if (r.weighted === 1) return { index: r.firstWeighted, u: null };
  const u = draw(ctx.seed, ctx.index);
  return { index: pickWeighted(r.weights, u), u };
}

function shareOf(b: CompiledBackend): BackendShare {
  return { group: b.group, kind: b.kind, namespace: b.namespace, name: b.name, port: b.port, weight: b.weight, probability: b.probability, valid: b.valid, reason: b.reason };
}

function idOf(b: CompiledBackend): BackendId {
  return { group: b.group, kind: b.kind, namespace: b.namespace, name: b.name, port: b.port };
}

function backendLabel(b: CompiledBackend): string {
  const kind = b.group === "" && b.kind === "Service" ? "" : `${b.kind}${b.group ? `.${b.group}` : ""} `;
  return `${kind}${b.namespace}/${b.name}${b.port !== null ? `:${b.port}` : ""}`;
}

const round = (x: number): string => String(Math.round(x * 10_000) / 10_000);

/**
 * The BackendTLSPolicy for a Service backend: one naming the port's sectionName wins over one
 * for the whole Service (gwsim choice: the more specific target), else the first in graph order.
 */
function backendTLSFor(rt: Runtime, b: CompiledBackend): BackendTLS | null {
  if (b.group !== "" || b.kind !== "Service") return null;
  const list = rt.backendTLS.get(`${b.namespace}/${b.name}`);
  if (!list) return null;
  const key = `${b.namespace}/${b.name}`;
  const svc = Object.hasOwn(rt.table.services, key) ? rt.table.services[key] : undefined;
  const portName = svc?.ports.find((p) => p.port === b.port)?.name ?? null;
  let whole: number | null = null;
  for (const i of list) {
    const p = rt.table.backendTLSPolicies[i]!;
    if (p.sectionName !== null) {
      if (p.sectionName === portName) return tlsOf(rt, i);
    } else if (whole === null) {
      whole = i;
    }
  }
  return whole === null ? null : tlsOf(rt, whole);
}

function tlsOf(rt: Runtime, i: number): BackendTLS {
  const p = rt.table.backendTLSPolicies[i]!;
  return {
    policy: p.policy,
    sni: p.sni,
    caCertificateRefs: [...p.caCertificateRefs],
    wellKnownCACertificates: p.wellKnownCACertificates,
    subjectAltNames: structuredClone([...p.subjectAltNames]),
    clientCertificate: p.clientCertificate,
  };
}

// ---------- explanations ----------

function routeLabel(rt: Runtime, m: CompiledMatch): string {
  const r = rt.table.routes[m.route]!;
  const rule = rt.table.rules[m.rule]!;
  return `rule ${rule.index}${rule.name ? ` (${rule.name})` : ""} of ${r.namespace}/${r.name}`;
}

function describeMatch(m: CompiledMatch): string {
  const parts = [`${m.path.type} ${m.path.value}`];
  if (m.method) parts.push(`method ${m.method}`);
  for (const h of m.headers) parts.push(`header ${h.name}${h.type === "Exact" ? "=" : " ~ "}${h.value}`);
  for (const q of m.queryParams) parts.push(`query ${q.name}${q.type === "Exact" ? "=" : " ~ "}${q.value}`);
  return parts.join(", ");
}

function explainRouting(ctx: DecideContext, listener: CompiledListener, host: string, input: MatchInput, winner: number, winnerGroup: number): void {
  const { rt } = ctx;
  const notes = ctx.notes!;
  const li = rt.table.listeners.indexOf(listener);
  const lrt = rt.listeners[li]!;
  const table = rt.table;
  if (listener.routes.length === 0) {
    notes.push(`no HTTPRoute is attached to listener ${label(listener)}`);
    return;
  }
  const all = hostGroups(lrt.hosts, host, false);
  if (all.length === 0) {
    const served = listener.groups.map((g) => g.hostname).join(", ");
    notes.push(`no route on listener ${label(listener)} serves host ${host || "(none)"} (hostnames served: ${served})`);
    return;
  }
  const competing = ctx.fallthrough ? all : all.slice(0, 1);
  const describeGroup = (gi: number): string => {
    const g = listener.groups[gi]!;
    const names = g.routes.map((ri) => `${table.routes[ri]!.namespace}/${table.routes[ri]!.name}`);
    const shown = names.length > 8 ? `${names.slice(0, 8).join(", ")} and ${names.length - 8} more` : names.join(", ");
    return `${shown} (hostname ${g.hostname === "*" ? "any" : g.hostname})`;
  };
  notes.push(`candidate routes for host ${host || "(none)"}: ${competing.map(describeGroup).join("; ")}`);
  if (!ctx.fallthrough && all.length > 1) {
    notes.push(`less specific hostnames do not compete (hostnames are exclusive; hostnameFallthrough lets them): ${all.slice(1).map(describeGroup).join("; ")}`);
  }

  // Every candidate in precedence order, evaluated slowly.
  const matched: { mi: number; gi: number }[] = [];
  const missed: { mi: number; gi: number; report: ReturnType<typeof explainMiss> }[] = [];
  const outside: { mi: number; gi: number }[] = [];
  for (const gi of all) {
    const inCompetition = competing.includes(gi);
    for (const mi of listener.groups[gi]!.order) {
      const m = table.matches[mi]!;
      const mrt = rt.matches[mi]!;
      if (fullMatch(m, mrt, input)) (inCompetition ? matched : outside).push({ mi, gi });
      else if (inCompetition) missed.push({ mi, gi, report: explainMiss(m, mrt, input) });
    }
  }

  if (winner >= 0) {
    const m = table.matches[winner]!;
    notes.push(`matched ${routeLabel(rt, m)}, match ${m.matchIndex}: ${describeMatch(m)}`);
    if (matched[0] && matched[0].mi !== winner) {
      notes.push(`internal: the indexed lookup and the full scan disagree (${table.matches[matched[0].mi]!.id} first in full scan)`);
    }
    const runnerUp = matched.find((x) => table.matches[x.mi]!.rule !== m.rule);
    if (runnerUp) {
      const r = table.matches[runnerUp.mi]!;
      const wKey = precedenceKeyOf(m, table.routes[m.route]!, listener.groups[winnerGroup]!.hostname);
      const rKey = precedenceKeyOf(r, table.routes[r.route]!, listener.groups[runnerUp.gi]!.hostname);
      const why = precedenceReason(wKey, rKey);
      notes.push(`${routeLabel(rt, m)} beat ${routeLabel(rt, r)}: ${why ? why.because : "equal precedence"}`);
    } else {
      notes.push(`no other rule matches`);
    }
    const shadow = outside.find((x) => table.matches[x.mi]!.rule !== m.rule);
    if (shadow && winnerGroup === all[0]) {
      const s = table.matches[shadow.mi]!;
      notes.push(`${routeLabel(rt, s)} (hostname ${listener.groups[shadow.gi]!.hostname}) also matches but does not compete: hostname ${listener.groups[winnerGroup]!.hostname} is more specific`);
    }
    return;
  }
  notes.push(`no rule matches ${input.method} ${input.path}${input.query ? `?${input.query}` : ""}`);
  const nearest = [...missed]
    // Nearest first: the path matched, then the fewest failed conditions; else precedence order.
    .sort((a, b) => Number(b.report.pathOk) - Number(a.report.pathOk) || a.report.failures.length - b.report.failures.length)
    .slice(0, 5);
  for (const x of nearest) {
    const m = table.matches[x.mi]!;
    notes.push(`nearest miss: ${routeLabel(rt, m)}, match ${m.matchIndex}: ${x.report.failures.join("; ")}`);
  }
  const fallback = outside[0];
  if (fallback) {
    const s = table.matches[fallback.mi]!;
    notes.push(`${routeLabel(rt, s)} (hostname ${listener.groups[fallback.gi]!.hostname}) would match with hostnameFallthrough`);
  }
}
