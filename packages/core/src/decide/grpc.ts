/**
 * gRPC calls routed by GRPCRoutes (apis/v1/grpcroute_types.go): matching on service, method
 * and headers, precedence per the GRPCRouteRule `matches` doc comment (compiled into each
 * group's order), and the gRPC status a client gets when the gateway answers itself.
 *
 * - service/method `Exact`: equal, case-sensitive; an omitted (or empty) service or method
 *   matches any. `RegularExpression`: a full match of each given part, in gwsim's dialect
 *   (model/regex.ts). No method match: every call.
 * - headers: as for HTTPRoute (names case-insensitive, a repeated header joined with ",").
 */
import type { CompiledGrpcGroup, CompiledGrpcMatch } from "../compile/table.js";
import { grpcKeyOf } from "../compile/grpc.js";
import { grpcPrecedenceReason } from "../compile/precedence.js";
import type { Decision } from "../model/decision.js";
import { applyRule, type Frontend } from "./forward.js";
import { headerFor, showExpected, valuePasses, type MatchInput } from "./match.js";
import type { RequestView } from "./request.js";
import type { GrpcMatchRuntime, Runtime } from "./runtime.js";
import type { DecideContext } from "./index.js";
import { matchLabel } from "./labels.js";

export interface GrpcInput extends MatchInput {
  service: string;
  grpcMethod: string;
}

function partPasses(t: { value: string; regex: RegExp | null } | null, v: string, regex: boolean): boolean {
  if (t === null) return true;
  return regex ? t.regex !== null && t.regex.test(v) : t.value === v;
}

export function grpcMatches(m: CompiledGrpcMatch, mrt: GrpcMatchRuntime, input: GrpcInput): boolean {
  if (m.never !== null) return false;
  const regex = m.method?.type === "RegularExpression";
  if (!partPasses(mrt.service, input.service, regex) || !partPasses(mrt.method, input.grpcMethod, regex)) return false;
  for (const h of mrt.headers) if (!valuePasses(h, headerFor(input, h.name))) return false;
  return true;
}

/** Why a GRPCRoute match missed, condition by condition. */
export function explainGrpcMiss(m: CompiledGrpcMatch, mrt: GrpcMatchRuntime, input: GrpcInput): string[] {
  const out: string[] = [];
  if (m.never !== null) out.push(`can never match: ${m.never}`);
  const regex = m.method?.type === "RegularExpression";
  const how = regex ? " ~ " : "=";
  if (!partPasses(mrt.service, input.service, regex)) out.push(`service${how}${showExpected(mrt.service!.value, regex)} expected, got ${JSON.stringify(input.service)}`);
  if (!partPasses(mrt.method, input.grpcMethod, regex)) out.push(`method${how}${showExpected(mrt.method!.value, regex)} expected, got ${JSON.stringify(input.grpcMethod)}`);
  for (const h of mrt.headers) {
    const v = headerFor(input, h.name);
    if (!valuePasses(h, v)) out.push(`header ${h.name}${h.regex ? " ~ " : "="}${showExpected(h.value, h.regex !== null)} expected, got ${v === undefined ? "none" : JSON.stringify(v)}`);
  }
  return out;
}

export function describeGrpcMatch(m: CompiledGrpcMatch): string {
  const parts: string[] = [];
  if (m.method) {
    const how = m.method.type === "RegularExpression" ? " ~ " : "=";
    parts.push(m.method.service === null ? "any service" : `service${how}${m.method.service}`);
    parts.push(m.method.method === null ? "any method" : `method${how}${m.method.method}`);
  } else {
    parts.push("every call");
  }
  for (const h of m.headers) parts.push(`header ${h.name}${h.type === "Exact" ? "=" : " ~ "}${h.value}`);
  return parts.join(", ");
}

function firstGrpcMatch(rt: Runtime, g: CompiledGrpcGroup, input: GrpcInput): number {
  for (const mi of g.order) if (grpcMatches(rt.table.grpcMatches[mi]!, rt.grpcMatches[mi]!, input)) return mi;
  return -1;
}

function ruleLabel(rt: Runtime, m: CompiledGrpcMatch): string {
  const r = rt.table.grpcRoutes[m.route]!;
  const rule = rt.table.grpcRules[m.rule]!;
  return matchLabel(r.kind, r.namespace, r.name, rule.index, rule.name, m.matchIndex);
}

/**
 * Routes a gRPC call over GRPCRoute hostname groups tried in order (the most specific first;
 * further groups only with hostname fall-through). No match → 404, which a gRPC client sees as
 * UNIMPLEMENTED (grpcStatusOf).
 */
export function routeGrpc(
  ctx: DecideContext,
  req: RequestView,
  d: Decision,
  frontend: Frontend,
  groups: readonly CompiledGrpcGroup[],
  input: GrpcInput,
  host: string,
  where: string,
): Decision {
  const { rt, notes } = ctx;
  let winner = -1;
  let winnerGroup: CompiledGrpcGroup | null = null;
  for (const g of groups) {
    winner = firstGrpcMatch(rt, g, input);
    if (winner >= 0) {
      winnerGroup = g;
      break;
    }
  }
  if (notes) explainGrpc(ctx, groups, input, winner, winnerGroup, where);
  if (winner < 0) {
    return Object.assign(d, {
      outcome: "notFound" as const,
      status: 404,
      reason: "NoMatchingRoute",
      message: `no GRPCRoute rule ${where} matches ${input.service}/${input.grpcMethod}`,
    });
  }
  const m = rt.table.grpcMatches[winner]!;
  return applyRule(ctx, req, d, frontend, { route: rt.table.grpcRoutes[m.route]!, rule: rt.table.grpcRules[m.rule]!, weights: rt.grpcRules[m.rule]!, matchIndex: m.matchIndex, pathMatch: null }, host, input);
}

function explainGrpc(ctx: DecideContext, groups: readonly CompiledGrpcGroup[], input: GrpcInput, winner: number, winnerGroup: CompiledGrpcGroup | null, where: string): void {
  const { rt } = ctx;
  const notes = ctx.notes!;
  const names = (g: CompiledGrpcGroup) => g.routes.map((ri) => `${rt.table.grpcRoutes[ri]!.namespace}/${rt.table.grpcRoutes[ri]!.name}`).join(", ");
  // Mesh GRPCRoutes are chosen by Service (GEP-1294): no hostname to show.
  const mesh = where.startsWith("for Service ");
  notes.push(`gRPC call ${input.service}/${input.grpcMethod}: candidate GRPCRoutes ${where}: ${groups.map((g) => (mesh ? names(g) : `${names(g)} (hostname ${g.hostname === "*" ? "any" : g.hostname})`)).join("; ")}`);
  const matched: { mi: number; g: CompiledGrpcGroup }[] = [];
  const missed: { mi: number; serviceOk: boolean; failures: string[] }[] = [];
  for (const g of groups) {
    for (const mi of g.order) {
      const m = rt.table.grpcMatches[mi]!;
      const mrt = rt.grpcMatches[mi]!;
      if (grpcMatches(m, mrt, input)) matched.push({ mi, g });
      else missed.push({ mi, serviceOk: m.never === null && partPasses(mrt.service, input.service, m.method?.type === "RegularExpression"), failures: explainGrpcMiss(m, mrt, input) });
    }
  }
  if (winner >= 0) {
    const m = rt.table.grpcMatches[winner]!;
    notes.push(`matched ${ruleLabel(rt, m)}: ${describeGrpcMatch(m)}`);
    const runnerUp = matched.find((x) => rt.table.grpcMatches[x.mi]!.rule !== m.rule);
    if (runnerUp) {
      const r = rt.table.grpcMatches[runnerUp.mi]!;
      const why = grpcPrecedenceReason(
        grpcKeyOf(m, rt.table.grpcRoutes[m.route]!, winnerGroup!.hostname),
        grpcKeyOf(r, rt.table.grpcRoutes[r.route]!, runnerUp.g.hostname),
      );
      notes.push(`${ruleLabel(rt, m)} beat ${ruleLabel(rt, r)}: ${why ? why.because : "equal precedence"}`);
    } else {
      notes.push("no other GRPCRoute rule matches");
    }
    return;
  }
  notes.push(`no GRPCRoute rule matches ${input.service}/${input.grpcMethod}`);
  // Nearest first: a rule for the called service (it only missed the method or a header) before
  // a rule for another service, as HTTP ranks a path match first; then the fewest failed conditions.
  for (const x of [...missed].sort((a, b) => Number(b.serviceOk) - Number(a.serviceOk) || a.failures.length - b.failures.length).slice(0, 5)) {
    const m = rt.table.grpcMatches[x.mi]!;
    notes.push(`nearest miss: ${ruleLabel(rt, m)}: ${x.failures.join("; ")}`);
  }
}

/** gRPC status codes (grpc/doc/statuscodes.md) gwsim answers with. */
export const GRPC_STATUS = { UNKNOWN: 2, UNIMPLEMENTED: 12, INTERNAL: 13, UNAVAILABLE: 14, UNAUTHENTICATED: 16, PERMISSION_DENIED: 7 } as const;

const BACKEND_PROBLEMS = new Set(["NoBackends", "NoBackendWeight"]);

/**
 * The grpc-status a gRPC client gets when the gateway answers a call itself (the gateway sends
 * it in a Trailers-Only response, HTTP :status 200; `status` keeps the HTTP meaning):
 * - a rule's backend is invalid, or it has none: UNAVAILABLE (GRPCRouteRule backendRefs doc);
 * - otherwise the gRPC HTTP-to-status mapping (grpc/doc/http-grpc-status-mapping.md): 400
 *   INTERNAL, 401 UNAUTHENTICATED, 403 PERMISSION_DENIED, 404 UNIMPLEMENTED (no route: what
 *   GRPCExactMethodMatching and GRPCRouteListenerHostnameMatching expect), 429/502/503/504
 *   UNAVAILABLE, anything else (a 500 from a filter, 421, a redirect) UNKNOWN.
 * Forwarded and rejected calls get none (null): the backend answers, or nobody does.
 */
export function grpcStatusOf(d: Decision): number | null {
  if (d.status === null || d.outcome === "forward" || d.outcome === "reject") return null;
  const picked = d.backend;
  const pickedInvalid = picked !== null && d.backends.some((b) => !b.valid && b.group === picked.group && b.kind === picked.kind && b.namespace === picked.namespace && b.name === picked.name && b.port === picked.port);
  if (d.status === 500 && (BACKEND_PROBLEMS.has(String(d.reason)) || pickedInvalid)) {
    return GRPC_STATUS.UNAVAILABLE;
  }
  switch (d.status) {
    case 400:
      return GRPC_STATUS.INTERNAL;
    case 401:
      return GRPC_STATUS.UNAUTHENTICATED;
    case 403:
      return GRPC_STATUS.PERMISSION_DENIED;
    case 404:
      return GRPC_STATUS.UNIMPLEMENTED;
    case 429:
    case 502:
    case 503:
    case 504:
      return GRPC_STATUS.UNAVAILABLE;
    default:
      return GRPC_STATUS.UNKNOWN;
  }
}
