/**
 * compile: resolved Graph → RouteTable (the IR `decide` reads). Pure and deterministic:
 * the same graph gives the same table, whatever the order of its arrays' equal-precedence
 * entries, because every sort ends on a total tie-break.
 *
 * Each route kind keeps its own arrays (HTTPRoutes in routes/rules/matches, GRPCRoutes in
 * grpcRoutes/..., TLS/TCP/UDP routes in streamRoutes/...), and each listener its own hostname
 * groups per kind, so the HTTP hot path and the HTTP-only readers of the table are unchanged.
 */
import type { Graph, ResolvedGateway, ResolvedListener } from "../resolve/graph.js";
import { addAttachment, byHostname, deepFreeze, effectiveHostnames, hostIndexOf, type AttachedByListener } from "./common.js";
import { compileGrpcRoute, grpcGroup, type GrpcArrays } from "./grpc.js";
import { ANY_HOST, addToHostIndex, emptyHostIndex } from "./hostname.js";
import { compileHttpRoute, httpGroup, type HttpArrays } from "./http.js";
import { compileMesh } from "./mesh.js";
import { attachPolicySessions, compileBackendTrafficPolicies } from "./backend-traffic.js";
import { compileStreamRoute, STREAM_KINDS, streamGroup, type StreamArrays } from "./streams.js";
import {
  ROUTE_TABLE_VERSION,
  type CompiledBackendTLSPolicy,
  type CompiledGateway,
  type CompiledGatewayPort,
  type CompiledListener,
  type CompiledService,
  type HostIndex,
  type RouteTable,
} from "./table.js";

export type * from "./table.js";
export type { CompiledBackendTrafficPolicy, CompiledPolicySession } from "./backend-traffic.js";
export {
  comparePrecedence,
  precedenceReason,
  PRECEDENCE_STEPS,
  compareGrpcPrecedence,
  grpcPrecedenceReason,
  GRPC_PRECEDENCE_STEPS,
  compareStreamPrecedence,
  streamPrecedenceReason,
  STREAM_PRECEDENCE_STEPS,
  type PrecedenceKey,
  type PrecedenceStep,
  type GrpcPrecedenceKey,
  type StreamPrecedenceKey,
} from "./precedence.js";
export { hostMatches, compareHostSpecificity, intersectHostname } from "./hostname.js";
export { precedenceKeyOf, prefixKey } from "./http.js";
export { grpcKeyOf } from "./grpc.js";
export { streamKeyOf, streamRuleOf } from "./streams.js";
export { MESH_KIND_ORDER } from "./mesh.js";

export function compile(graph: Graph): RouteTable {
  const http: HttpArrays = { routes: [], rules: [], matches: [], keys: [] };
  const grpc: GrpcArrays = { routes: [], rules: [], matches: [] };
  const streams: StreamArrays = { routes: [], rules: [] };
  /** Graph route index → (kind, index in that kind's arrays). */
  const where = new Map<number, { kind: string; index: number }>();

  graph.routes.forEach((route, gi) => {
    if (route.kind === "HTTPRoute") where.set(gi, { kind: route.kind, index: compileHttpRoute(route, http) });
    else if (route.kind === "GRPCRoute") where.set(gi, { kind: route.kind, index: compileGrpcRoute(route, grpc) });
    else if (STREAM_KINDS.has(route.kind)) where.set(gi, { kind: route.kind, index: compileStreamRoute(route, streams) });
  });

  // Attachments per kind and listener id: table route index → hostnames (union over parentRefs).
  const attachedHttp: AttachedByListener = new Map();
  const attachedGrpc: AttachedByListener = new Map();
  const attachedStreams: AttachedByListener = new Map();
  const listenerById = new Map(graph.listeners.map((l) => [l.id, l]));
  for (const a of graph.attachments) {
    const w = where.get(a.route);
    const listener = listenerById.get(a.listener);
    if (w === undefined || listener === undefined) continue;
    const into = w.kind === "HTTPRoute" ? attachedHttp : w.kind === "GRPCRoute" ? attachedGrpc : attachedStreams;
    // TCP and UDP routes have no hostnames: they serve every connection of the listener.
    const hosts = w.kind === "TCPRoute" || w.kind === "UDPRoute" ? [ANY_HOST] : effectiveHostnames(a.hostnames, listener.hostname);
    addAttachment(into, a.listener, w.index, hosts);
  }

  const listeners: CompiledListener[] = graph.listeners.map((l) =>
    compileListener(l, attachedHttp.get(l.id) ?? new Map(), attachedGrpc.get(l.id) ?? new Map(), attachedStreams.get(l.id) ?? new Map(), http, grpc, streams),
  );

  const trafficPolicies = compileBackendTrafficPolicies(graph);
  attachPolicySessions([...http.rules, ...grpc.rules], trafficPolicies);

  return deepFreeze({
    kind: "RouteTable",
    version: ROUTE_TABLE_VERSION,
    gateways: indexGateways(listeners, graph.gateways ?? []),
    listeners,
    routes: http.routes,
    rules: http.rules,
    matches: http.matches,
    backendTLSPolicies: compileBackendTLSPolicies(graph),
    services: compileServices(graph),
    grpcRoutes: grpc.routes,
    grpcRules: grpc.rules,
    grpcMatches: grpc.matches,
    streamRoutes: streams.routes,
    streamRules: streams.rules,
    mesh: compileMesh(graph, (gi) => where.get(gi), http, grpc, streams),
    ...(trafficPolicies.length ? { backendTrafficPolicies: trafficPolicies } : {}),
  } satisfies RouteTable);
}

function compileListener(
  l: ResolvedListener,
  attachedHttp: Map<number, Set<string>>,
  attachedGrpc: Map<number, Set<string>>,
  attachedStreams: Map<number, Set<string>>,
  http: HttpArrays,
  grpc: GrpcArrays,
  streams: StreamArrays,
): CompiledListener {
  const groups = byHostname(attachedHttp).map(({ hostname, routes }) => httpGroup(`${l.id}/host/${hostname}`, hostname, routes, http));
  const grpcGroups = byHostname(attachedGrpc).map(({ hostname, routes }) => grpcGroup(`${l.id}/grpc/host/${hostname}`, hostname, routes, grpc));
  // A TCPRoute on a TLS (Terminate) listener matches no SNI: it takes the connections no
  // TLSRoute hostname serves, so it stays out of the SNI groups (decide/streams.ts).
  const tcpOnTls = l.protocol === "TLS" ? [...attachedStreams.keys()].filter((ri) => streams.routes[ri]!.kind === "TCPRoute") : [];
  const bySni = tcpOnTls.length ? new Map([...attachedStreams].filter(([ri]) => !tcpOnTls.includes(ri))) : attachedStreams;
  const streamGroups = byHostname(bySni).map(({ hostname, routes }) => streamGroup(`${l.id}/streams/host/${hostname}`, hostname, routes, streams.routes));
  const tcpRoutes = tcpOnTls.length ? { tcpRoutes: streamGroup(`${l.id}/streams/tcp`, ANY_HOST, tcpOnTls, streams.routes).routes } : {};
  return {
    id: l.id,
    gateway: `${l.gateway.namespace}/${l.gateway.name}`,
    listenerSet: l.listenerSet ? `${l.listenerSet.namespace}/${l.listenerSet.name}` : null,
    name: l.name,
    port: l.port,
    protocol: l.protocol,
    hostname: l.hostname ? l.hostname.toLowerCase() : null,
    ready: l.ready,
    tls: l.tls
      ? {
          mode: l.tls.mode,
          certificates: l.tls.certificates.map((c) => ({
            ref: `${c.namespace}/${c.name}`,
            dnsNames: [...c.dnsNames],
            valid: c.valid,
          })),
          frontendValidation: l.tls.frontendValidation
            ? {
                mode: l.tls.frontendValidation.mode,
                caCertificates: l.tls.frontendValidation.caCertificates.map((c) => ({ ref: `${c.namespace}/${c.name}`, pem: c.pem })),
              }
            : null,
        }
      : null,
    groups,
    hosts: hostIndexOf(groups),
    routes: [...attachedHttp.keys()].sort((a, b) => a - b),
    grpc: { groups: grpcGroups, hosts: hostIndexOf(grpcGroups), routes: [...attachedGrpc.keys()].sort((a, b) => a - b) },
    streams: { groups: streamGroups, hosts: hostIndexOf(streamGroups), routes: [...attachedStreams.keys()].sort((a, b) => a - b), ...tcpRoutes },
    source: l.source ?? null,
  };
}

/** Programmed listeners indexed by gateway, port and protocol, then by hostname. */
function indexGateways(listeners: CompiledListener[], resolved: readonly ResolvedGateway[]): Record<string, CompiledGateway> {
  const gateways: Record<string, { id: string; namespace: string; name: string; ports: Record<string, CompiledGatewayPort>; listeners: number[]; backendClientCertificate: string | null }> =
    Object.create(null);
  const clientCertificates = new Map<string, string>();
  for (const g of resolved) {
    const c = g.backendClientCertificate;
    if (c?.valid) clientCertificates.set(`${g.namespace}/${g.name}`, `${c.namespace}/${c.name}`);
  }
  const byPortProtocol = new Map<string, number[]>();
  listeners.forEach((l, li) => {
    const [namespace = "", name = ""] = l.gateway.split("/");
    const gw = (gateways[l.gateway] ??= {
      id: `gateway/${l.gateway}`,
      namespace,
      name,
      ports: Object.create(null),
      listeners: [],
      backendClientCertificate: clientCertificates.get(l.gateway) ?? null,
    });
    gw.listeners.push(li);
    const port = (gw.ports[String(l.port)] ??= { protocols: Object.create(null), listeners: [] });
    (port.listeners as number[]).push(li);
    const k = `${l.gateway}\u0000${l.port}\u0000${l.protocol}`;
    let list = byPortProtocol.get(k);
    if (!list) byPortProtocol.set(k, (list = []));
    list.push(li);
  });
  for (const list of byPortProtocol.values()) {
    const first = listeners[list[0]!]!;
    const index = emptyHostIndex();
    // Listeners keep graph order on equal hostnames (resolve marks the losers not ready).
    for (const li of list) {
      const l = listeners[li]!;
      if (l.ready) addToHostIndex(index, l.hostname ?? ANY_HOST, li);
    }
    (gateways[first.gateway]!.ports[String(first.port)]!.protocols as Record<string, HostIndex>)[first.protocol] = index;
  }
  return gateways;
}

function compileBackendTLSPolicies(graph: Graph): CompiledBackendTLSPolicy[] {
  const out: CompiledBackendTLSPolicy[] = [];
  for (const p of graph.backendTLSPolicies) {
    for (const t of p.targets) {
      if ((t.group ?? "") !== "" || t.kind !== "Service") continue;
      out.push({
        policy: `${p.namespace}/${p.name}`,
        namespace: p.namespace,
        service: t.name,
        sectionName: t.sectionName ?? null,
        sni: p.hostname,
        caCertificateRefs: p.caCertificateRefs.map((r) => `${p.namespace}/${r.name}`),
        wellKnownCACertificates: p.wellKnownCACertificates,
        subjectAltNames: p.subjectAltNames,
        clientCertificate: p.clientCertificate,
        valid: p.valid !== false,
        reason: p.reason ?? null,
        message: p.message ?? null,
      });
    }
  }
  return out;
}

function compileServices(graph: Graph): Record<string, CompiledService> {
  const out: Record<string, CompiledService> = Object.create(null);
  for (const s of graph.services) {
    out[`${s.namespace}/${s.name}`] = {
      namespace: s.namespace,
      name: s.name,
      ports: s.ports.map((p) => ({ name: p.name, port: p.port })),
    };
  }
  return out;
}
