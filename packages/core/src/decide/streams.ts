/**
 * Streams: connections routed by TLSRoute (on the SNI), TCPRoute and UDPRoute (by listener).
 * The routes that serve the most specific matching hostname are ordered oldest first, then by
 * namespace/name (compiled), and the first takes every connection: TCPRouteMultipleRoutesAttachment
 * and UDPRouteMultipleRoutesAttachment accept both routes and expect traffic only on the older.
 * A TLS Terminate listener may also carry TCPRoutes: they take the connections whose SNI no
 * TLSRoute hostname matches (gwsim choice, docs/decisions.md "TCPRoute on a TLS listener").
 */
import { ANY_HOST } from "../compile/hostname.js";
import { streamKeyOf, streamRuleOf } from "../compile/streams.js";
import { streamPrecedenceReason } from "../compile/precedence.js";
import type { Decision } from "../model/decision.js";
import { forwardStream } from "./forward.js";
import { fail, hostGroups, label, refOf } from "./listener.js";
import type { RequestView } from "./request.js";
import type { DecideContext } from "./index.js";
import { hostnameText, ruleLabel } from "./labels.js";
import { rejectedRouteNotes } from "./status-notes.js";

/** A TLS, TCP or UDP listener takes the connection: the route by SNI (TLS) or the listener's route. */
export function decideStreamListener(ctx: DecideContext, req: RequestView, d: Decision, li: number): Decision {
  const { rt, notes } = ctx;
  const listener = rt.table.listeners[li]!;
  d.listener = refOf(listener);
  const isTls = listener.protocol === "TLS";
  const sni = isTls ? req.sni : "";
  if (isTls) {
    const mode = listener.tls?.mode ?? "Terminate";
    d.tls = { mode, sni: req.sni || null };
    notes?.push(
      mode === "Passthrough"
        ? `listener ${label(listener)} passes TLS through: the gateway reads only the SNI and forwards the encrypted stream`
        : `listener ${label(listener)} terminates TLS and forwards the decrypted stream`,
    );
  }
  const groups = hostGroups(rt.listeners[li]!.streamHosts, sni, !ctx.fallthrough);
  const kind = isTls ? "TLSRoute" : listener.protocol === "UDP" ? "UDPRoute" : "TCPRoute";
  const reencrypt = isTls && listener.tls?.mode === "Terminate";
  const where = `on listener ${label(listener)}`;
  // TLS Terminate listeners also take TCPRoutes (resolve/listeners.ts KINDS_BY_PROTOCOL).
  const tcpRoutes = isTls ? (listener.streams.tcpRoutes ?? []) : [];
  if (listener.streams.routes.length === 0) {
    const what = reencrypt ? "TLSRoute or TCPRoute" : kind;
    const refused = fail(d, ctx, { outcome: "reject", status: null, reason: "NoMatchingRoute", message: `no ${what} is attached to listener ${label(listener)}: ${refusal(kind)}` });
    for (const n of rejectedRouteNotes(ctx.status, listener)) notes?.push(n);
    return refused;
  }
  if (groups.length === 0) {
    // gwsim choice: TLSRoutes match on the SNI, so one whose hostname matches is more specific
    // than a TCPRoute, which takes every other connection of the listener (as a TLSRoute
    // without hostnames would). Precedence among TCPRoutes: oldest, then namespace/name.
    if (tcpRoutes.length > 0) {
      if (notes) {
        const served = listener.streams.groups.map((g) => hostnameText(g.hostname)).join(", ");
        notes.push(`no TLSRoute on listener ${label(listener)} serves SNI ${sni || "(none)"}${served ? ` (hostnames served: ${served})` : ""}: the TCPRoute attached to it takes the connection`);
      }
      return forwardOrdered(ctx, d, tcpRoutes, ANY_HOST, reencrypt, where);
    }
    const served = listener.streams.groups.map((g) => hostnameText(g.hostname)).join(", ");
    const refused = fail(d, ctx, {
      outcome: "reject",
      status: null,
      reason: "NoMatchingRoute",
      message: `no TLSRoute on listener ${label(listener)} serves SNI ${sni || "(none)"} (hostnames served: ${served}): the connection is rejected`,
    });
    for (const n of rejectedRouteNotes(ctx.status, listener)) notes?.push(n);
    return refused;
  }
  const group = listener.streams.groups[groups[0]!]!;
  if (notes && isTls) notes.push(`SNI ${sni || "(none)"} selects TLSRoute hostname ${group.hostname === "*" ? "any" : group.hostname}`);
  if (notes && tcpRoutes.length > 0) {
    const r = rt.table.streamRoutes[tcpRoutes[0]!]!;
    notes.push(`TCPRoute ${r.namespace}/${r.name} is attached too but takes only connections whose SNI no TLSRoute serves: a TLSRoute matching the SNI comes first`);
  }
  return forwardOrdered(ctx, d, group.routes, group.hostname, reencrypt, where);
}

/**
 * The first of `ordered` (stream route indices in precedence order) takes the stream; the
 * explanation names the others and why they lost.
 */
export function forwardOrdered(ctx: DecideContext, d: Decision, ordered: readonly number[], hostname: string, reencrypt: boolean, where: string): Decision {
  const { rt, notes } = ctx;
  const routes = rt.table.streamRoutes;
  const winner = routes[ordered[0]!]!;
  const ruleIdx = streamRuleOf(winner, rt.table.streamRules);
  if (notes) {
    const rule = ruleIdx === null ? null : rt.table.streamRules[ruleIdx]!;
    notes.push(`${rule ? ruleLabel(winner.kind, winner.namespace, winner.name, rule.index, rule.name) : `${winner.kind} ${winner.namespace}/${winner.name}`} takes the stream ${where}`);
    for (const other of ordered.slice(1)) {
      const r = routes[other]!;
      const why = streamPrecedenceReason(streamKeyOf(winner, hostname), streamKeyOf(r, hostname));
      notes.push(`${r.kind} ${r.namespace}/${r.name} is attached too but gets no traffic: ${why ? why.because : "equal precedence"}`);
    }
  }
  if (ruleIdx === null) {
    return fail(d, ctx, { outcome: "reject", status: null, reason: "NoMatchingRoute", message: `every rule of ${winner.kind} ${winner.namespace}/${winner.name} was dropped: ${refusal(winner.kind)}` });
  }
  const rule = rt.table.streamRules[ruleIdx]!;
  if (notes && winner.rules.length > 1) notes.push(`rule ${rule.index} carries the traffic: rules without matches cannot be told apart, the first usable one takes everything`);
  return forwardStream(ctx, d, { route: winner, rule, weights: rt.streamRules[ruleIdx]!, matchIndex: null, pathMatch: null }, reencrypt);
}

function refusal(kind: string): string {
  return kind === "UDPRoute" ? "its datagrams are dropped" : "the connection is rejected";
}

