/**
 * Listeners gwsim would not program (a conflict, certificate refs that do not resolve or are not
 * permitted, an unsupported protocol): they take no traffic, and the routes attached to them
 * serve nothing there. Read from the status resolve wrote, so lint and `gwsim status` agree.
 */
import { compareHostSpecificity, intersectHostname } from "../compile/hostname.js";
import type { CompiledListener, RouteTable } from "../compile/table.js";
import { ListenerReason } from "../model/conditions.js";
import type { Condition, ResolvedListener, StatusItem } from "../resolve/graph.js";
import type { LintContext } from "./context.js";
import type { Finding, LintObjectRef } from "./finding.js";

interface ListenerStatus {
  name: string;
  conditions?: Condition[];
}

interface CertRef {
  group?: string;
  kind?: string;
  name?: string;
  namespace?: string;
}

export function listenerFindings(ctx: LintContext): Finding[] {
  const { graph } = ctx.world;
  const status = new Map<string, StatusItem>(graph.status.map((s) => [`${s.kind}/${s.metadata.namespace ?? ""}/${s.metadata.name}`, s]));
  const findings: Finding[] = [];
  for (const l of graph.listeners) {
    if (l.ready) continue;
    const owner: LintObjectRef = l.listenerSet ? { kind: "ListenerSet", namespace: l.listenerSet.namespace, name: l.listenerSet.name } : { kind: "Gateway", namespace: l.gateway.namespace, name: l.gateway.name };
    const entry = ((status.get(`${owner.kind}/${owner.namespace}/${owner.name}`)?.status as { listeners?: ListenerStatus[] } | undefined)?.listeners ?? []).find((s) => s.name === l.name);
    const cause = causeOf(entry?.conditions ?? []);
    if (!cause) continue;
    const obj = ctx.get(owner.kind, owner.namespace!, owner.name);
    const specListeners = ((obj?.spec as { listeners?: unknown } | undefined)?.listeners ?? []) as { name?: string; tls?: { certificateRefs?: CertRef[] } }[];
    const index = Array.isArray(specListeners) ? specListeners.findIndex((s) => s?.name === l.name) : -1;
    // Certificates are often kept out of git (cert-manager, sealed secrets): a Secret missing
    // from the manifests is not a finding, as a missing Service is not for backendRefs.
    if (cause.reason === ListenerReason.InvalidCertificateRef && certificatesElsewhere(ctx, owner.namespace!, index >= 0 ? specListeners[index]!.tls?.certificateRefs : undefined)) continue;
    const unsupported = cause.reason === ListenerReason.UnsupportedProtocol;
    const where = `listener ${l.name} (${l.protocol} port ${l.port}${l.hostname ? `, ${l.hostname}` : ""}) of ${owner.kind} ${owner.namespace}/${owner.name}`;
    findings.push(
      ctx.finding({
        rule: "listener-not-programmed",
        severity: unsupported ? "warning" : "error",
        object: owner,
        path: index >= 0 ? `spec.listeners[${index}]` : "spec.listeners",
        fallback: l.source ?? null,
        message: `${where} is not programmed and takes no traffic: ${cause.type} ${cause.status} (${cause.reason}): ${cause.message}`,
        fix: fixFor(cause.reason, l),
      }),
    );
  }
  return findings;
}

/** The condition that says why: a conflict first, then Accepted, ResolvedRefs, Programmed. */
function causeOf(conditions: readonly Condition[]): Condition | undefined {
  const by = (type: string, status: string) => conditions.find((c) => c.type === type && c.status === status);
  return by("Conflicted", "True") ?? by("Accepted", "False") ?? by("ResolvedRefs", "False") ?? by("Programmed", "False");
}

function certificatesElsewhere(ctx: LintContext, namespace: string, refs: CertRef[] | undefined): boolean {
  if (!Array.isArray(refs)) return false;
  return refs.some((r) => (r.group ?? "") === "" && (r.kind ?? "Secret") === "Secret" && typeof r.name === "string" && !ctx.get("Secret", r.namespace ?? namespace, r.name));
}

function fixFor(reason: string, l: ResolvedListener): string {
  switch (reason) {
    case ListenerReason.HostnameConflict:
    case ListenerReason.ProtocolConflict:
    case ListenerReason.ListenerConflict:
      return `give the listener a hostname or port no other listener on port ${l.port} uses (or the same protocol as they do)`;
    case ListenerReason.RefNotPermitted:
      return "add a ReferenceGrant in the certificate's namespace that lets Gateways (or ListenerSets) from this namespace use the Secret, or move the Secret next to the Gateway";
    case ListenerReason.InvalidCertificateRef:
      return "point certificateRefs at a kubernetes.io/tls Secret with a valid tls.crt and tls.key";
    case ListenerReason.UnsupportedProtocol:
      return "use HTTP, HTTPS, TLS, TCP or UDP; an implementation-specific protocol is not simulated by gwsim";
    default:
      return "see the listener's conditions in `gwsim status` and fix what they name";
  }
}

/** Listener protocols that compete for one connection: the Host among HTTP listeners, the SNI among HTTPS and TLS ones. */
const FAMILY: Readonly<Record<string, string>> = { HTTP: "http", HTTPS: "tls", TLS: "tls" };

/**
 * Route hostnames served on a listener whose requests another listener on the same port takes:
 * decide (as the Gateway API's Listener.hostname doc) gives a request to the most specific
 * listener hostname that matches it, so a route attached (by sectionName or port) to `*` or
 * `*.example.com` only never sees `shop.example.com` when a listener for it exists. Reported
 * per route hostname when the route is not also attached to the listener that takes it.
 */
export function hostnameTakenFindings(ctx: LintContext): Finding[] {
  const { table } = ctx.world;
  const findings: Finding[] = [];
  const seen = new Set<string>();
  table.listeners.forEach((l) => {
    if (!l.ready || (l.protocol !== "HTTP" && l.protocol !== "HTTPS")) return;
    const peers = peersOf(table, l);
    if (peers.length === 0) return;
    const own = l.hostname ?? "*";
    const kinds = [
      { groups: l.groups, routes: table.routes, takerGroups: (t: CompiledListener) => t.groups },
      { groups: l.grpc?.groups ?? [], routes: table.grpcRoutes ?? [], takerGroups: (t: CompiledListener) => t.grpc?.groups ?? [] },
    ];
    for (const kind of kinds) {
      for (const g of kind.groups) {
        const h = g.hostname;
        const taker = takerOf(peers, own, h);
        if (!taker) continue;
        for (const ri of g.routes) {
          // Attached to the listener that takes the requests too: served there.
          if (kind.takerGroups(taker).some((tg) => tg.routes.includes(ri) && intersectHostname(h, tg.hostname) === h)) continue;
          const route = kind.routes[ri]!;
          const k = route.hostnames.findIndex((rh) => intersectHostname(rh, l.hostname) === h);
          const id = `${route.id}|${h}|${l.id}`;
          if (seen.has(id)) continue;
          seen.add(id);
          const takerOwner = ownerOf(taker);
          const takerIndex = listenerIndex(ctx, takerOwner, taker.name);
          findings.push(
            ctx.finding({
              rule: "hostname-taken-by-other-listener",
              severity: "warning",
              object: { kind: route.kind, namespace: route.namespace, name: route.name },
              path: k >= 0 ? `spec.hostnames[${k}]` : "spec.hostnames",
              fallback: route.source,
              message:
                `${route.kind} ${route.namespace}/${route.name} serves ${h} on listener ${l.name} of ${l.gateway} (hostname ${l.hostname ?? "any"}), ` +
                `but requests for ${h} on port ${l.port} go to listener ${taker.name}${taker.listenerSet ? ` of ListenerSet ${taker.listenerSet}` : ""} (hostname ${taker.hostname}, more specific), where the route is not attached: they never reach it`,
              fix: `attach the route to listener ${taker.name} as well (a parentRef with sectionName: ${taker.name}${taker.listenerSet ? ` to ListenerSet ${taker.listenerSet}` : ", or no sectionName"}), or remove the hostname`,
              related: [ctx.related(takerOwner, takerIndex >= 0 ? `spec.listeners[${takerIndex}]` : "spec.listeners", `listener ${taker.name} takes ${h}`, taker.source)],
            }),
          );
        }
      }
    }
  });
  return findings;
}

/** The other programmed listeners on the listener's port that compete for its connections. */
function peersOf(table: RouteTable, l: CompiledListener): CompiledListener[] {
  if (l.protocol !== "HTTP" && l.protocol !== "HTTPS") return [];
  const port = table.gateways[l.gateway]?.ports[String(l.port)];
  return (port?.listeners ?? []).map((i) => table.listeners[i]!).filter((p) => p !== l && p.ready && FAMILY[p.protocol] === FAMILY[l.protocol]);
}

/** The most specific listener among `peers` that takes every request for `hostname` from a listener of hostname `own`. */
function takerOf(peers: readonly CompiledListener[], own: string, hostname: string): CompiledListener | undefined {
  return peers
    .filter((p) => intersectHostname(hostname, p.hostname) === hostname && compareHostSpecificity(p.hostname ?? "*", own) < 0)
    .sort((a, b) => compareHostSpecificity(a.hostname ?? "*", b.hostname ?? "*"))[0];
}

/**
 * Whether requests for a hostname group of listener `l` ever reach `l`: not when a more specific
 * listener on the port takes them all. Such a group decides nothing (precedence analysis skips it).
 */
export function groupReachable(table: RouteTable, l: CompiledListener, hostname: string): boolean {
  return takerOf(peersOf(table, l), l.hostname ?? "*", hostname) === undefined;
}

function ownerOf(l: CompiledListener): LintObjectRef {
  const [namespace, name] = (l.listenerSet ?? l.gateway).split("/") as [string, string];
  return { kind: l.listenerSet ? "ListenerSet" : "Gateway", namespace, name };
}

function listenerIndex(ctx: LintContext, owner: LintObjectRef, name: string): number {
  const obj = ctx.get(owner.kind, owner.namespace!, owner.name);
  const list = (obj?.spec as { listeners?: unknown } | undefined)?.listeners;
  return Array.isArray(list) ? list.findIndex((x: { name?: string }) => x?.name === name) : -1;
}
