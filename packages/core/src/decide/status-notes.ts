/**
 * Explanation lines read from the status a controller would write (the world's graph), for
 * the questions routing alone cannot answer: why is this listener not taking traffic, and why
 * is the route I attached here not here. Explanations only: routing never reads status.
 */
import type { CompiledListener } from "../compile/table.js";
import type { StatusItem } from "../resolve/graph.js";
import { label } from "./listener.js";
import { ANY_HOST, compareHostSpecificity, hostMatches } from "../compile/hostname.js";

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
}

const conditionsOf = (v: unknown): Condition[] => (Array.isArray(v) ? (v as Condition[]).filter((c) => c && typeof c.type === "string") : []);

const owner = (l: CompiledListener): { kind: string; key: string } => (l.listenerSet ? { kind: "ListenerSet", key: l.listenerSet } : { kind: "Gateway", key: l.gateway });

const keyOf = (item: StatusItem): string => `${item.metadata.namespace ?? ""}/${item.metadata.name}`;

/** Why a listener is not programmed, from its own conditions: `Programmed=False (Invalid): ...`. */
export function listenerProblem(status: readonly StatusItem[], l: CompiledListener): string | null {
  const { kind, key } = owner(l);
  const item = status.find((s) => s.kind === kind && keyOf(s) === key);
  const listeners = item && Array.isArray(item.status.listeners) ? (item.status.listeners as { name?: string; conditions?: unknown }[]) : [];
  const own = listeners.find((x) => x.name === l.name);
  const bad = conditionsOf(own?.conditions).filter((c) => (c.type === "Programmed" || c.type === "Accepted" || c.type === "ResolvedRefs" ? c.status !== "True" : c.type === "Conflicted" && c.status === "True"));
  if (bad.length === 0) {
    // The listener is fine; its Gateway (or ListenerSet) may not be.
    const top = conditionsOf(item?.status.conditions).filter((c) => (c.type === "Accepted" || c.type === "Programmed") && c.status !== "True");
    return top.length ? top.map((c) => `${kind} ${key} ${c.type}=${c.status} (${c.reason}): ${c.message}`).join("; ") : null;
  }
  return bad.map((c) => `${c.type}=${c.status} (${c.reason}): ${c.message}`).join("; ");
}

/** One line per not-programmed listener: `listener ns/gw/a is not programmed: ...`. */
export function notProgrammedNotes(status: readonly StatusItem[] | null, listeners: readonly CompiledListener[]): string[] {
  if (status === null) return [];
  return listeners.filter((l) => !l.ready).map((l) => `listener ${label(l)} is not programmed${suffix(listenerProblem(status, l))}`);
}

const suffix = (why: string | null): string => (why ? `: ${why}` : " (see gwsim status)");

const ROUTE_KINDS = ["HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute"];

/**
 * The route kinds each listener protocol can carry: resolve's KINDS_BY_PROTOCOL, PASSTHROUGH_KINDS
 * and routeKindsFor, repeated so that decide does not load resolve (status-notes.test.ts checks
 * they agree). TLS is its Terminate mode; Passthrough takes only TLSRoute.
 */
export const PROTOCOL_KINDS: Readonly<Record<string, readonly string[]>> = {
  HTTP: ["HTTPRoute", "GRPCRoute"],
  HTTPS: ["HTTPRoute", "GRPCRoute"],
  TLS: ["TLSRoute", "TCPRoute"],
  TCP: ["TCPRoute"],
  UDP: ["UDPRoute"],
};

export const PROTOCOL_PASSTHROUGH_KINDS: readonly string[] = ["TLSRoute"];

export function kindsOfListener(protocol: string, tlsMode: string | null): readonly string[] {
  return protocol === "TLS" && tlsMode === "Passthrough" ? PROTOCOL_PASSTHROUGH_KINDS : (PROTOCOL_KINDS[protocol] ?? []);
}

/**
 * Routes of any kind whose parentRef targets this listener (its Gateway or ListenerSet, with no
 * sectionName or this listener's, no port or this one's) and that the status says are not
 * accepted there, with the condition's reason and message. Also routes whose parentRef is
 * accepted through other listeners of the parent but was refused by this one (refusedHereNote).
 */
export function rejectedRouteNotes(status: readonly StatusItem[] | null, l: CompiledListener): string[] {
  if (status === null) return [];
  const { kind, key } = owner(l);
  const out: string[] = [];
  const supported = supportedKindsOf(status, l);
  for (const item of status) {
    if (!ROUTE_KINDS.includes(item.kind) || !Array.isArray(item.status.parents)) continue;
    for (const p of item.status.parents as { parentRef?: Record<string, unknown>; conditions?: unknown }[]) {
      const ref = p.parentRef ?? {};
      const refKind = typeof ref.kind === "string" ? ref.kind : "Gateway";
      const refKey = `${typeof ref.namespace === "string" ? ref.namespace : (item.metadata.namespace ?? "")}/${String(ref.name)}`;
      if (refKind !== kind || refKey !== key) continue;
      const accepted = conditionsOf(p.conditions).find((c) => c.type === "Accepted");
      if (!accepted) continue;
      const section = typeof ref.sectionName === "string" ? ` sectionName ${ref.sectionName}` : "";
      const elsewhere = (typeof ref.sectionName === "string" && ref.sectionName !== l.name) || (typeof ref.port === "number" && ref.port !== l.port);
      if (elsewhere) {
        // A sectionName or port naming no listener of the parent (a typo, a listener since removed)
        // attaches the route nowhere: worth saying on every listener that could carry its kind.
        if (accepted.status !== "True" && accepted.reason === "NoMatchingParent" && namesNoListener(status, l, ref) && kindsOfListener(l.protocol, l.tls?.mode ?? null).includes(item.kind)) {
          out.push(`${item.kind} ${keyOf(item)} (parentRef ${refKind} ${refKey}${section}${typeof ref.port === "number" ? ` port ${ref.port}` : ""}) is attached nowhere: Accepted=False (NoMatchingParent): ${accepted.message}`);
        }
        continue;
      }
      if (accepted.status === "True") {
        const note = refusedHereNote(item, accepted.message, l, supported, `${refKind} ${refKey}${section}`);
        if (note !== null) out.push(note);
        continue;
      }
      out.push(`${item.kind} ${keyOf(item)} (parentRef ${refKind} ${refKey}${section}) is not attached: Accepted=${accepted.status} (${accepted.reason}): ${accepted.message}`);
    }
  }
  return out;
}

/**
 * A parentRef accepted through other listeners of its parent is Accepted=True, so no condition
 * says this listener refused the route. Its message names the listeners it attached to (resolve
 * writes `attached to listener(s) a and b of Gateway ns/gw`); when this one is not among them,
 * say why, as far as status and the listener show it:
 * - allowedRoutes.kinds: this listener's supportedKinds lack the route's kind although its
 *   protocol takes it (a kind the protocol never takes, such as an HTTPRoute on a TCP listener,
 *   was not meant for it: no note);
 * - otherwise allowedRoutes.namespaces, a hostname outside the listener's, or (HTTPRoute and
 *   GRPCRoute) the other kind holding the hostname (GEP-1016): status keeps neither the
 *   listener's allowedRoutes nor the route's hostnames, so the causes that cannot apply are left
 *   out (no listener hostname, no route of the other kind here) and the rest are named.
 */
function refusedHereNote(item: StatusItem, message: string, l: CompiledListener, supported: readonly string[] | null, parentText: string): string | null {
  const m = /^attached to listener\(s\) (.+) of (?:Gateway|ListenerSet) \S+$/.exec(message);
  if (!m) return null;
  const attached = m[1]!.split(/, | and /);
  if (attached.includes(l.name)) return null;
  const routeKind = item.kind;
  const head = `${routeKind} ${keyOf(item)} (parentRef ${parentText}) is attached to listener ${attached.join(", ")} but not to listener ${label(l)}`;
  const protocolKinds = kindsOfListener(l.protocol, l.tls?.mode ?? null);
  if (!protocolKinds.includes(routeKind)) return null;
  if (supported !== null && !supported.includes(routeKind)) {
    return `${head}: its allowedRoutes.kinds admits only ${supported.join(", ") || "no kind"}, not ${routeKind}`;
  }
  const routeNs = item.metadata.namespace ?? "";
  const ownerNs = owner(l).key.split("/")[0]!;
  const causes = [
    routeNs === ownerNs
      ? `its allowedRoutes.namespaces does not admit namespace ${routeNs} (a selector its labels do not match)`
      : `its allowedRoutes.namespaces does not admit namespace ${routeNs} (from: Same, the default, admits only ${ownerNs}; a selector must match ${routeNs}'s labels)`,
  ];
  if (l.hostname !== null && (routeKind === "HTTPRoute" || routeKind === "GRPCRoute" || routeKind === "TLSRoute")) causes.push(`no hostname of the route is under the listener's ${l.hostname}`);
  const other = routeKind === "HTTPRoute" ? l.grpc.routes.length : routeKind === "GRPCRoute" ? l.routes.length : 0;
  if (other > 0) causes.push(`a ${routeKind === "HTTPRoute" ? "GRPCRoute" : "HTTPRoute"} attached there holds one of its hostnames (an HTTPRoute and a GRPCRoute may not share a hostname on a listener, GEP-1016)`);
  return `${head}: ${causes.length === 1 ? causes[0] : `one of: ${causes.join("; or ")}`}`;
}

/**
 * Whether a NoMatchingParent parentRef concerns this listener: its sectionName is this listener's
 * (on another port) or no listener's of the parent, as its status lists them; or it gives only a port.
 */
function namesNoListener(status: readonly StatusItem[], l: CompiledListener, ref: Record<string, unknown>): boolean {
  const { kind, key } = owner(l);
  const item = status.find((s) => s.kind === kind && keyOf(s) === key);
  const listeners = item && Array.isArray(item.status.listeners) ? (item.status.listeners as { name?: string }[]) : null;
  if (listeners === null) return false;
  // This listener by name on another port, or a name no listener has; a port alone: none has it.
  if (typeof ref.sectionName === "string") return ref.sectionName === l.name || !listeners.some((x) => x.name === ref.sectionName);
  return true;
}

/** The kinds the listener's status says it takes, or null when status does not list it. */
function supportedKindsOf(status: readonly StatusItem[], l: CompiledListener): string[] | null {
  const { kind, key } = owner(l);
  const item = status.find((s) => s.kind === kind && keyOf(s) === key);
  const listeners = item && Array.isArray(item.status.listeners) ? (item.status.listeners as { name?: string; supportedKinds?: unknown }[]) : [];
  const own = listeners.find((x) => x.name === l.name);
  if (!own || !Array.isArray(own.supportedKinds)) return null;
  return (own.supportedKinds as { kind?: unknown }[]).flatMap((k) => (typeof k?.kind === "string" ? [k.kind] : []));
}

/**
 * Not-programmed listeners on the same port and protocol whose hostname takes `host` and is
 * more specific than the one that took the request: the request would have gone there.
 */
export function skippedListenerNotes(status: readonly StatusItem[] | null, onPort: readonly CompiledListener[], protocols: readonly string[], chosen: CompiledListener | null, host: string): string[] {
  if (status === null) return [];
  return onPort
    .filter((l) => !l.ready && protocols.includes(l.protocol))
    .filter((l) => hostMatches(l.hostname ?? ANY_HOST, host) && (chosen === null || compareHostSpecificity(l.hostname ?? ANY_HOST, chosen.hostname ?? ANY_HOST) < 0))
    .map((l) => `listener ${label(l)} (hostname ${l.hostname ?? "any"}) would take host ${host || "(none)"} but is not programmed${suffix(listenerProblem(status, l))}`);
}

/** Every listener of a Gateway on a port, programmed or not. */
export function onPortOf(listeners: readonly CompiledListener[], gwKey: string, port: number): CompiledListener[] {
  return listeners.filter((l) => l.gateway === gwKey && l.port === port);
}

/**
 * `: the most specific of 3 listeners on port 443 whose hostname matches` when several
 * programmed listeners of `protocols` could take `host`, else "" (explanations only).
 */
export function specificityNote(onPort: readonly CompiledListener[], protocols: readonly string[], host: string): string {
  const n = onPort.filter((l) => l.ready && protocols.includes(l.protocol) && hostMatches(l.hostname ?? ANY_HOST, host)).length;
  return n > 1 ? `: the most specific of ${n} ${protocols.join("/")} listeners on port ${onPort[0]!.port} whose hostname matches` : "";
}

/** `gw-1.test, *.example.com, any` for the programmed listeners of `protocols` on a port. */
export function listenerHostnames(onPort: readonly CompiledListener[], protocols: readonly string[]): string {
  return onPort.filter((l) => l.ready && protocols.includes(l.protocol)).map((l) => l.hostname ?? "any").join(", ") || "none";
}
